# targetcli-rs against in-tree LIO, with Debian's targetcli-fb as the
# reference: the scenarios of tests/vm/targetcli-rs-scenario.sh (the same
# that targetcli-rs-tcm runs against tcm-rs), iSCSI targets included.
# targetcli-rs loads target_core_mod itself. What get, set and ls print is
# compared with targetcli-fb on tcm-rs only (targetcli-rs-tcm).
# vm-kernels: release
. "$TCM_ROOT/tests/vm/lib.sh"
. "$TCM_ROOT/tests/vm/targetcli-rs-scenario.sh"

# Leave the guest clean however the test ends.
cleanup() {
	# Only with a core loaded: without one, targetcli-rs would load LIO's.
	[ ! -d "$TARGET" ] || targetcli-rs clearconfig confirm=true >/dev/null 2>&1 || true
	lio_unload >/dev/null 2>&1 || true
	unload_modules null_blk >/dev/null 2>&1 || true
}
trap cleanup EXIT

expect "no target core is loaded yet" test ! -d "$TARGET"
targetcli_rs_scenario lio
expect "targetcli-rs loaded in-tree LIO" test -d /sys/module/target_core_mod
# Fabric directories hold their modules: remove them before unloading.
expect "LIO unloads" lio_unload
rm -rf "$work"
