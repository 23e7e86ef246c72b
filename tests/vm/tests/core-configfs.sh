# The root of the configfs tree: tcm_rs_core shows the same tree as LIO's
# target_core_mod (names, values, error codes), run side by side in one guest.
# vm-kernels: debug
. "$TCM_ROOT/tests/vm/lib.sh"

# Everything under target/ with each attribute's value.
snapshot() {
	(cd $CONFIGFS && tree_lines target)
}

# The behaviour of dbroot and the ALUA LU groups; the same script runs
# against each core and must give the same outcome.
exercise() {
	local lu=$TARGET/core/alua/lu_gps
	expect "dbroot takes an existing directory" bash -c "echo /tmp >$TARGET/dbroot"
	expect "dbroot reads back" test "$(cat $TARGET/dbroot)" = /tmp
	expect_errno ENOENT "dbroot refuses a missing directory" bash -c "echo /nonexistent >$TARGET/dbroot"
	expect_errno ENOTDIR "dbroot refuses a file" bash -c "echo /etc/hostname >$TARGET/dbroot"
	expect "a refused dbroot changes nothing" test "$(cat $TARGET/dbroot)" = /tmp

	expect "mkdir makes an LU group" mkdir $lu/grp1
	expect "a new LU group has no ID" test -z "$(cat $lu/grp1/lu_gp_id)"
	expect "an LU group ID is set" bash -c "echo 5 >$lu/grp1/lu_gp_id"
	expect "the ID reads back" test "$(cat $lu/grp1/lu_gp_id)" = 5
	expect_errno EINVAL "an LU group ID cannot change" bash -c "echo 6 >$lu/grp1/lu_gp_id"
	expect "a second LU group" mkdir $lu/grp2
	expect_errno EINVAL "LU group IDs are unique" bash -c "echo 5 >$lu/grp2/lu_gp_id"
	# LIO lets a second group take ID 0 (its default group is not on the
	# list it checks); tcm-rs keeps IDs unique. See Documentation/lio-differences.md.
	if [ "$1" = tcm_rs_core ]; then
		expect_errno EINVAL "the default group's ID 0 is taken" bash -c "echo 0 >$lu/grp2/lu_gp_id"
	fi
	expect_errno EINVAL "an ID above 0xffff is refused" bash -c "echo 65536 >$lu/grp2/lu_gp_id"
	expect_errno EINVAL "a non-number is refused" bash -c "echo five >$lu/grp2/lu_gp_id"
	expect "hexadecimal is accepted" bash -c "echo 0x10 >$lu/grp2/lu_gp_id"
	expect "and reads back in decimal" test "$(cat $lu/grp2/lu_gp_id)" = 16
	expect "members of an empty group is empty" test -z "$(cat $lu/grp1/members)"
	expect_errno EPERM "the default LU group cannot be removed" rmdir $lu/default_lu_gp
	expect_errno EPERM "core/ cannot be removed" rmdir $TARGET/core
	expect "rmdir removes an LU group" rmdir $lu/grp1
	expect "its ID is free again" bash -c "mkdir $lu/grp3 && echo 5 >$lu/grp3/lu_gp_id"
	expect "the core cannot unload while groups exist" bash -c "! modprobe -r $1 2>/dev/null && test -e /sys/module/$1"
	expect "rmdir the rest" rmdir $lu/grp2 $lu/grp3
	expect "dbroot back to the default" bash -c "echo /var/target >$TARGET/dbroot"
	snapshot >/tmp/tree.after
	expect "the tree is as it was before" cmp -s /tmp/tree.after "$2"
}

mkdir -p /var/target

echo "--- LIO (target_core_mod)"
expect "LIO loads" modprobe target_core_mod
snapshot >/tmp/tree.lio
expect "LIO's tree has the default LU group" grep -qx 'target/core/alua/lu_gps/default_lu_gp/lu_gp_id = 0' /tmp/tree.lio
exercise target_core_mod /tmp/tree.lio
expect "LIO unloads" modprobe -r target_core_mod

echo "--- tcm-rs (tcm_rs_core)"
expect "tcm_rs_core loads" modprobe tcm_rs_core
snapshot >/tmp/tree.tcm
exercise tcm_rs_core /tmp/tree.tcm
expect "tcm_rs_core unloads" modprobe -r tcm_rs_core

if ! diff -u /tmp/tree.lio /tmp/tree.tcm; then
	fail "the tcm-rs tree differs from LIO's (above)"
fi
pass "the tree, names and values, is LIO's"
