# The reference that tcm-rs is diffed and benchmarked against works in the
# guest: in-tree LIO driven by Debian's targetcli-fb, a ramdisk LUN over
# tcm_loop that the SCSI mid-layer turns into a disk that takes real I/O.
# vm-kernels: release
. "$TCM_ROOT/tests/vm/lib.sh"

start_dbus
expect "targetcli-fb creates a ramdisk" targetcli /backstores/ramdisk create name=rd0 size=16M
expect "targetcli-fb creates a loopback target" targetcli /loopback create naa.5001405000000001
expect "targetcli-fb maps the LUN" targetcli /loopback/naa.5001405000000001/luns create /backstores/ramdisk/rd0

sleep 1
dev=$(lsscsi | awk '/LIO-ORG/ && /rd0/ {print $NF; exit}')
expect "the LUN is a SCSI disk ($dev)" test -b "$dev"
expect "sg_inq reads its INQUIRY data" bash -c "sg_inq $dev | grep -q 'LIO-ORG'"
expect "a pattern written with dd reads back" bash -c "
	head -c 1M /dev/urandom >/tmp/pattern &&
	dd if=/tmp/pattern of=$dev bs=64k oflag=direct status=none &&
	cmp <(dd if=$dev bs=64k count=16 iflag=direct status=none) /tmp/pattern"

expect "targetcli-fb saves the configuration" targetcli saveconfig /tmp/lio.json
expect "the saved file has the LUN" grep -q '"name": "rd0"' /tmp/lio.json
expect "targetcli-fb clears the configuration" targetcli clearconfig confirm=true
expect "the LIO tree is empty" test -z "$(ls $TARGET/core | grep -v alua)"
expect "LIO unloads" lio_unload
