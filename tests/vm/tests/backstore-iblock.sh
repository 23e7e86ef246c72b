# The iblock backstore: the same configfs steps against LIO's
# target_core_iblock and against tcm_rs_iblock (names, info, attributes,
# error codes and the exclusive claim compared), then real I/O through the
# loopback fabric on memory-backed null_blk disks (512- and 4096-byte
# blocks, one with a volatile write cache, one read-only, one with bad
# blocks), with the data checked on the block devices themselves.
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000001
INITIATOR=naa.5001405000000002
MiB=1048576
NULLB=$CONFIGFS/nullb

# Attributes a backstore sets (or LIO's iblock sets at enable).
ATTRS="block_size hw_block_size hw_max_sectors hw_queue_depth queue_depth is_nonrot emulate_write_cache max_write_same_len max_unmap_lba_count max_unmap_block_desc_count unmap_granularity unmap_granularity_alignment"
attrs() { (cd "$1/attrib" && for a in $ATTRS; do printf '%s=%s ' $a "$(cat $a 2>/dev/null)"; done); echo; }

# nullb NAME MIB BLOCKSIZE [ATTR=VALUE...]: a memory-backed null_blk disk
# /dev/NAME, empty.
nullb() {
	local d=$NULLB/$1 kv
	mkdir "$d" && echo "$2" >"$d/size" && echo "$3" >"$d/blocksize" &&
		echo 1 >"$d/memory_backed" || return 1
	shift 3
	for kv; do echo "${kv#*=}" >"$d/${kv%%=*}" || return 1; done
	echo 1 >"$d/power" && test -b "/dev/${d##*/}"
}
nullb_del() {
	local n
	for n; do echo 0 >"$NULLB/$n/power" && rmdir "$NULLB/$n" || return 1; done
}
# claimed DEV: some holder has DEV open exclusively (an O_EXCL open fails).
claimed() {
	! python3 -c "import os, sys; os.close(os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL))" "$1" 2>/dev/null
}

# The helpers run in `bash -c` too.
export NULLB TARGET
export -f nullb nullb_del claimed

expect "null_blk loads without devices" modprobe null_blk nr_devices=0
expect "null_blk's configfs is there" test -d $NULLB

# configfs steps, common to both cores; what a person would look at goes
# to /tmp/iblock.$1.
exercise() {
	local core=$1 hba=$TARGET/core/iblock_2 dev=$TARGET/core/iblock_2/b0
	expect "$core: disks cfg512 (512-byte blocks, discard), cfg4k (4096) and cfgro" bash -c "
		nullb cfg512 32 512 discard=1 && nullb cfg4k 16 4096 && nullb cfgro 8 512"
	expect "$core: cfgro is read-only" blockdev --setro /dev/cfgro
	expect "$core: mkdir makes an iblock HBA" mkdir $hba
	expect "$core: mkdir makes a device" mkdir $dev
	expect_errno ENODEV "$core: emulate_tpu=1 needs the device enabled" bash -c "echo 1 >$dev/attrib/emulate_tpu"
	local info0; info0=$(tr -s ' ' <$dev/info)
	expect_errno EINVAL "$core: enable without udev_path fails" bash -c "echo 1 >$dev/enable"
	expect "$core: the device is still disabled" test "$(cat $dev/enable)" = 0
	expect "$core: control takes a udev_path that does not exist" bash -c "echo udev_path=/dev/no-such-disk >$dev/control"
	expect_errno ENOENT "$core: enable fails with ENOENT" bash -c "echo 1 >$dev/enable"
	expect "$core: the device is still disabled" test "$(cat $dev/enable)" = 0
	: >/tmp/iblock-notblk
	expect "$core: control takes a regular file" bash -c "echo udev_path=/tmp/iblock-notblk >$dev/control"
	expect_errno ENOTBLK "$core: enable fails with ENOTBLK" bash -c "echo 1 >$dev/enable"
	expect "$core: control takes a read-only disk" bash -c "echo udev_path=/dev/cfgro >$dev/control"
	expect_errno EACCES "$core: it does not enable for writing" bash -c "echo 1 >$dev/enable"
	expect "$core: the device is still disabled" test "$(cat $dev/enable)" = 0
	expect "$core: cfgro was let go again" bash -c "! claimed /dev/cfgro"
	expect "$core: control takes udev_path and readonly=0" bash -c "echo udev_path=/dev/cfg512,readonly=0 >$dev/control"
	local info1; info1=$(tr -s ' ' <$dev/info)
	expect "$core: enable" bash -c "echo 1 >$dev/enable"
	expect "$core: the device is enabled" test "$(cat $dev/enable)" = 1
	expect "$core: cfg512 is claimed" claimed /dev/cfg512
	expect_errno EEXIST "$core: enabling twice is refused" bash -c "echo 1 >$dev/enable"
	expect_errno ENOTEMPTY "$core: an HBA with devices cannot be removed" rmdir $hba

	# A second device on the same disk: the claim refuses it, and a
	# device that does not claim (exclusive=0) shares it.
	local dev2=$TARGET/core/iblock_3/b1
	expect "$core: a second device on cfg512" bash -c "mkdir -p $dev2 && echo udev_path=/dev/cfg512 >$dev2/control"
	expect_errno EBUSY "$core: it does not enable while the first claims the disk" bash -c "echo 1 >$dev2/enable"
	expect "$core: with exclusive=0 it does" bash -c "echo exclusive=0 >$dev2/control && echo 1 >$dev2/enable"

	# 4096-byte blocks, read-only, several keys in one write.
	local dev3=$TARGET/core/iblock_4/b2
	expect "$core: a read-only device on cfg4k" bash -c "mkdir -p $dev3 &&
		echo 'udev_path=/dev/cfg4k,readonly=1' >$dev3/control && echo 1 >$dev3/enable"
	# And on the read-only disk, opened for reading only.
	local dev4=$TARGET/core/iblock_4/b3
	expect "$core: readonly=1 enables on the read-only disk" bash -c "mkdir -p $dev4 &&
		echo 'udev_path=/dev/cfgro,readonly=1' >$dev4/control && echo 1 >$dev4/enable"
	expect_errno ENOSYS "$core: emulate_tpu=1 on a disk without discard" bash -c "echo 1 >$dev3/attrib/emulate_tpu"
	expect "$core: emulate_tpu=1 on the disk that discards" bash -c "echo 1 >$dev/attrib/emulate_tpu && echo 0 >$dev/attrib/emulate_tpu"
	{
		echo "hba_info: $(cat $hba/hba_info)"
		echo "hba_mode: $(cat $hba/hba_mode)"
		echo "info new: $info0"
		echo "info named: $info1"
		echo "info enabled: $(tr -s ' ' <$dev/info)"
		echo "attrib: $(attrs $dev)"
		echo "wwn: $(cat $dev/wwn/vendor_id) $(cat $dev/wwn/product_id) $(cat $dev/wwn/revision)"
		echo "udev_path attribute: '$(cat $dev/udev_path)'"
		echo "shared info: $(tr -s ' ' <$dev2/info)"
		echo "4k read-only info: $(tr -s ' ' <$dev3/info)"
		echo "4k read-only attrib: $(attrs $dev3)"
		echo "ro disk info: $(tr -s ' ' <$dev4/info)"
	} >"/tmp/iblock.$core"
	cat "/tmp/iblock.$core"
	expect "$core: rmdir devices and HBAs" rmdir $dev $hba $dev2 $TARGET/core/iblock_3 $dev3 $dev4 $TARGET/core/iblock_4
	expect "$core: the disks are let go" bash -c "! claimed /dev/cfg512 && ! claimed /dev/cfg4k && ! claimed /dev/cfgro"
	expect "$core: the disks are removed" nullb_del cfg512 cfg4k cfgro
	rm -f /tmp/iblock-notblk
}

# iblock NAME DISK [KEYS]: an enabled iblock device on iblock_0.
iblock() {
	local dev=$TARGET/core/iblock_0/$1
	mkdir -p "$dev" && echo "udev_path=$2${3:+,$3}" >"$dev/control" && echo 1 >"$dev/enable"
}

# READ(10) of 8 blocks at LBA 4096 with sg_raw; prints the sense it got.
read_bad() {
	sg_raw -r 4096 "$1" 28 00 00 00 10 00 00 00 08 00 2>&1
}
export -f iblock read_bad

# Real I/O over the loopback fabric.
io() {
	local core=$1 tpg=$TARGET/loopback/$WWN/tpgt_1 dev dev1 out
	expect "$core: disks io512 (64 MiB, 512-byte blocks, discard) and io4k (16 MiB, 4096, write cache)" bash -c "
		nullb io512 64 512 discard=1 && nullb io4k 16 4096 cache_size=4"
	expect "$core: an iblock device on each" bash -c "iblock i0 /dev/io512 && iblock i1 /dev/io4k"
	# Before the LUNs appear: Linux chooses how to discard at the scan.
	expect "$core: UNMAP and WRITE SAME with UNMAP turned on for i0" bash -c "
		echo 1 >$TARGET/core/iblock_0/i0/attrib/emulate_tpu && echo 1 >$TARGET/core/iblock_0/i0/attrib/emulate_tpws"
	cat $TARGET/core/iblock_0/i1/attrib/emulate_write_cache >/tmp/iblock-wce.$core
	expect "$core: a loopback TPG and nexus" bash -c "mkdir -p $tpg && echo $INITIATOR >$tpg/nexus"
	expect "$core: LUNs 0 and 1 linked" bash -c "
		mkdir $tpg/lun/lun_0 && ln -s $TARGET/core/iblock_0/i0 $tpg/lun/lun_0/i0 &&
		mkdir $tpg/lun/lun_1 && ln -s $TARGET/core/iblock_0/i1 $tpg/lun/lun_1/i1"
	dev=$(loop_disk "$WWN" 1 0) || fail "$core: LUN 0 did not become a SCSI disk"
	dev1=$(loop_disk "$WWN" 1 1) || fail "$core: LUN 1 did not become a SCSI disk"
	pass "$core: LUNs 0 and 1 are $dev and $dev1"
	expect "$core: LUN 0 is 64 MiB of 512-byte blocks" test "$(blockdev --getsize64 $dev) $(blockdev --getss $dev)" = "$((64 * MiB)) 512"
	expect "$core: LUN 1 is 16 MiB of 4096-byte blocks" test "$(blockdev --getsize64 $dev1) $(blockdev --getss $dev1)" = "$((16 * MiB)) 4096"
	sg_inq $dev | grep -E 'Product identification|Product revision' | sed 's/^ *//' >/tmp/iblock-inq.$core
	expect "$core: the new disk reads as zeroes" bash -c "
		dd if=$dev bs=1M count=64 iflag=direct status=none | cmp -n $((64 * MiB)) - /dev/zero"
	expect "$core: a pattern written with dd at 1 MiB reads back" bash -c "
		head -c 4M /dev/urandom >/tmp/pattern &&
		dd if=/tmp/pattern of=$dev bs=128k seek=8 oflag=direct status=none &&
		dd if=$dev bs=128k skip=8 count=32 iflag=direct status=none | cmp - /tmp/pattern"
	expect "$core: the pattern is on io512 at 1 MiB" bash -c "
		dd if=/dev/io512 bs=1M skip=1 count=4 iflag=direct status=none | cmp - /tmp/pattern"
	expect "$core: one 4 MiB write (bios split and chained) is on io512 at 8 MiB" bash -c "
		dd if=/tmp/pattern of=$dev bs=4M seek=2 oflag=direct status=none &&
		dd if=/dev/io512 bs=1M skip=8 count=4 iflag=direct status=none | cmp - /tmp/pattern"
	expect "$core: the last block written" bash -c "
		head -c 512 /dev/urandom >/tmp/last &&
		dd if=/tmp/last of=$dev bs=512 seek=$((64 * 2048 - 1)) oflag=direct status=none &&
		dd if=/dev/io512 bs=512 skip=$((64 * 2048 - 1)) iflag=direct status=none | cmp - /tmp/last"
	# A direct transfer the initiator splits into 256 requests, with 4
	# tags: each command's bio to io512 is submitted inside the
	# initiator's submission, on a bio list of its own, not behind the
	# rest of the split, which waits for the commands' tags (iblock_bio.c;
	# on the initiator's list, tcm-rs deadlocked here). Writing
	# nr_requests takes the queue's elevator lock with the queue frozen:
	# on the debug kernel lockdep checks that the commands' allocations
	# in queuecommand cannot reclaim through I/O (loop_host.c).
	local q=/sys/block/${dev#/dev/}/queue mskb nrq
	mskb=$(cat $q/max_sectors_kb)
	nrq=$(cat $q/nr_requests)
	expect "$core: the disk takes requests of 4 KiB, 4 at a time" bash -c "
		echo 4 >$q/max_sectors_kb && echo 4 >$q/nr_requests"
	expect "$core: a 1 MiB direct write, 256 requests, is on io512" bash -c "
		dd if=/tmp/pattern of=$dev bs=1M seek=16 count=1 oflag=direct status=none &&
		dd if=/dev/io512 bs=1M skip=16 count=1 iflag=direct status=none | cmp - <(head -c $MiB /tmp/pattern)"
	expect "$core: and a 1 MiB direct read of it" bash -c "
		dd if=$dev bs=1M skip=16 count=1 iflag=direct status=none | cmp - <(head -c $MiB /tmp/pattern)"
	expect "$core: the disk's limits back" bash -c "echo $mskb >$q/max_sectors_kb && echo $nrq >$q/nr_requests"
	# How Linux discards on the disk follows from READ CAPACITY(16) and
	# VPD pages B0h and B2h: compared with LIO's below.
	local sd=${dev#/dev/}
	echo "discard: $(cat /sys/block/$sd/device/scsi_disk/*/provisioning_mode) max $(cat /sys/block/$sd/queue/discard_max_bytes)" \
		>/tmp/iblock-discard.$core
	expect "$core: the disk takes discards" test "$(cat /sys/block/$sd/queue/discard_max_bytes)" -gt 0
	expect "$core: blkdiscard of 1 MiB inside the pattern discards it on io512" bash -c "
		blkdiscard -o $((2 * MiB)) -l $MiB $dev &&
		dd if=/dev/io512 bs=1M skip=2 count=1 iflag=direct status=none | cmp -n $MiB - /dev/zero"
	expect "$core: the rest of the pattern is intact" bash -c "
		dd if=/dev/io512 bs=1M skip=1 count=1 iflag=direct status=none | cmp -n $MiB - /tmp/pattern &&
		dd if=/dev/io512 bs=1M skip=3 count=2 iflag=direct status=none | cmp - <(tail -c +$((2 * MiB + 1)) /tmp/pattern)"
	expect "$core: UNMAP of 8 blocks (sg_unmap) discards them on io512" bash -c "
		sg_unmap --force --lba=$((8 * 2048)) --num=8 $dev &&
		dd if=/dev/io512 bs=512 skip=$((8 * 2048)) count=8 iflag=direct status=none | cmp -n 4096 - /dev/zero &&
		dd if=/dev/io512 bs=512 skip=$((8 * 2048 + 8)) count=1 iflag=direct status=none | cmp - <(head -c 4608 /tmp/pattern | tail -c 512)"
	expect "$core: WRITE SAME(16) with UNMAP of zeroes leaves zeroes" bash -c "
		sg_write_same --16 --unmap --lba=$((9 * 2048)) --num=2048 --in=/dev/zero --xferlen=512 $dev &&
		dd if=/dev/io512 bs=1M skip=9 count=1 iflag=direct status=none | cmp -n $MiB - /dev/zero"
	expect "$core: fio random writes with crc32c verify, 4k to 256k, QD 16" \
		fio --name=verify --filename=$dev --ioengine=libaio --direct=1 \
		--rw=randwrite --bsrange=4k-256k --size=16M --iodepth=16 --numjobs=1 \
		--verify=crc32c --verify_fatal=1 --verify_state_save=0 --do_verify=1 --output=/tmp/fio.$core
	expect "$core: fio mixed random read/write, two jobs, verified" \
		fio --name=mixed --filename=$dev --ioengine=psync --direct=1 \
		--rw=randrw --bs=4k --size=4M --numjobs=2 --offset_increment=8M \
		--verify=crc32c --verify_fatal=1 --verify_state_save=0 --output=/tmp/fio2.$core
	expect "$core: fio on the 4k LUN with a write cache, verified" \
		fio --name=cached --filename=$dev1 --ioengine=libaio --direct=1 \
		--rw=randwrite --bsrange=4k-64k --size=16M --iodepth=16 \
		--verify=crc32c --verify_fatal=1 --verify_state_save=0 --output=/tmp/fio3.$core
	expect "$core: a pattern on the 4k LUN, then SYNCHRONIZE CACHE" bash -c "
		dd if=/tmp/pattern of=$dev1 bs=64k oflag=direct status=none && sg_sync $dev1"
	expect "$core: a FUA write to the 4k LUN (WRITE(10), FUA) is on io4k" bash -c "
		head -c 4096 /dev/urandom >/tmp/block &&
		sg_raw -s 4096 -i /tmp/block $dev1 2a 08 00 00 04 00 00 00 01 00 &&
		dd if=/dev/io4k bs=4096 skip=1024 count=1 iflag=direct status=none | cmp - /tmp/block"
	# io4k has FUA (null_blk's default with a cache): a WRITE with FUA is
	# one write with REQ_FUA there, as in LIO, not a write and a flush of
	# the whole cache (null_blk counts both in its disk's stat).
	expect "$core: the initiator may send FUA to the 4k LUN (DPOFUA)" \
		test "$(cat /sys/block/${dev1#/dev/}/queue/fua)" = 1
	expect "$core: 8 FUA writes (WRITE(10), FUA) are 8 writes on io4k and no flush" bash -c "
		read -r w0 f0 < <(awk '{print \$5, \$16}' /sys/block/io4k/stat) &&
		for i in \$(seq 8); do
			sg_raw -s 4096 -i /tmp/block $dev1 2a 08 00 00 04 \$i 00 00 01 00 >/dev/null 2>&1 || exit 1
		done &&
		read -r w1 f1 < <(awk '{print \$5, \$16}' /sys/block/io4k/stat) &&
		echo \"writes \$((w1 - w0)) flushes \$((f1 - f0))\" >/tmp/iblock-fua.$core &&
		test \$((w1 - w0)) = 8 && test \$((f1 - f0)) = 0"
	expect "$core: the FUA writes are on io4k" bash -c "
		for i in \$(seq 8); do
			dd if=/dev/io4k bs=4096 skip=\$((1024 + i)) count=1 iflag=direct status=none | cmp - /tmp/block || exit 1
		done"
	expect "$core: SYNCHRONIZE CACHE is a flush on io4k" bash -c "
		f0=\$(awk '{print \$16}' /sys/block/io4k/stat) && sg_sync $dev1 &&
		test \$(awk '{print \$16}' /sys/block/io4k/stat) -gt \$f0"
	expect "$core: the pattern is on io4k" bash -c "
		dd if=/dev/io4k bs=1M count=4 iflag=direct status=none | cmp - /tmp/pattern"
	expect "$core: SYNCHRONIZE CACHE of a range on LUN 0" sg_sync --lba=2048 --count=8 $dev
	# A write reaches the disk as an O_DIRECT write does, with REQ_SYNC and
	# REQ_IDLE (as LIO's iblock sends it), not as background writeback that
	# wbt throttles and schedulers put last. iosync completes each request
	# after 2 s, so blk-mq's debugfs shows the write in flight.
	local dev3
	expect "$core: a disk iosync whose requests take 2 s, as LUN 2" bash -c "
		nullb iosync 4 512 memory_backed=0 irqmode=2 completion_nsec=2000000000 &&
		iblock i3 /dev/iosync && mkdir $tpg/lun/lun_2 && ln -s $TARGET/core/iblock_0/i3 $tpg/lun/lun_2/i3"
	dev3=$(loop_disk "$WWN" 1 2) || fail "$core: LUN 2 did not become a SCSI disk"
	expect "$core: a write through LUN 2 is SYNC and IDLE on iosync" bash -c "
		dd if=/tmp/block of=$dev3 bs=4096 count=1 oflag=direct status=none & dd=\$!
		flags=
		for i in \$(seq 100); do
			flags=\$(grep -ho 'op=WRITE, .cmd_flags=[^,]*' /sys/kernel/debug/block/iosync/hctx*/busy) && break
			sleep 0.02
		done
		wait \$dd && echo \"\$flags\" >/tmp/iblock-sync.$core &&
			grep -qw SYNC /tmp/iblock-sync.$core && grep -qw IDLE /tmp/iblock-sync.$core"
	expect "$core: LUN 2 and iosync removed" bash -c "
		rm $tpg/lun/lun_2/i3 && rmdir $tpg/lun/lun_2 && rmdir $TARGET/core/iblock_0/i3 && nullb_del iosync"
	expect "$core: mkfs.ext4" mkfs.ext4 -q -F $dev
	expect "$core: a file tree written and checksummed" bash -c "
		mkdir -p /tmp/lun && mount $dev /tmp/lun &&
		mkdir -p /tmp/lun/a/b && head -c 3M /dev/urandom >/tmp/lun/a/b/big &&
		for i in \$(seq 40); do head -c \$((i * 997)) /dev/urandom >/tmp/lun/a/f\$i; done &&
		(cd /tmp/lun && find a -type f | sort | xargs sha256sum) >/tmp/sums && umount /tmp/lun"
	expect "$core: fsck finds the file system clean" fsck.ext4 -f -n $dev
	expect "$core: remounted, every file checks" bash -c "
		mount $dev /tmp/lun && (cd /tmp/lun && sha256sum -c --quiet /tmp/sums) && umount /tmp/lun"

	# A failed bio fails the command (null_blk fails I/O to bad blocks).
	expect "$core: blocks 4096-4103 of io512 go bad" bash -c "echo +4096-4103 >$NULLB/io512/badblocks"
	if out=$(read_bad $dev); then fail "$core: a READ of bad blocks succeeded"; fi
	pass "$core: a READ of bad blocks fails"
	echo "$out" | grep -iE 'sense|error' | head -n 3 >/tmp/iblock-bad.$core
	expect "$core: the blocks are good again" bash -c "echo -4096-4103 >$NULLB/io512/badblocks && read_bad $dev >/dev/null"

	expect "$core: unlink the LUNs" bash -c "
		rm $tpg/lun/lun_0/i0 $tpg/lun/lun_1/i1 && rmdir $tpg/lun/lun_0 $tpg/lun/lun_1"
	expect "$core: io512 is claimed until its device goes" claimed /dev/io512
	expect "$core: rmdir the devices (the disks are let go)" rmdir $TARGET/core/iblock_0/i0 $TARGET/core/iblock_0/i1
	expect "$core: io512 and io4k are free" bash -c "! claimed /dev/io512 && ! claimed /dev/io4k"
	expect "$core: the file system is on io512" fsck.ext4 -f -n /dev/io512

	# Read-only: the data reads, a write fails and changes nothing.
	local dev2
	expect "$core: a disk ioro with a pattern" bash -c "nullb ioro 8 512 &&
		dd if=/tmp/pattern of=/dev/ioro bs=1M oflag=direct status=none"
	expect "$core: a read-only iblock device on it" iblock i2 /dev/ioro readonly=1
	# LUN 0 again: tcm_rs_loop cannot yet add another LUN to a TPG
	# without LUN 0 (ENODEV from the SCSI scan), which LIO can.
	expect "$core: linked as LUN 0" bash -c "
		mkdir $tpg/lun/lun_0 && ln -s $TARGET/core/iblock_0/i2 $tpg/lun/lun_0/i2"
	dev2=$(loop_disk "$WWN" 1 0) || fail "$core: LUN 0 did not become a SCSI disk"
	expect "$core: the pattern reads through LUN 0 ($dev2)" bash -c "
		dd if=$dev2 bs=1M count=4 iflag=direct status=none | cmp - /tmp/pattern"
	expect "$core: the initiator sees a write-protected disk (MODE SENSE WP)" test "$(blockdev --getro "$dev2")" = 1
	expect "$core: a write through LUN 0 fails" bash -c "
		! dd if=/dev/zero of=$dev2 bs=4k count=1 oflag=direct status=none 2>/dev/null"
	if [ "$core" = tcm ]; then
		# Past the initiator's check (LIO checks only the mapped LUN's
		# flag and hands the write to iblock: lio-differences.md).
		sg_requests "$(sg_of "$dev2")" >/dev/null 2>&1 || true
		expect "tcm: a WRITE sent anyway gets DATA PROTECT, WRITE PROTECTED" bash -c "
			sg_raw -s 512 -i /tmp/block $(sg_of "$dev2") 2a 00 00 00 00 00 00 00 01 00 2>&1 |
				grep -qi 'write protected'"
	fi
	expect "$core: and ioro is unchanged" bash -c "
		dd if=/dev/ioro bs=1M count=4 iflag=direct status=none | cmp - /tmp/pattern"
	expect "$core: teardown" bash -c "rm $tpg/lun/lun_0/i2 && rmdir $tpg/lun/lun_0 &&
		echo NULL >$tpg/nexus && rmdir $tpg $TARGET/loopback/$WWN &&
		rmdir $TARGET/core/iblock_0/i2 $TARGET/core/iblock_0"
	expect "$core: the disks are removed" nullb_del io512 io4k ioro
	rm -f /tmp/pattern /tmp/last /tmp/sums /tmp/block
}

# Debian's targetcli-fb and rtslib-fb, unmodified: a block backstore
# created, saved, cleared and restored; the saved configuration goes to
# /tmp/iblock-tcli.$1.json (less the random serial) for the comparison.
tcli() {
	printf '%s\n' "$@" | targetcli >/dev/null
}
targetcli_block() {
	local core=$1 work=/tmp/iblock-tcli
	mkdir -p $work
	expect "$core: a disk for targetcli-fb" nullb tcli0 16 512
	expect "$core: targetcli-fb creates a read-only block backstore and saves" tcli \
		"/backstores/block create name=b0 dev=/dev/tcli0 readonly=true" \
		"saveconfig $work/$core-1.json"
	expect "$core: the device is enabled on tcli0, read-only" bash -c "
		test \$(cat $TARGET/core/iblock_*/b0/enable) = 1 &&
		tr -s ' ' <$TARGET/core/iblock_*/b0/info | grep -q 'UDEV PATH: /dev/tcli0 readonly: 1'"
	expect "$core: clearconfig lets the disk go" bash -c "
		printf '%s\n' 'clearconfig confirm=True' | targetcli >/dev/null && ! claimed /dev/tcli0"
	expect "$core: restoreconfig and save again" tcli "restoreconfig $work/$core-1.json" "saveconfig $work/$core-2.json"
	expect "$core: the same configuration comes back" \
		cmp <(jq -S . $work/$core-1.json) <(jq -S . $work/$core-2.json)
	jq -S 'del(.storage_objects[].wwn)' $work/$core-1.json >/tmp/iblock-tcli.$core.json
	expect "$core: clearconfig" tcli "clearconfig confirm=True"
	expect "$core: the disk is removed" nullb_del tcli0
	rm -rf $work
}

start_dbus
echo "--- LIO (target_core_iblock)"
expect "LIO loads" modprobe target_core_mod
exercise lio
lio_io=false
if lio_loopback_teardown_safe; then
	expect "tcm_loop loads" modprobe tcm_loop
	io lio
	lio_io=true
fi
# targetcli-fb takes minutes under TCG on the debug kernel; the
# configfs steps it makes are the exercise above's.
tcli_fb=false
if release_only "targetcli-fb's block backstore"; then
	tcli_fb=true
	targetcli_block lio
fi
expect "LIO unloads" lio_unload

echo "--- tcm-rs (tcm_rs_iblock)"
expect "tcm_rs_core loads" modprobe tcm_rs_core
exercise tcm
expect "the iblock backstore was loaded on demand" test -e /sys/module/tcm_rs_iblock

# Where tcm-rs refuses what LIO ignores or misreads (lio-differences.md).
dev=$TARGET/core/iblock_1/b9
mkdir -p $dev
expect_errno EINVAL "control refuses an unknown key (LIO ignores it)" bash -c "echo bogus=1 >$dev/control"
expect_errno EINVAL "control refuses a half-good write" bash -c "echo udev_path=/dev/null,bogus >$dev/control"
expect_errno EINVAL "control refuses readonly=2 (LIO takes it as 1)" bash -c "echo readonly=2 >$dev/control"
expect_errno EINVAL "control refuses readonly=yes (LIO ignores it)" bash -c "echo readonly=yes >$dev/control"
expect_errno EINVAL "control refuses exclusive=-1 (LIO takes it as 1)" bash -c "echo exclusive=-1 >$dev/control"
expect_errno EINVAL "control refuses force=x (LIO ignores it)" bash -c "echo force=x >$dev/control"
expect_errno EINVAL "control refuses an empty udev_path" bash -c "echo udev_path= >$dev/control"
expect_errno EINVAL "control refuses a 512-byte udev_path (LIO truncates it)" bash -c "echo udev_path=/$(head -c 511 /dev/zero | tr '\0' x) >$dev/control"
expect "a refused write changed nothing" bash -c "tr -s ' ' <$dev/info | grep -qx ' readonly: 0'"
expect "force=1 is taken (and ignored, as LIO)" bash -c "echo force=1 >$dev/control"
expect "exclusive=0x0 is taken (kstrtoul syntax) and shown" bash -c "echo exclusive=0x0 >$dev/control && tr -s ' ' <$dev/info | grep -qx ' exclusive: 0'"
expect "a disk for the last checks" nullb last 8 512
expect "then it enables" bash -c "echo udev_path=/dev/last >$dev/control && echo 1 >$dev/enable"
expect_errno EBUSY "control is refused once enabled (LIO: EEXIST for udev_path, others ignored)" bash -c "echo readonly=1 >$dev/control"
expect "the backstore cannot unload while an HBA uses it" bash -c "! modprobe -r tcm_rs_iblock 2>/dev/null && test -e /sys/module/tcm_rs_iblock"
expect "rmdir device and HBA" rmdir $dev $TARGET/core/iblock_1
expect "the disk is removed" nullb_del last
expect "tcm_rs_loop loads" modprobe tcm_rs_loop
io tcm
if $tcli_fb; then targetcli_block tcm; fi
expect "tcm-rs unloads" tcm_unload
expect "tcm_rs_iblock is gone" test ! -e /sys/module/tcm_rs_iblock
expect "null_blk unloads" modprobe -r null_blk

if ! diff -u /tmp/iblock.lio /tmp/iblock.tcm; then
	fail "tcm-rs differs from LIO (above)"
fi
pass "iblock info, attributes, claims and errors are LIO's"
if $tcli_fb; then
	if ! diff -u /tmp/iblock-tcli.lio.json /tmp/iblock-tcli.tcm.json; then
		fail "targetcli-fb saves another configuration from tcm-rs (above)"
	fi
	pass "targetcli-fb saves the same block backstore from both"
fi
if $lio_io; then
	if ! diff -u /tmp/iblock-inq.lio /tmp/iblock-inq.tcm; then
		fail "INQUIRY product or revision differs from LIO (above)"
	fi
	pass "INQUIRY says IBLOCK 4.0, as LIO"
	if ! diff -u /tmp/iblock-discard.lio /tmp/iblock-discard.tcm; then
		fail "Linux discards differently on tcm-rs (above)"
	fi
	pass "Linux discards as on LIO: $(cat /tmp/iblock-discard.tcm)"
	# LIO reports the disk's cache in the caching mode page only; tcm-rs
	# through the attribute too (lio-differences.md).
	expect "LIO's emulate_write_cache stays 0 on a disk with a write cache" test "$(cat /tmp/iblock-wce.lio)" = 0
	echo "LIO's sense for a bad block: $(cat /tmp/iblock-bad.lio)"
fi
expect "tcm-rs reports a failed bio as a MEDIUM ERROR" grep -qi "medium error" /tmp/iblock-bad.tcm
expect "tcm-rs turns emulate_write_cache on for a disk with a write cache" test "$(cat /tmp/iblock-wce.tcm)" = 1
rm -f /tmp/iblock.lio /tmp/iblock.tcm /tmp/iblock-inq.lio /tmp/iblock-inq.tcm /tmp/iblock-bad.lio /tmp/iblock-bad.tcm \
	/tmp/iblock-discard.lio /tmp/iblock-discard.tcm /tmp/iblock-wce.lio /tmp/iblock-wce.tcm \
	/tmp/iblock-tcli.lio.json /tmp/iblock-tcli.tcm.json /tmp/iblock-sync.lio /tmp/iblock-sync.tcm
