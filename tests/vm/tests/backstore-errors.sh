# I/O errors of a backstore reach the initiator as an error, never as
# success and never as a hang: a fileio device on a null_blk disk with bad
# blocks, served over the loopback fabric, against LIO's target_core_file
# and tcm_rs_fileio. tcm-rs answers MEDIUM ERROR with the LBA; LIO answers
# NOT READY, LOGICAL UNIT COMMUNICATION FAILURE (lio-differences.md).
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000001
INITIATOR=naa.5001405000000002
NULLB=/sys/kernel/config/nullb/tcmbad
# Blocks 4096 to 4103 of the 32 MiB disk fail reads and writes.
BAD=4096

# The status and sense of a command, as sg_raw prints them.
sense_lines() { grep -iE 'status|sense key|additional sense|info' | sed 's/^ *//'; }

errors() {
	local core=$1 tpg=$TARGET/loopback/$WWN/tpgt_1 disk dev sg
	# null_blk names a configfs disk after its directory (older kernels:
	# nullb<index>).
	disk=/dev/${NULLB##*/}
	[ -b "$disk" ] || disk=/dev/nullb$(cat $NULLB/index)
	expect "$core: a fileio device on $disk" sh -c "
		mkdir -p $TARGET/core/fileio_0/bad && echo fd_dev_name=$disk >$TARGET/core/fileio_0/bad/control &&
		echo 1 >$TARGET/core/fileio_0/bad/enable"
	expect "$core: served as LUN 0" sh -c "mkdir -p $tpg/lun/lun_0 && echo $INITIATOR >$tpg/nexus &&
		ln -s $TARGET/core/fileio_0/bad $tpg/lun/lun_0/bad"
	dev=$(loop_disk "$WWN" 1 0) || fail "$core: LUN 0 did not become a SCSI disk"
	sg=$(sg_of "$dev")
	pass "$core: LUN 0 is $dev ($sg)"
	expect "$core: a good block reads" dd if="$dev" of=/dev/null bs=512 count=8 iflag=direct status=none
	expect "$core: a read of a bad block fails (EIO, no data)" sh -c "
		! dd if=$dev of=/tmp/bad-read bs=512 skip=$BAD count=1 iflag=direct status=none 2>/dev/null"
	expect "$core: a write of a bad block fails" sh -c "
		! dd if=/dev/zero of=$dev bs=512 seek=$((BAD + 2)) count=1 oflag=direct status=none 2>/dev/null"
	{
		echo "== READ(10) of block $BAD"
		sg_raw -r 512 "$sg" 28 00 00 00 10 00 00 00 01 00 2>&1 | sense_lines
		echo "== WRITE(10) of block $((BAD + 3))"
		head -c 512 /dev/zero | sg_raw -s 512 "$sg" 2a 00 00 00 10 03 00 00 01 00 2>&1 | sense_lines
		echo "== READ(10) of blocks $((BAD - 2)) to $((BAD + 1))"
		sg_raw -r 2048 "$sg" 28 00 00 00 0f fe 00 00 04 00 2>&1 | sense_lines
	} >/tmp/errors.$core
	cat /tmp/errors.$core
	if [ "$core" = tcm ]; then
		expect "tcm: the read is MEDIUM ERROR, UNRECOVERED READ ERROR, at LBA $BAD" sh -c "
			sed -n '/READ(10) of block/,/WRITE/p' /tmp/errors.tcm | grep -qi 'medium error' &&
			sed -n '/READ(10) of block/,/WRITE/p' /tmp/errors.tcm | grep -qi 'unrecovered read error' &&
			sed -n '/READ(10) of block/,/WRITE/p' /tmp/errors.tcm | grep -qiE 'info.*0x0*1000'"
		expect "tcm: the write is MEDIUM ERROR, WRITE ERROR" sh -c "
			sed -n '/WRITE(10)/,/READ(10) of blocks/p' /tmp/errors.tcm | grep -qi 'write error'"
		expect "tcm: a read running into the bad blocks is MEDIUM ERROR at its first LBA" sh -c "
			sed -n '/READ(10) of blocks/,\$p' /tmp/errors.tcm | grep -qi 'medium error' &&
			sed -n '/READ(10) of blocks/,\$p' /tmp/errors.tcm | grep -qiE 'info.*0x0*ffe'"
	else
		expect "lio: the read is NOT READY, LOGICAL UNIT COMMUNICATION FAILURE" sh -c "
			grep -qi 'not ready' /tmp/errors.lio && grep -qi 'communication failure' /tmp/errors.lio"
	fi
	expect "$core: the disk still works: good blocks read and write" sh -c "
		head -c 64k /dev/urandom >/tmp/good && dd if=/tmp/good of=$dev bs=64k seek=1 oflag=direct status=none &&
		dd if=$dev bs=64k skip=1 count=1 iflag=direct status=none | cmp - /tmp/good"
	expect "$core: fio verify away from the bad blocks" \
		fio --name=good --filename="$dev" --ioengine=libaio --direct=1 --rw=randwrite --bs=4k \
		--offset=4M --size=8M --iodepth=8 --verify=crc32c --verify_fatal=1 --verify_state_save=0 \
		--output=/tmp/fio-errors.$core
	expect "$core: teardown" sh -c "rm $tpg/lun/lun_0/bad && rmdir $tpg/lun/lun_0 && echo NULL >$tpg/nexus &&
		rmdir $tpg $TARGET/loopback/$WWN && rmdir $TARGET/core/fileio_0/bad $TARGET/core/fileio_0"
	rm -f /tmp/bad-read /tmp/good
}

expect "null_blk loads without disks" modprobe null_blk nr_devices=0
expect "a 32 MiB memory-backed null_blk disk with 8 bad blocks" sh -c "
	mkdir $NULLB && echo 32 >$NULLB/size && echo 1 >$NULLB/memory_backed && echo 512 >$NULLB/blocksize &&
	echo +$BAD-$((BAD + 7)) >$NULLB/badblocks && echo 1 >$NULLB/power"

if lio_loopback_teardown_safe; then
	echo "--- LIO (target_core_file, tcm_loop)"
	expect "LIO loads" modprobe tcm_loop
	expect "and its fileio backstore" modprobe target_core_file
	errors lio
	expect "LIO unloads" lio_unload
fi

echo "--- tcm-rs (tcm_rs_fileio, tcm_rs_loop)"
expect "tcm-rs loads" modprobe tcm_rs_core
errors tcm
expect "tcm-rs unloads" tcm_unload

expect "the null_blk disk goes" sh -c "echo 0 >$NULLB/power && rmdir $NULLB && modprobe -r null_blk"
rm -f /tmp/errors.lio /tmp/errors.tcm /tmp/fio-errors.lio /tmp/fio-errors.tcm
