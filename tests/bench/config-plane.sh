# The configuration plane: restoring N ramdisk LUNs (default 1000) of one
# iSCSI target with A node ACLs (default 2), from a saveconfig.json with
# targetcli-fb and with targetcli-rs, against in-tree LIO and against
# tcm-rs, in one VM run. Prints the times and the ratios; appends the
# figures to config-plane.json in the run directory.
# An ACL maps at most 256 LUNs (mapped LUNs 0 to 255: rtslib-fb refuses
# others, so targetcli-fb could not restore the file): with N <= 256 every
# LUN is mapped into every ACL; with more, there are at least N / 256 ACLs
# (rounded up) and LUN i is mapped, as mapped LUN i % 256, into ACL
# i / 256 + 1 alone.
# An iSCSI target with no session logged in costs nothing on the initiator
# side, so the figures are the configuration plane's alone (a loopback
# target would have the initiator scan every LUN as a disk).
. "$TCM_ROOT/tests/vm/lib.sh"

N=${BENCH_LUNS:-1000}
A=${BENCH_ACLS:-2}
# The tools to time (both by default).
TOOLS=${BENCH_TOOLS:-targetcli-fb targetcli-rs}
MAXMAP=256
if [ "$N" -gt $MAXMAP ]; then
	[ "$A" -ge $(((N + MAXMAP - 1) / MAXMAP)) ] || A=$(((N + MAXMAP - 1) / MAXMAP))
	MAPPED=$N # mapped LUNs in all
else
	MAPPED=$((N * A))
fi
acl() { echo "iqn.1994-05.com.example:initiator$1"; }
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
	for a in $(seq 1 "$A"); do
		echo "/iscsi/$IQN/tpg1/acls create $(acl "$a") add_mapped_luns=false"
	done
	for i in $(seq 0 $((N - 1))); do
		echo "/iscsi/$IQN/tpg1/luns create /backstores/ramdisk/rd$i add_mapped_luns=false"
		if [ "$N" -le $MAXMAP ]; then
			for a in $(seq 1 "$A"); do
				echo "/iscsi/$IQN/tpg1/acls/$(acl "$a") create $i lun$i"
			done
		else
			echo "/iscsi/$IQN/tpg1/acls/$(acl $((i / MAXMAP + 1))) create $((i % MAXMAP)) lun$i"
		fi
	done
	echo "saveconfig $work/config.json"
	echo "clearconfig confirm=true"
} >"$work/build.batch"
build_start=$(date +%s)
expect "targetcli-rs builds $N LUNs and $A ACLs" bash -c "targetcli-rs --batch $work/build.batch >/dev/null"
echo "(the build, $(wc -l <"$work/build.batch") targetcli-rs commands, took $(($(date +%s) - build_start)) s)"
expect "the file has $N storage objects" test "$(jq '.storage_objects | length' "$work/config.json")" = "$N"
expect "the file has $A ACLs with $MAPPED mapped LUNs in all" test \
	"$(jq "[.targets[0].tpgs[0].node_acls[] | .mapped_luns | length] | (length == $A and add == $MAPPED)" "$work/config.json")" = true

# restored CORE TOOL: the whole configuration is in place.
restored() {
	expect "$1: $2 restored $N LUNs" test "$(ls -d $TPG/lun/lun_* | wc -l)" = "$N"
	expect "$1: and $A ACLs with $MAPPED mapped LUNs in all" \
		test "$(ls -d $TPG/acls/*/lun_* | wc -l)" = "$MAPPED"
}

seconds() { # COMMAND... -> elapsed seconds; the command's output only if it fails
	local start end
	start=$(date +%s.%N)
	"$@" >"$work/out" 2>&1 || { cat "$work/out" >&2; fail "$*"; }
	end=$(date +%s.%N)
	printf '%.2f' "$(echo "$end - $start" | bc)"
}

# restore CORE TOOL: times TOOL's restore on CORE, checks and clears; sets
# ${CORE}_${TOOL} (fb or rs) to the seconds, "null" if BENCH_TOOLS
# leaves TOOL out.
restore() {
	local v=${1}_${2#targetcli-} t
	eval "$v=null"
	[[ " $TOOLS " == *" $2 "* ]] || return 0
	if [ "$2" = targetcli-fb ]; then
		t=$(seconds targetcli restoreconfig "$work/config.json")
		restored "$1" "$2"
		expect "$1: clear" bash -c "targetcli clearconfig confirm=True >/dev/null"
	else
		t=$(seconds targetcli-rs restoreconfig "$work/config.json")
		restored "$1" "$2"
		expect "$1: clear" bash -c "targetcli-rs clearconfig confirm=true >/dev/null"
	fi
	eval "$v=$t"
}

ratio() { # A B -> A / B, or "-" when either is missing
	if [ "$1" = null ] || [ "$2" = null ]; then echo -; else printf '%.2f' "$(echo "$1 / $2" | bc -l)"; fi
}

restore_both() { # CORE
	restore "$1" targetcli-fb
	restore "$1" targetcli-rs
	local fb rs
	fb=$(eval echo "\$${1}_fb") rs=$(eval echo "\$${1}_rs")
	printf '%-8s restore of %s LUNs, %s ACLs, %s mapped LUNs: targetcli-fb %s s, targetcli-rs %s s (fb / rs %s)\n' \
		"$1" "$N" "$A" "$MAPPED" "$fb" "$rs" "$(ratio "$fb" "$rs")"
	results+=("{\"core\":\"$1\",\"luns\":$N,\"acls\":$A,\"mapped_luns\":$MAPPED,\"targetcli_fb_s\":$fb,\"targetcli_rs_s\":$rs}")
}

restore_both lio
expect "LIO unloads" lio_unload
expect "tcm_rs_core loads" modprobe tcm_rs_core
restore_both tcm
expect "tcm-rs unloads" tcm_unload

# shellcheck disable=SC2154 # set by restore through eval
echo "tcm-rs / LIO restore time: with targetcli-fb $(ratio "$tcm_fb" "$lio_fb"), with targetcli-rs $(ratio "$tcm_rs" "$lio_rs")"
printf '[%s]\n' "$(IFS=,; echo "${results[*]}")" >"${TCM_RUN:-$work}/config-plane.json"
echo "figures: ${TCM_RUN:-$work}/config-plane.json"
