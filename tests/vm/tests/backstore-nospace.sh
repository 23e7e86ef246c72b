# A fileio LUN on a sparse file whose file system fills up: a write that
# finds no space reaches the initiator as DATA PROTECT, SPACE ALLOCATION
# FAILED WRITE PROTECT (SBC-4's thin provisioning answer), which Linux hands
# to the application as ENOSPC, not as an I/O error; the data already
# written stays, reads go on, and once space is freed writes work again.
# Against LIO's target_core_file (which answers NOT READY, LOGICAL UNIT
# COMMUNICATION FAILURE: lio-differences.md) and tcm_rs_fileio.
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000001
INITIATOR=naa.5001405000000002
FS=/tmp/nospace
MiB=1048576

# sense_lines: the status and sense of a command as sg_raw prints them.
sense_lines() { grep -iE 'status|sense key|additional sense' | sed 's/^ *//'; }

nospace() {
	local core=$1 tpg=$TARGET/loopback/$WWN/tpgt_1 dev=$TARGET/core/fileio_4/thin disk sg
	# 12 MiB of file system: a 2 MiB file to free later, and a 32 MiB
	# sparse file as the LUN.
	expect "$core: a 12 MiB tmpfs with a 32 MiB sparse file" sh -c "
		mkdir -p $FS && mount -t tmpfs -o size=12m nospace $FS &&
		head -c $((2 * MiB)) /dev/zero >$FS/spare && truncate -s 32M $FS/lun"
	expect "$core: a fileio device on it, served as LUN 0" sh -c "
		mkdir -p $dev && echo fd_dev_name=$FS/lun,fd_dev_size=$((32 * MiB)) >$dev/control &&
		echo 1 >$dev/enable && mkdir -p $tpg/lun/lun_0 && echo $INITIATOR >$tpg/nexus &&
		ln -s $dev $tpg/lun/lun_0/thin"
	disk=$(loop_disk "$WWN" 1 0) || fail "$core: LUN 0 did not become a SCSI disk"
	sg=$(sg_of "$disk")
	expect "$core: 4 MiB written at the start" sh -c "
		head -c $((4 * MiB)) /dev/urandom >/tmp/nospace.data &&
		dd if=/tmp/nospace.data of=$disk bs=1M oflag=direct status=none"
	# 4 MiB used and 2 MiB spare: 16 MiB more cannot fit.
	dd if=/dev/urandom of="$disk" bs=1M seek=8 count=16 oflag=direct status=none 2>/tmp/nospace.dd.$core &&
		fail "$core: 16 MiB were written to a file system with 6 MiB free"
	echo "dd: $(cat /tmp/nospace.dd.$core)"
	{
		echo "== WRITE(10) of one block at 24 MiB, with the file system full"
		head -c 512 /dev/zero | sg_raw -s 512 "$sg" 2a 00 00 00 c0 00 00 00 01 00 2>&1 | sense_lines
	} >/tmp/nospace.$core
	cat /tmp/nospace.$core
	if [ "$core" = tcm ]; then
		expect "tcm: the application sees ENOSPC" grep -q 'No space left on device' /tmp/nospace.dd.$core
		expect "tcm: the write is DATA PROTECT, SPACE ALLOCATION FAILED WRITE PROTECT" sh -c "
			grep -qi 'data protect' /tmp/nospace.$core &&
			grep -qi 'space allocation failed write protect' /tmp/nospace.$core"
	else
		expect "lio: the write fails" test -s /tmp/nospace.dd.$core
	fi
	expect "$core: the first 4 MiB read back unchanged" sh -c "
		dd if=$disk bs=1M count=4 iflag=direct status=none | cmp - /tmp/nospace.data"
	expect "$core: space freed on the file system" rm $FS/spare
	expect "$core: a write now goes through, and reads back" sh -c "
		head -c $MiB /dev/urandom >/tmp/nospace.more &&
		dd if=/tmp/nospace.more of=$disk bs=1M seek=28 oflag=direct status=none &&
		dd if=$disk bs=1M skip=28 count=1 iflag=direct status=none | cmp - /tmp/nospace.more"
	expect "$core: teardown" sh -c "rm $tpg/lun/lun_0/thin && rmdir $tpg/lun/lun_0 && echo NULL >$tpg/nexus &&
		rmdir $tpg $TARGET/loopback/$WWN && rmdir $dev $TARGET/core/fileio_4 && umount $FS"
	rm -f /tmp/nospace.data /tmp/nospace.more
}

if lio_loopback_teardown_safe; then
	echo "--- LIO (target_core_file, tcm_loop)"
	expect "LIO loads" modprobe tcm_loop
	expect "and its fileio backstore" modprobe target_core_file
	nospace lio
	expect "LIO unloads" lio_unload
fi

echo "--- tcm-rs (tcm_rs_fileio, tcm_rs_loop)"
expect "tcm-rs loads" modprobe tcm_rs_core
nospace tcm
expect "tcm-rs unloads" tcm_unload
rm -f /tmp/nospace.*
