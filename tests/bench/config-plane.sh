# The configuration plane: restoring N ramdisk LUNs (default 1000) from a
# saveconfig.json with targetcli-fb and with targetcli-rs, against in-tree
# LIO and against tcm-rs, in one VM run. Prints the times and the ratios;
# appends the figures to config-plane.json in the run directory.
# Loopback has no ACLs in targetcli-fb, so the LUNs are mapped without them
# until a fabric with ACLs (iSCSI) is served by tcm-rs.
. "$TCM_ROOT/tests/vm/lib.sh"

N=${BENCH_LUNS:-1000}
LOOP=naa.5001405000000c01
work=$(mktemp -d /tmp/config-plane.XXXXXX)
start_dbus
results=()

# Builds the configuration with targetcli-rs and saves it, on LIO.
expect "LIO loads" modprobe target_core_mod
{
	for i in $(seq 0 $((N - 1))); do
		echo "/backstores/ramdisk create name=rd$i size=1M nullio=true"
	done
	echo "/loopback create $LOOP"
	for i in $(seq 0 $((N - 1))); do
		echo "/loopback/$LOOP/luns create /backstores/ramdisk/rd$i"
	done
	echo "saveconfig $work/config.json"
	echo "clearconfig confirm=true"
} >"$work/build.batch"
expect "targetcli-rs builds $N LUNs" bash -c "targetcli-rs --batch $work/build.batch >/dev/null"
expect "the file has $N storage objects" test "$(jq '.storage_objects | length' "$work/config.json")" = "$N"

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
	expect "$1: targetcli-fb restored $N LUNs" test "$(ls -d $TARGET/loopback/$LOOP/tpgt_1/lun/lun_* | wc -l)" = "$N"
	expect "$1: clear" bash -c "targetcli clearconfig confirm=True >/dev/null"
	rs=$(seconds targetcli-rs restoreconfig "$work/config.json")
	expect "$1: targetcli-rs restored $N LUNs" test "$(ls -d $TARGET/loopback/$LOOP/tpgt_1/lun/lun_* | wc -l)" = "$N"
	expect "$1: clear" bash -c "targetcli-rs clearconfig confirm=true >/dev/null"
	printf '%-8s restore of %s LUNs: targetcli-fb %6.1f s, targetcli-rs %6.1f s (%.1fx)\n' \
		"$1" "$N" "$fb" "$rs" "$(echo "$fb / $rs" | bc -l)"
	results+=("{\"core\":\"$1\",\"luns\":$N,\"targetcli_fb_s\":$fb,\"targetcli_rs_s\":$rs}")
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
