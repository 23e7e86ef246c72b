# The fileio backstore: the same configfs steps against LIO's
# target_core_file and against tcm_rs_fileio (names, info, attributes and
# error codes compared), then real I/O through the loopback fabric on a
# file in a tmpfs, on a buffered file, on a loop block device and on a file
# in ext4, with the data checked in the backing file itself.
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000001
INITIATOR=naa.5001405000000002
MiB=1048576

# Attributes a backstore sets (or LIO's fileio sets at enable).
ATTRS="block_size hw_block_size hw_max_sectors hw_queue_depth queue_depth is_nonrot emulate_write_cache max_write_same_len max_unmap_lba_count max_unmap_block_desc_count unmap_granularity unmap_granularity_alignment"
attrs() { (cd "$1/attrib" && for a in $ATTRS; do printf '%s=%s ' $a "$(cat $a 2>/dev/null)"; done); echo; }

# configfs steps, common to both cores; what a person would look at goes
# to /tmp/fileio.$1.
exercise() {
	local core=$1 hba=$TARGET/core/fileio_2 dev=$TARGET/core/fileio_2/f0 img=/tmp/fileio-cfg
	rm -f $img
	expect "$core: mkdir makes a fileio HBA" mkdir $hba
	expect "$core: mkdir makes a device" mkdir $dev
	local info0; info0=$(tr -s ' ' <$dev/info)
	expect_errno EINVAL "$core: enable without fd_dev_name fails" bash -c "echo 1 >$dev/enable"
	expect "$core: the device is still disabled" test "$(cat $dev/enable)" = 0
	expect "$core: control takes fd_dev_name (in a missing directory)" bash -c "echo fd_dev_name=/tmp/no-such-dir/f >$dev/control"
	expect_errno ENOENT "$core: enable fails with filp_open's errno" bash -c "echo 1 >$dev/enable"
	expect_errno EINVAL "$core: fd_buffered_io takes only 1" bash -c "echo fd_buffered_io=0 >$dev/control"
	expect_errno EINVAL "$core: fd_dev_size must be a number" bash -c "echo fd_dev_size=lots >$dev/control"
	expect "$core: control takes fd_dev_name" bash -c "echo fd_dev_name=$img >$dev/control"
	expect_errno EINVAL "$core: a regular file without fd_dev_size does not enable" bash -c "echo 1 >$dev/enable"
	expect "$core: the device is still disabled" test "$(cat $dev/enable)" = 0
	expect "$core: the file was made anyway (O_CREAT), empty, mode 0600" test "$(stat -c '%s %a' $img)" = "0 600"
	local info1; info1=$(tr -s ' ' <$dev/info)
	expect "$core: fd_dev_size in hexadecimal (kstrtoull base 0)" bash -c "echo fd_dev_size=0x1000000 >$dev/control"
	expect "$core: enable" bash -c "echo 1 >$dev/enable"
	expect "$core: the device is enabled" test "$(cat $dev/enable)" = 1
	expect_errno EEXIST "$core: enabling twice is refused" bash -c "echo 1 >$dev/enable"
	expect_errno ENOTEMPTY "$core: an HBA with devices cannot be removed" rmdir $hba

	# A second device, buffered, several keys in one write.
	local dev2=$TARGET/core/fileio_3/f1
	expect "$core: a buffered device" bash -c "mkdir -p $dev2 &&
		echo 'fd_dev_name=/tmp/fileio-cfg2,fd_dev_size=1048576,fd_buffered_io=1' >$dev2/control &&
		echo 1 >$dev2/enable"

	# A third on a block device: the size is the device's.
	local dev3=$TARGET/core/fileio_4/f2 loopdev
	truncate -s 8M /tmp/fileio-bdev.$core
	loopdev=$(losetup -f --show /tmp/fileio-bdev.$core) || fail "$core: losetup"
	expect "$core: a device on $loopdev, no fd_dev_size" bash -c "mkdir -p $dev3 &&
		echo fd_dev_name=$loopdev >$dev3/control && echo 1 >$dev3/enable"
	{
		echo "hba_info: $(cat $hba/hba_info)"
		echo "hba_mode: $(cat $hba/hba_mode)"
		echo "info new: $info0"
		echo "info named: $info1"
		echo "info enabled: $(tr -s ' ' <$dev/info)"
		echo "attrib: $(attrs $dev)"
		echo "wwn: $(cat $dev/wwn/vendor_id) $(cat $dev/wwn/product_id) $(cat $dev/wwn/revision)"
		# IDs count per HBA in LIO, per module in tcm-rs (lio-differences.md).
		echo "buffered info: $(tr -s ' ' <$dev2/info | sed 's/ID: [0-9]*/ID: <id>/')"
		# Both turn emulate_write_cache on for fd_buffered_io.
		echo "buffered attrib: $(attrs $dev2)"
		echo "bdev info: $(tr -s ' ' <$dev3/info | sed -e "s#$loopdev#LOOPDEV#" -e 's/ID: [0-9]*/ID: <id>/')"
		echo "bdev attrib: $(attrs $dev3)"
	} >"/tmp/fileio.$core"
	cat "/tmp/fileio.$core"
	expect "$core: rmdir devices and HBAs" rmdir $dev $hba $dev2 $TARGET/core/fileio_3 $dev3 $TARGET/core/fileio_4
	expect "$core: the loop device is free again" losetup -d $loopdev
	rm -f $img /tmp/fileio-cfg2 /tmp/fileio-bdev.$core
}

# fileio NAME FILE [KEYS]: an enabled fileio device on fileio_0.
fileio() {
	local dev=$TARGET/core/fileio_0/$1
	mkdir -p "$dev" && echo "fd_dev_name=$2${3:+,$3}" >"$dev/control" && echo 1 >"$dev/enable"
}

# Real I/O over the loopback fabric.
io() {
	# LUN 0's file on a tmpfs (the guest's /tmp is an overlayfs: its
	# reads pass through to the file beneath), LUN 1's in /tmp.
	local core=$1 tpg=$TARGET/loopback/$WWN/tpgt_1 img=/tmp/fileio-tmpfs/io.$1 img2=/tmp/fileio-io2.$1 dev dev1
	rm -f $img2
	expect "$core: a tmpfs for LUN 0's file" sh -c "
		mkdir -p /tmp/fileio-tmpfs && mount -t tmpfs -o size=96M fileio /tmp/fileio-tmpfs"
	expect "$core: a 64 MiB fileio device on a new file in the tmpfs" fileio f0 $img fd_dev_size=$((64 * MiB))
	expect "$core: UNMAP and WRITE SAME with UNMAP turned on" sh -c "
		echo 1 >$TARGET/core/fileio_0/f0/attrib/emulate_tpu && echo 1 >$TARGET/core/fileio_0/f0/attrib/emulate_tpws"
	expect "$core: a buffered 8 MiB one" fileio f1 $img2 fd_dev_size=$((8 * MiB)),fd_buffered_io=1
	expect "$core: the buffered device's queue depth set to 16" sh -c "
		echo 16 >$TARGET/core/fileio_0/f1/attrib/queue_depth"
	expect "$core: a loopback TPG and nexus" sh -c "mkdir -p $tpg && echo $INITIATOR >$tpg/nexus"
	expect "$core: LUNs 0 and 1 linked" sh -c "
		mkdir $tpg/lun/lun_0 && ln -s $TARGET/core/fileio_0/f0 $tpg/lun/lun_0/f0 &&
		mkdir $tpg/lun/lun_1 && ln -s $TARGET/core/fileio_0/f1 $tpg/lun/lun_1/f1"
	dev=$(loop_disk "$WWN" 1 0) || fail "$core: LUN 0 did not become a SCSI disk"
	dev1=$(loop_disk "$WWN" 1 1) || fail "$core: LUN 1 did not become a SCSI disk"
	pass "$core: LUNs 0 and 1 are $dev and $dev1"
	expect_errno EINVAL "$core: queue_depth cannot change while the device is exported" \
		bash -c "echo 8 >$TARGET/core/fileio_0/f1/attrib/queue_depth"
	# The initiator's queue of each LUN (lio-differences.md: tcm_loop
	# gives every LUN the host's 1024 commands and 0xFFFF sectors).
	local attrib=$TARGET/core/fileio_0/f0/attrib largest
	largest=$(($(cat $attrib/hw_max_sectors) * $(cat $attrib/block_size) / 512))
	[ $largest -gt 65535 ] && largest=65535
	echo "queue depth $(cat /sys/block/${dev1#/dev/}/device/queue_depth)" \
		"max_hw_sectors_kb $(cat /sys/block/${dev#/dev/}/queue/max_hw_sectors_kb) of $((largest / 2))" \
		>/tmp/fileio-queue.$core
	cat /tmp/fileio-queue.$core
	if [ "$core" = tcm ]; then
		expect "tcm: LUN 1 queues as many commands as its device's queue_depth (16)" \
			test "$(cat /sys/block/${dev1#/dev/}/device/queue_depth)" = 16
		expect "tcm: LUN 0's largest command is its device's hw_max_sectors" \
			test "$(cat /sys/block/${dev#/dev/}/queue/max_hw_sectors_kb)" = $((largest / 2))
	fi
	expect "$core: LUN 0 is 64 MiB" test "$(blockdev --getsize64 $dev)" = $((64 * MiB))
	expect "$core: LUN 1 is 8 MiB" test "$(blockdev --getsize64 $dev1)" = $((8 * MiB))
	sg_inq $dev | grep -E 'Product identification|Product revision' | sed 's/^ *//' >/tmp/fileio-inq.$core
	expect "$core: the empty file reads as zeroes" sh -c "
		dd if=$dev bs=1M count=64 iflag=direct status=none | cmp - /dev/zero 2>&1 | grep -q EOF"
	expect "$core: a pattern written with dd at 1 MiB reads back" sh -c "
		head -c 4M /dev/urandom >/tmp/pattern &&
		dd if=/tmp/pattern of=$dev bs=128k seek=8 oflag=direct status=none &&
		dd if=$dev bs=128k skip=8 count=32 iflag=direct status=none | cmp - /tmp/pattern"
	expect "$core: the pattern is in the backing file at 1 MiB" \
		cmp -n $((4 * MiB)) -i $MiB:0 $img /tmp/pattern
	# tcm-rs writes over the pages a tmpfs file holds in place, and brings
	# the file's modification time up to date within 10 ms.
	expect "$core: another pattern written over it reaches the file, and moves its modification time" sh -c "
		head -c 4M /dev/urandom >/tmp/pattern2 && touch -d 2001-01-01 $img &&
		dd if=/tmp/pattern2 of=$dev bs=128k seek=8 oflag=direct status=none &&
		cmp -n $((4 * MiB)) -i $MiB:0 $img /tmp/pattern2 &&
		for i in \$(seq 20); do test \$(stat -c %Y $img) -gt 978307200 && exit 0; sleep 0.1; done; exit 1"
	expect "$core: the first pattern written again over it" sh -c "
		dd if=/tmp/pattern of=$dev bs=4k seek=256 oflag=direct status=none &&
		cmp -n $((4 * MiB)) -i $MiB:0 $img /tmp/pattern"
	# tcm-rs copies a read of a tmpfs file from its page cache in place,
	# and leaves the rest (holes, pages never written) to shmem's own read:
	# what the file holds now is what the LUN reads.
	expect "$core: data written into the file beside the LUN reads through it" sh -c "
		dd if=/tmp/pattern of=$img bs=64k count=4 seek=128 conv=notrunc status=none &&
		dd if=$dev bs=64k skip=128 count=4 iflag=direct status=none | cmp -n 262144 - /tmp/pattern"
	expect "$core: blocks fallocated in the file and never written read as zeroes" sh -c "
		fallocate -o $((40 * MiB)) -l $MiB $img &&
		dd if=$dev bs=1M skip=40 count=1 iflag=direct status=none | cmp - /dev/zero 2>&1 | grep -q EOF"
	expect "$core: a block written among them reaches the file" sh -c "
		dd if=/tmp/pattern of=$dev bs=4k count=1 seek=$((40 * 256 + 1)) oflag=direct status=none &&
		cmp -n 4096 -i $((40 * MiB + 4096)):0 $img /tmp/pattern"
	# How Linux discards on the disk (UNMAP or WRITE SAME, and how much at
	# once) follows from READ CAPACITY(16) and VPD pages B0h and B2h:
	# compared with LIO's below.
	local sd=${dev#/dev/}
	echo "discard: $(cat /sys/block/$sd/device/scsi_disk/*/provisioning_mode) max $(cat /sys/block/$sd/queue/discard_max_bytes)" \
		>/tmp/fileio-discard.$core
	expect "$core: the disk takes discards" test "$(cat /sys/block/$sd/queue/discard_max_bytes)" -gt 0
	expect "$core: blkdiscard of 1 MiB inside the pattern (UNMAP) punches a hole in the file" sh -c "
		before=\$(stat -c %b $img) && blkdiscard -o $((2 * MiB)) -l $MiB $dev &&
		test \$(stat -c %b $img) -lt \$before"
	expect "$core: the discarded range reads as zeroes, the rest of the pattern is intact" sh -c "
		dd if=$dev bs=1M skip=2 count=1 iflag=direct status=none | cmp - /dev/zero 2>&1 | grep -q EOF &&
		cmp -n $MiB -i $MiB:0 $img /tmp/pattern && cmp -n $((2 * MiB)) -i $((3 * MiB)):$((2 * MiB)) $img /tmp/pattern"
	expect "$core: WRITE SAME(16) with UNMAP deallocates too" sh -c "
		dd if=/tmp/pattern of=$dev bs=1M seek=2 count=1 oflag=direct status=none &&
		before=\$(stat -c %b $img) &&
		sg_write_same --16 --unmap --lba=4096 --num=2048 --in=/dev/zero --xferlen=512 $dev &&
		test \$(stat -c %b $img) -lt \$before &&
		dd if=$dev bs=1M skip=2 count=1 iflag=direct status=none | cmp - /dev/zero 2>&1 | grep -q EOF"
	# Linux discards with WRITE SAME(16) (both cores say LBPWS): UNMAP
	# itself through sg_unmap.
	expect "$core: UNMAP of 2048 blocks deallocates them" sh -c "
		dd if=/tmp/pattern of=$dev bs=1M seek=2 count=1 oflag=direct status=none &&
		before=\$(stat -c %b $img) && sg_unmap --force --lba=4096 --num=2048 $dev &&
		test \$(stat -c %b $img) -lt \$before &&
		dd if=$dev bs=1M skip=2 count=1 iflag=direct status=none | cmp - /dev/zero 2>&1 | grep -q EOF"
	expect "$core: UNMAP of more than max_unmap_lba_count blocks is refused (ILLEGAL REQUEST)" \
		sh -c "sg_unmap --force --lba=0 --num=8193 $dev 2>/dev/null; test \$? = 5"
	expect "$core: UNMAP past the end is refused (LOGICAL BLOCK ADDRESS OUT OF RANGE)" \
		sh -c "sg_unmap --force --lba=$((64 * 2048 - 1)) --num=2 $dev >/tmp/unmap.out 2>&1; cat /tmp/unmap.out; grep -qi 'out of range' /tmp/unmap.out"
	expect "$core: WRITE SAME of more than max_write_same_len (4096) blocks is refused" \
		sh -c "sg_write_same --16 --lba=0 --num=4097 --in=/dev/zero --xferlen=512 $dev 2>/dev/null; test \$? = 5"
	expect "$core: WRITE SAME of 4096 blocks writes them" sh -c "
		head -c 512 /dev/urandom >/tmp/block &&
		sg_write_same --16 --lba=8192 --num=4096 --in=/tmp/block --xferlen=512 $dev &&
		for i in 0 1 4095; do dd if=$dev bs=512 skip=\$((8192 + i)) count=1 iflag=direct status=none | cmp - /tmp/block || exit 1; done"
	expect "$core: the buffered LUN has its write cache on (caching page, WCE)" sh -c "
		test \"\$(sg_modes -p 8 -r $dev1 | od -An -tx1 -j 18 -N 1 | tr -d ' ')\" = 04"
	expect "$core: a FUA write to it (WRITE(10), FUA) is taken" \
		sg_raw -s 512 -i /tmp/block $dev1 2a 08 00 00 00 10 00 00 01 00
	expect "$core: the FUA block is in the file" sh -c "dd if=$img2 bs=512 skip=16 count=1 status=none | cmp - /tmp/block"
	expect "$core: SYNCHRONIZE CACHE on it" sg_sync $dev1
	expect "$core: the last block written" sh -c "
		head -c 512 /dev/urandom >/tmp/last &&
		dd if=/tmp/last of=$dev bs=512 seek=$((64 * 2048 - 1)) oflag=direct status=none &&
		test \$(stat -c %s $img) = $((64 * MiB)) && tail -c 512 $img | cmp - /tmp/last"
	expect "$core: fio random writes with crc32c verify, 4k to 64k, QD 16" \
		fio --name=verify --filename=$dev --ioengine=libaio --direct=1 \
		--rw=randwrite --bsrange=4k-64k --size=16M --iodepth=16 --numjobs=1 \
		--verify=crc32c --verify_fatal=1 --verify_state_save=0 --do_verify=1 --output=/tmp/fio.$core
	expect "$core: fio mixed random read/write, two jobs, verified" \
		fio --name=mixed --filename=$dev --ioengine=psync --direct=1 \
		--rw=randrw --bs=4k --size=4M --numjobs=2 --offset_increment=8M \
		--verify=crc32c --verify_fatal=1 --verify_state_save=0 --output=/tmp/fio2.$core
	expect "$core: fio on the buffered LUN, verified" \
		fio --name=buffered --filename=$dev1 --ioengine=libaio --direct=1 \
		--rw=randwrite --bsrange=4k-64k --size=8M --iodepth=16 \
		--verify=crc32c --verify_fatal=1 --verify_state_save=0 --output=/tmp/fio3.$core
	expect "$core: mkfs.ext4" mkfs.ext4 -q -F $dev
	expect "$core: a file tree written and checksummed" sh -c "
		mkdir -p /tmp/lun && mount $dev /tmp/lun &&
		mkdir -p /tmp/lun/a/b && head -c 3M /dev/urandom >/tmp/lun/a/b/big &&
		for i in \$(seq 40); do head -c \$((i * 997)) /dev/urandom >/tmp/lun/a/f\$i; done &&
		(cd /tmp/lun && find a -type f | sort | xargs sha256sum) >/tmp/sums && umount /tmp/lun"
	expect "$core: fsck finds the file system clean" fsck.ext4 -f -n $dev
	expect "$core: remounted, every file checks" sh -c "
		mount $dev /tmp/lun && (cd /tmp/lun && sha256sum -c --quiet /tmp/sums) && umount /tmp/lun"
	expect "$core: a pattern on the buffered LUN" sh -c "
		dd if=/tmp/pattern of=$dev1 bs=64k oflag=direct status=none"
	expect "$core: unlink the LUNs" sh -c "
		rm $tpg/lun/lun_0/f0 $tpg/lun/lun_1/f1 && rmdir $tpg/lun/lun_0 $tpg/lun/lun_1"
	expect "$core: rmdir the devices (the files close)" rmdir $TARGET/core/fileio_0/f0 $TARGET/core/fileio_0/f1
	expect "$core: the file system is in the backing file" fsck.ext4 -f -n $img
	expect "$core: the buffered LUN's data is in its file" cmp -n $((4 * MiB)) $img2 /tmp/pattern
	expect "$core: the tmpfs unmounts" sh -c "umount /tmp/fileio-tmpfs && rmdir /tmp/fileio-tmpfs"

	# A block device: the LUN's size is the device's.
	local loopdev dev2
	truncate -s 12M /tmp/fileio-bdev.$core
	loopdev=$(losetup -f --show /tmp/fileio-bdev.$core) || fail "$core: losetup"
	expect "$core: a fileio device on $loopdev" fileio f2 $loopdev
	# LUN 2, in a TPG without LUN 0: the midlayer adds it all the same.
	expect "$core: linked as LUN 2" sh -c "
		mkdir $tpg/lun/lun_2 && ln -s $TARGET/core/fileio_0/f2 $tpg/lun/lun_2/f2"
	dev2=$(loop_disk "$WWN" 1 2) || fail "$core: LUN 2 did not become a SCSI disk"
	expect "$core: LUN 2 ($dev2) is 12 MiB" test "$(blockdev --getsize64 $dev2)" = $((12 * MiB))
	expect "$core: a pattern written through LUN 2 is on $loopdev" sh -c "
		dd if=/tmp/pattern of=$dev2 bs=128k seek=16 oflag=direct status=none &&
		dd if=$loopdev bs=128k skip=16 count=32 iflag=direct status=none | cmp - /tmp/pattern"
	expect "$core: fio on the block device's LUN, verified" \
		fio --name=bdev --filename=$dev2 --ioengine=libaio --direct=1 \
		--rw=randwrite --bsrange=4k-64k --size=12M --iodepth=16 \
		--verify=crc32c --verify_fatal=1 --verify_state_save=0 --output=/tmp/fio4.$core
	expect "$core: teardown" sh -c "rm $tpg/lun/lun_2/f2 && rmdir $tpg/lun/lun_2 &&
		echo NULL >$tpg/nexus && rmdir $tpg $TARGET/loopback/$WWN &&
		rmdir $TARGET/core/fileio_0/f2 $TARGET/core/fileio_0"
	expect "$core: the loop device is free again" losetup -d $loopdev
	rm -f $img $img2 /tmp/fileio-bdev.$core /tmp/pattern /tmp/pattern2 /tmp/last /tmp/sums /tmp/block
}

echo "--- LIO (target_core_file)"
expect "LIO loads" modprobe target_core_mod
exercise lio
lio_io=false
if lio_loopback_teardown_safe; then
	expect "tcm_loop loads" modprobe tcm_loop
	io lio
	lio_io=true
fi
expect "LIO unloads" lio_unload

echo "--- tcm-rs (tcm_rs_fileio)"
expect "tcm_rs_core loads" modprobe tcm_rs_core
exercise tcm
expect "the fileio backstore was loaded on demand" test -e /sys/module/tcm_rs_fileio

# Where tcm-rs refuses what LIO ignores or misreads (lio-differences.md).
dev=$TARGET/core/fileio_1/f9
mkdir -p $dev
expect_errno EINVAL "control refuses an unknown key (LIO ignores it)" bash -c "echo bogus=1 >$dev/control"
expect_errno EINVAL "control refuses a half-good write" bash -c "echo fd_dev_name=/tmp/f9,bogus >$dev/control"
expect_errno EINVAL "control refuses fd_buffered_io=yes (LIO ignores it)" bash -c "echo fd_buffered_io=yes >$dev/control"
expect_errno EINVAL "control refuses an empty fd_dev_name" bash -c "echo fd_dev_name= >$dev/control"
expect_errno EINVAL "control refuses a 256-byte fd_dev_name (LIO truncates it)" bash -c "echo fd_dev_name=/$(head -c 255 /dev/zero | tr '\0' x) >$dev/control"
expect "a refused write changed nothing" bash -c "tr -s ' ' <$dev/info | grep -q 'File: Size: 0 Mode: O_DSYNC Async: 0'"
expect "fd_dev_size=0 is taken" bash -c "echo fd_dev_name=/tmp/f9,fd_dev_size=0 >$dev/control"
expect_errno EINVAL "but a device without one block does not enable (LIO's size underflows)" bash -c "echo 1 >$dev/enable"
expect "the device stays disabled" test "$(cat $dev/enable)" = 0
expect "fd_async_io=1 is taken and shown" bash -c "echo fd_dev_size=4096,fd_async_io=1 >$dev/control && tr -s ' ' <$dev/info | grep -q 'File: /tmp/f9 Size: 4096 Mode: O_DSYNC Async: 1'"
expect "then it enables" bash -c "echo 1 >$dev/enable"
expect_errno EBUSY "control is refused once enabled (LIO ignores it)" bash -c "echo fd_dev_size=8192 >$dev/control"
expect "the backstore cannot unload while an HBA uses it" bash -c "! modprobe -r tcm_rs_fileio 2>/dev/null && test -e /sys/module/tcm_rs_fileio"
expect "rmdir device and HBA" rmdir $dev $TARGET/core/fileio_1
rm -f /tmp/f9
expect "tcm_rs_loop loads" modprobe tcm_rs_loop
io tcm

# A file on ext4 (on a loop device): the reads its page cache holds run
# where the initiator queued them, without sleeping (IOCB_NOWAIT, which
# tmpfs ignores); the rest, and every write, on the backstore's workqueue.
echo "--- tcm-rs: a fileio device on ext4"
tpg=$TARGET/loopback/$WWN/tpgt_1 e0=$TARGET/core/fileio_5/e0
truncate -s 96M /tmp/fileio-ext4.fs
lo=$(losetup -f --show /tmp/fileio-ext4.fs) || fail "losetup"
expect "ext4 on $lo" sh -c "mkfs.ext4 -q -F $lo && mkdir -p /tmp/fileio-ext4 && mount $lo /tmp/fileio-ext4"
expect "a 32 MiB fileio device on a file there, LUN 0 of a loopback TPG" sh -c "
	mkdir -p $e0 && echo fd_dev_name=/tmp/fileio-ext4/e0.img,fd_dev_size=33554432 >$e0/control &&
	echo 1 >$e0/enable && mkdir -p $tpg && echo $INITIATOR >$tpg/nexus &&
	mkdir $tpg/lun/lun_0 && ln -s $e0 $tpg/lun/lun_0/e0"
dev=$(loop_disk "$WWN" 1 0) || fail "no disk for the ext4 file"
expect "fio random writes with crc32c verify, read back from the page cache, QD 16" \
	fio --name=ext4 --filename=$dev --ioengine=libaio --direct=1 --rw=randwrite --bsrange=4k-64k \
	--size=16M --iodepth=16 --verify=crc32c --verify_fatal=1 --verify_state_save=0 --do_verify=1 \
	--output=/tmp/fio-ext4.tcm
expect "the same after the page cache is dropped (every read from the disk)" sh -c "
	echo 3 >/proc/sys/vm/drop_caches &&
	fio --name=ext4 --filename=$dev --ioengine=libaio --direct=1 --rw=randwrite --bsrange=4k-64k \
	--size=16M --iodepth=16 --verify=crc32c --verify_only=1 --verify_fatal=1 --verify_state_save=0 \
	--output=/tmp/fio-ext4b.tcm"
expect "two jobs of random reads and writes, verified" \
	fio --name=mixed --filename=$dev --ioengine=libaio --direct=1 --rw=randrw --bs=4k --size=4M \
	--numjobs=2 --offset_increment=8M --iodepth=8 --verify=crc32c --verify_fatal=1 \
	--verify_state_save=0 --output=/tmp/fio-ext4c.tcm
expect "teardown of the ext4 device" sh -c "rm $tpg/lun/lun_0/e0 && rmdir $tpg/lun/lun_0 &&
	echo NULL >$tpg/nexus && rmdir $tpg $TARGET/loopback/$WWN && rmdir $e0 $TARGET/core/fileio_5 &&
	umount /tmp/fileio-ext4 && losetup -d $lo"
rm -f /tmp/fileio-ext4.fs

# tcm_unload does not know tcm_rs_fileio yet.
expect "tcm-rs unloads" bash -c ". $TCM_ROOT/tests/vm/lib.sh && remove_fabric_dirs &&
	unload_modules tcm_rs_loop tcm_rs_fileio tcm_rs_core && ! test -e /sys/module/tcm_rs_core"

if ! diff -u /tmp/fileio.lio /tmp/fileio.tcm; then
	fail "tcm-rs differs from LIO (above)"
fi
pass "fileio info, attributes and errors are LIO's"
if $lio_io; then
	if ! diff -u /tmp/fileio-inq.lio /tmp/fileio-inq.tcm; then
		fail "INQUIRY product or revision differs from LIO (above)"
	fi
	pass "INQUIRY says FILEIO 4.0, as LIO"
	if ! diff -u /tmp/fileio-discard.lio /tmp/fileio-discard.tcm; then
		fail "Linux discards differently on tcm-rs (above)"
	fi
	pass "Linux discards as on LIO: $(cat /tmp/fileio-discard.tcm)"
fi
rm -f /tmp/fileio.lio /tmp/fileio.tcm /tmp/fileio-inq.lio /tmp/fileio-inq.tcm /tmp/fileio-discard.lio /tmp/fileio-discard.tcm
