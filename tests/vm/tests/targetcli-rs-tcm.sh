# targetcli-rs against tcm-rs (tcm_rs_core with its ramdisk, fileio and
# iblock backstores and its loopback and iSCSI fabrics), with Debian's
# targetcli-fb as the reference: the scenarios of
# tests/vm/targetcli-rs-scenario.sh, which targetcli-rs-lio runs against
# in-tree LIO, iSCSI targets included (their configuration; the sessions
# are targetcli-rs-features's, on LIO: tcm_rs_iscsi does not show them in
# configfs yet).
# Then the file saved from tcm-rs is restored on LIO and saved again: the
# two cores must give the same file (the same objects, attributes and
# values), less the differences Documentation/lio-differences.md lists.
# User space against configfs, like targetcli-fb-tcm: the kernel paths it
# drives are checked on the debug kernel by core-device and core-fabric.
# vm-kernels: release
. "$TCM_ROOT/tests/vm/lib.sh"
. "$TCM_ROOT/tests/vm/targetcli-rs-scenario.sh"

cleanup() {
	# Only with a core loaded: without one, targetcli-rs would load LIO's.
	[ ! -d "$TARGET" ] || targetcli-rs clearconfig confirm=true >/dev/null 2>&1 || true
	tcm_unload >/dev/null 2>&1 || true
	lio_unload >/dev/null 2>&1 || true
	unload_modules null_blk >/dev/null 2>&1 || true
	[ -z "${work:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

expect "tcm_rs_core loads" modprobe tcm_rs_core
targetcli_rs_scenario tcm
expect "no LIO module was loaded on the way" sh -c "! lsmod | grep -qE '^(target_core_mod|tcm_loop|iscsi_target_mod|target_core_[a-z]+) '"
expect "tcm-rs unloads" tcm_unload

echo "--- tcm-rs's file on LIO"
# Clearing the restored loopback LUNs under their nexus reaches LIO's
# core_clear_lun_from_tpg() use-after-free (lib.sh): release kernel only.
if lio_loopback_teardown_safe; then
	block_device_up
	expect "LIO loads" modprobe target_core_mod
	expect "targetcli-rs restores tcm-rs's file on LIO" $RS restoreconfig "$work/rs.json"
	expect "targetcli-rs saves LIO's tree" $RS saveconfig "$work/lio.json"
	# Nothing may differ: the same objects, settings and values.
	known='.'
	if ! diff -u <(jq -S "$known" "$work/rs.json") <(jq -S "$known" "$work/lio.json"); then
		fail "tcm-rs and LIO save the same configuration differently (above: - tcm-rs, + LIO)"
	fi
	pass "the configuration saves the same from tcm-rs and from LIO"
	expect "clear LIO" $RS clearconfig confirm=true
	expect "LIO unloads" lio_unload
	block_device_down
fi
