# tcm_rs_core loads, runs its KUnit suites, exports its ABI and unloads
# without leaving anything behind, several times over.
# vm-kernels: debug
. "$TCM_ROOT/tests/vm/lib.sh"

for round in 1 2 3; do
	expect "round $round: modprobe tcm_rs_core" modprobe tcm_rs_core
	expect "module is live" test "$(cat /sys/module/tcm_rs_core/initstate)" = live
	expect "ABI export is visible" grep -qE ' tcm_rs_core_abi_version\s+\[tcm_rs_core\]' /proc/kallsyms
	expect "round $round: modprobe -r tcm_rs_core" modprobe -r tcm_rs_core
	expect "module is gone" test ! -e /sys/module/tcm_rs_core
done

expect "load message names the ABI" grep -q 'tcm_rs_core: tcm-rs target core loaded (ABI 0.1)' <<<"$(test_dmesg)"
kunit_passed tcm_rs_core_bindings
kunit_passed tcm_rs_core_sense
kunit_passed tcm_rs_core_registry
kunit_passed tcm_rs_core_fabric_object
kunit_passed tcm_rs_core_lun
kunit_passed tcm_rs_core_write_gate
kunit_passed tcm_rs_core_access
kunit_passed tcm_rs_core_configfs
kunit_passed tcm_rs_core_counters
kunit_passed tcm_rs_core_io_failure
kunit_passed tcm_rs_core_rcu_arc
kunit_passed tcm_rs_core_task_set
kunit_passed tcm_rs_core_noio
