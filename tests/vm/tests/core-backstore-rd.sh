# HBAs and ramdisk devices: the same steps against LIO's target_core_mod
# (with its built-in rd_mcp) and against tcm_rs_core with tcm_rs_rd, loaded
# on demand; names, values and error codes compared.
. "$TCM_ROOT/tests/vm/lib.sh"

# Runs the common steps and prints what a person would look at.
exercise() {
	local hba=$TARGET/core/rd_mcp_3 dev=$TARGET/core/rd_mcp_3/rd0
	expect_errno EINVAL "an HBA name needs a number" mkdir $TARGET/core/rd_mcp
	expect_errno EINVAL "an HBA name needs a known backstore" mkdir $TARGET/core/nosuch_0
	expect "mkdir makes an HBA" mkdir $hba
	expect "mkdir makes a device" mkdir $dev
	expect "a new device is disabled" test "$(cat $dev/enable)" = 0
	expect_errno EINVAL "enable without rd_pages fails" bash -c "echo 1 >$dev/enable"
	expect "the device is still disabled" test "$(cat $dev/enable)" = 0
	expect "control takes rd_pages" bash -c "echo rd_pages=256 >$dev/control"
	expect "enable" bash -c "echo 1 >$dev/enable"
	expect "the device is enabled" test "$(cat $dev/enable)" = 1
	expect "alias is empty, then set" bash -c "test -z \"\$(cat $dev/alias)\" && echo my-disk >$dev/alias && test \"\$(cat $dev/alias)\" = my-disk"
	expect "udev_path is set" bash -c "echo /dev/fake >$dev/udev_path && test \"\$(cat $dev/udev_path)\" = /dev/fake"
	expect_errno ENOTEMPTY "an HBA with devices cannot be removed" rmdir $hba
	{
		echo "hba_info: $(cat $hba/hba_info)"
		echo "hba_mode: $(cat $hba/hba_mode)"
		echo "info: $(cat $dev/info | tr -s ' ')"
		# Entries that come with the SCSI engine and ALUA are left out until
		# then: action alua attrib pr statistics wwn lba_map alua_lu_gp.
		echo "device entries: $(ls $dev | grep -vE '^(action|alua|attrib|pr|statistics|wwn|lba_map|alua_lu_gp)$' | tr '\n' ' ')"
	} >"/tmp/rd.$1"
	cat "/tmp/rd.$1"
	expect "rmdir the device" rmdir $dev
	expect "rmdir the HBA" rmdir $hba
}

echo "--- LIO (target_core_mod)"
expect "LIO loads" modprobe target_core_mod
exercise lio
expect "LIO unloads" lio_unload

echo "--- tcm-rs (tcm_rs_core)"
expect "tcm_rs_core loads" modprobe tcm_rs_core
exercise tcm
dev=$TARGET/core/rd_mcp_1/rd1
expect "the ramdisk backstore was loaded on demand" test -e /sys/module/tcm_rs_rd
mkdir -p $dev
expect_errno EINVAL "control refuses an unknown key (LIO ignores it)" bash -c "echo bogus=1 >$dev/control"
expect_errno EINVAL "control refuses a bad page count" bash -c "echo rd_pages=lots >$dev/control"
expect_errno EINVAL "control refuses a half-good write" bash -c "echo rd_pages=8,bogus >$dev/control"
expect "a refused write changed nothing" grep -q 'PAGES/PAGE_SIZE: 0\*' $dev/info
expect "rd_pages beyond memory is accepted" bash -c "echo rd_pages=4294967295 >$dev/control"
expect_errno ENOMEM "but enabling it fails cleanly" bash -c "echo 1 >$dev/enable"
expect "the device stays disabled" test "$(cat $dev/enable)" = 0
expect "a size that fits then enables" bash -c "echo rd_pages=64,rd_nullio=0 >$dev/control && echo 1 >$dev/enable"
expect_errno EBUSY "control is refused once enabled" bash -c "echo rd_pages=8 >$dev/control"
expect_errno EEXIST "enabling twice is refused" bash -c "echo 1 >$dev/enable"
expect "the backstore cannot unload while an HBA uses it" bash -c "! modprobe -r tcm_rs_rd 2>/dev/null && test -e /sys/module/tcm_rs_rd"
expect "rmdir device and HBA" rmdir $dev $TARGET/core/rd_mcp_1
expect "the backstore unloads" modprobe -r tcm_rs_rd
expect "tcm_rs_core unloads" modprobe -r tcm_rs_core

if ! diff -u /tmp/rd.lio /tmp/rd.tcm; then
	fail "tcm-rs differs from LIO (above)"
fi
pass "HBA and device entries and values are LIO's"
