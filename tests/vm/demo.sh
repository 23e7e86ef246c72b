# `make run`: what tcm-rs does today, shown in the test VM. Grows into a demo
# target served over loopback and iSCSI as the core and fabrics land.
. "$TCM_ROOT/tests/vm/lib.sh"

echo "tcm-rs demo on kernel $(uname -r) ($TCM_VARIANT build)"
echo
modprobe tcm_rs_core || fail "tcm_rs_core does not load"
echo "--- modinfo tcm_rs_core"
modinfo tcm_rs_core | grep -E '^(filename|description|license|depends|vermagic):'
echo
echo "--- exported ABI (/proc/kallsyms)"
grep -E '\[tcm_rs_core\]' /proc/kallsyms | grep -w tcm_rs_core_abi_version
echo
echo "--- kernel log (module load and its KUnit suites)"
dmesg | grep -E 'tcm_rs_core|tcm-rs target core|# Subtest: tcm_rs|ok [0-9]+ (tcm_rs|[a-z_]+$)' | sed 's/^/  /'
echo
kunit_passed tcm_rs_core_bindings
kunit_passed tcm_rs_core_sense
modprobe -r tcm_rs_core || fail "tcm_rs_core does not unload"
pass "tcm_rs_core unloaded cleanly"
