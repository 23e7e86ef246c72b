# targetcli-rs against tcm-rs (tcm_rs_core with its ramdisk, fileio and
# iblock backstores and its loopback and iSCSI fabrics), with Debian's
# targetcli-fb as the reference: the scenarios of
# tests/vm/targetcli-rs-scenario.sh, which targetcli-rs-lio runs against
# in-tree LIO. iSCSI is checked as far as tcm_rs_iscsi goes: discovery
# authentication, and a target refused cleanly (no login or data path yet).
. "$TCM_ROOT/tests/vm/lib.sh"
. "$TCM_ROOT/tests/vm/targetcli-rs-scenario.sh"

cleanup() {
	# Only with a core loaded: without one, targetcli-rs would load LIO's.
	[ ! -d "$TARGET" ] || targetcli-rs clearconfig confirm=true >/dev/null 2>&1 || true
	tcm_unload >/dev/null 2>&1 || true
	unload_modules null_blk >/dev/null 2>&1 || true
}
trap cleanup EXIT

expect "tcm_rs_core loads" modprobe tcm_rs_core
targetcli_rs_scenario tcm
expect "no LIO module was loaded on the way" sh -c "! lsmod | grep -qE '^(target_core_mod|tcm_loop|iscsi_target_mod|target_core_[a-z]+) '"
expect "tcm-rs unloads" tcm_unload
