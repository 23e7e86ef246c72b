# The configuration plane: restoring N ramdisk LUNs (default 1000) of one
# iSCSI target, mapped into each of A node ACLs (default 2), from a
# saveconfig.json with targetcli-fb and with targetcli-rs, against in-tree
# LIO and against tcm-rs, in one VM run. Prints the times and the ratios;
# appends the figures to config-plane.json in the run directory.
# An iSCSI target with no session logged in costs nothing on the initiator
# side, so the figures are the configuration plane's alone (a loopback
# target would have the initiator scan every LUN as a disk).
. "$TCM_ROOT/tests/vm/lib.sh"

N=${BENCH_LUNS:-1000}
A=${BENCH_ACLS:-2}
IQN=iqn.2003-01.org.tcm-rs:config-plane
TPG=$TARGET/iscsi/$IQN/tpgt_1
work=$(mktemp -d /tmp/config-plane.XXXXXX)
start_dbus
results=()

# Builds the configuration with targetcli-rs and saves it, on LIO.
expect "LIO loads" modprobe target_core_mod
{
	for i in $(seq 0 $((N - 1))); do
		echo "/backstores/ramdisk create name=rd$i size=1M nullio=true"
	done
	echo "/iscsi create $IQN"
	# ACLs first: each LUN is then mapped into every ACL as it is made
	# (auto_add_mapped_luns).
	for a in $(seq 1 "$A"); do
		echo "/iscsi/$IQN/tpg1/acls create iqn.1994-05.com.example:initiator$a"
	done
	for i in $(seq 0 $((N - 1))); do
		echo "/iscsi/$IQN/tpg1/luns create /backstores/ramdisk/rd$i"
	done
	echo "saveconfig $work/config.json"
	echo "clearconfig confirm=true"
} >"$work/build.batch"
expect "targetcli-rs builds $N LUNs and $A ACLs" bash -c "targetcli-rs --batch $work/build.batch >/dev/null"
expect "the file has $N storage objects" test "$(jq '.storage_objects | length' "$work/config.json")" = "$N"
expect "the file has $A ACLs of $N mapped LUNs each" test \
	"$(jq "[.targets[0].tpgs[0].node_acls[] | select((.mapped_luns | length) == $N)] | length" "$work/config.json")" = "$A"

# restored CORE TOOL: the whole configuration is in place.
restored() {
	expect "$1: $2 restored $N LUNs" test "$(ls -d $TPG/lun/lun_* | wc -l)" = "$N"
	expect "$1: and $A ACLs with $N mapped LUNs each" \
		test "$(ls -d $TPG/acls/*/lun_* | wc -l)" = $((N * A))
}

seconds() { # COMMAND... -> elapsed seconds; the command's output only if it fails
	local start end
	start=$(date +%s.%N)
	"$@" >"$work/out" 2>&1 || { cat "$work/out" >&2; fail "$*"; }
	end=$(date +%s.%N)
	echo "$end - $start" | bc
}

restore_both() { # CORE
	local fb rs
	fb=$(seconds targetcli restoreconfig "$work/config.json")
	restored "$1" targetcli-fb
	expect "$1: clear" bash -c "targetcli clearconfig confirm=True >/dev/null"
	rs=$(seconds targetcli-rs restoreconfig "$work/config.json")
	restored "$1" targetcli-rs
	expect "$1: clear" bash -c "targetcli-rs clearconfig confirm=true >/dev/null"
	printf '%-8s restore of %s LUNs, %s ACLs: targetcli-fb %6.1f s, targetcli-rs %6.1f s (%.1fx)\n' \
		"$1" "$N" "$A" "$fb" "$rs" "$(echo "$fb / $rs" | bc -l)"
	results+=("{\"core\":\"$1\",\"luns\":$N,\"acls\":$A,\"targetcli_fb_s\":$fb,\"targetcli_rs_s\":$rs}")
	eval "${1}_fb=$fb ${1}_rs=$rs"
}

restore_both lio
expect "LIO unloads" lio_unload
expect "tcm_rs_core loads" modprobe tcm_rs_core
restore_both tcm
expect "tcm-rs unloads" tcm_unload

printf 'tcm-rs / LIO restore time: with targetcli-fb %.2f, with targetcli-rs %.2f\n' \
	"$(echo "$tcm_fb / $lio_fb" | bc -l)" "$(echo "$tcm_rs / $lio_rs" | bc -l)"
printf '[%s]\n' "$(IFS=,; echo "${results[*]}")" >"${TCM_RUN:-$work}/config-plane.json"
echo "figures: ${TCM_RUN:-$work}/config-plane.json"
