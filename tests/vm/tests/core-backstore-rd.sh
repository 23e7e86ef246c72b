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
	local wwn=$dev/wwn defaults
	defaults=$(cd $wwn && for f in vendor_id product_id revision company_id vpd_unit_serial pd_text_id_info; do echo "$f=$(cat $f)"; done)
	expect "vpd_unit_serial takes a serial (as rtslib writes it)" bash -c "echo 5ae0ab8c-7d3e-4b3c-9d0e-6f7a8b9c0d1e >$wwn/vpd_unit_serial"
	expect "vendor_id takes 8 characters" bash -c "echo TCMRSORG >$wwn/vendor_id"
	expect_errno EOVERFLOW "vendor_id refuses 9" bash -c "echo TCMRSORG9 >$wwn/vendor_id"
	expect_errno EINVAL "vendor_id refuses a non-printable byte" bash -c "printf 'AB\\001\\n' >$wwn/vendor_id"
	expect "product_id takes 16 characters" bash -c "echo 0123456789abcdef >$wwn/product_id"
	expect_errno EOVERFLOW "product_id refuses 17" bash -c "echo 0123456789abcdefg >$wwn/product_id"
	expect "revision takes 4 characters" bash -c "echo 9.99 >$wwn/revision"
	expect_errno EOVERFLOW "revision refuses 5" bash -c "echo 9.999 >$wwn/revision"
	expect "company_id takes 24 bits" bash -c "echo 0xabcdef >$wwn/company_id"
	expect_errno EOVERFLOW "company_id refuses 25 bits" bash -c "echo 0x1000000 >$wwn/company_id"
	expect_errno ERANGE "company_id refuses 33 bits (kstrtou32)" bash -c "echo 0x100000000 >$wwn/company_id"
	expect "pd_text_id_info takes text" bash -c "echo 'rack 4, slot 2' >$wwn/pd_text_id_info"
	expect_errno EOVERFLOW "pd_text_id_info refuses 256 bytes" bash -c "head -c 256 /dev/zero | tr '\\0' x >$wwn/pd_text_id_info"
	{
		echo "hba_info: $(cat $hba/hba_info)"
		echo "hba_mode: $(cat $hba/hba_mode)"
		echo "info: $(cat $dev/info | tr -s ' ')"
		# The contents of attrib/, pr/, alua/ and statistics/ are compared
		# by core-device.sh.
		echo "device entries: $(ls $dev | tr '\n' ' ')"
		echo "wwn entries: $(ls $wwn | tr '\n' ' ')"
		echo "wwn defaults: $(echo $defaults)"
		echo "wwn now: $(cd $wwn && for f in vendor_id product_id revision company_id vpd_unit_serial pd_text_id_info; do printf '%s=%s ' $f "$(cat $f)"; done)"
	} >"/tmp/rd.$1"
	cat "/tmp/rd.$1"
	expect "rmdir the device" rmdir $dev
	expect "rmdir the HBA" rmdir $hba
}

if lio_reference; then
	lio_half "target_core_mod" target_core_mod
fi

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
log=$(test_dmesg)
expect "the kernel log says why" grep -q 'rd_mcp: no memory for 4294967295 pages (16777215 MiB): not enabled' <<<"$log"
expect "without the allocator's stack dump" bash -c '! grep -q "vmalloc error" <<<"$1"' _ "$log"
expect "a size that fits then enables" bash -c "echo rd_pages=64,rd_nullio=0 >$dev/control && echo 1 >$dev/enable"
expect_errno EBUSY "control is refused once enabled" bash -c "echo rd_pages=8 >$dev/control"
expect_errno EEXIST "enabling twice is refused" bash -c "echo 1 >$dev/enable"
expect "the backstore cannot unload while an HBA uses it" bash -c "! modprobe -r tcm_rs_rd 2>/dev/null && test -e /sys/module/tcm_rs_rd"
expect "rmdir device and HBA" rmdir $dev $TARGET/core/rd_mcp_1
expect "the backstore unloads" modprobe -r tcm_rs_rd
expect "tcm_rs_core unloads" modprobe -r tcm_rs_core

if lio_reference; then
	if ! diff -u /tmp/rd.lio /tmp/rd.tcm; then
		fail "tcm-rs differs from LIO (above)"
	fi
	pass "HBA and device entries and values are LIO's"
fi
