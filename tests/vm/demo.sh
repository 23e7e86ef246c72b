# `make run`: what tcm-rs does today, shown in the test VM. Grows into a demo
# target served over loopback and iSCSI as the engine and fabrics land.
. "$TCM_ROOT/tests/vm/lib.sh"

step() { printf '\n\033[1m# %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; eval "$@"; }

echo "tcm-rs demo on kernel $(uname -r) ($TCM_VARIANT build)"

step "Load the tcm-rs target core: it registers LIO's configfs tree"
show modprobe tcm_rs_core
show modinfo -F description tcm_rs_core
show cat $TARGET/version
show cat $TARGET/dbroot

step "A ramdisk, the way targetcli makes one; the backstore module loads on demand"
show mkdir -p $TARGET/core/rd_mcp_0/demo

step "Bad input is refused with a reason (in the kernel log), and changes nothing"
show "echo rd_pages=lots >$TARGET/core/rd_mcp_0/demo/control || true"
show "dmesg | grep rd_mcp: | tail -n 1"
show "grep PAGES $TARGET/core/rd_mcp_0/demo/info"

step "Configure and enable it"
show "echo rd_pages=2048 >$TARGET/core/rd_mcp_0/demo/control"
show "echo 1 >$TARGET/core/rd_mcp_0/demo/enable"
show cat $TARGET/core/rd_mcp_0/hba_info
show cat $TARGET/core/rd_mcp_0/demo/info
show "lsmod | grep tcm_rs"

step "An enabled device's parameters are fixed"
show "echo rd_pages=8 >$TARGET/core/rd_mcp_0/demo/control || true"

step "The tree"
show "find $TARGET | sort"

step "KUnit suites that ran inside the module at load"
kunit_passed tcm_rs_core_bindings
kunit_passed tcm_rs_core_sense

step "Tear down: configfs refuses to remove what is in use"
show "rmdir $TARGET/core/rd_mcp_0 || true"
show rmdir $TARGET/core/rd_mcp_0/demo $TARGET/core/rd_mcp_0
show modprobe -r tcm_rs_rd tcm_rs_core
pass "demo complete"
