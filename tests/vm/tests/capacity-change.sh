# An admin grows and shrinks the block devices behind two LUNs: an iblock
# device on a loop device, and a fileio device whose fd_dev_name is another
# loop device (both loop devices over files in a tmpfs). Each LUN is seen
# by two I_T nexuses (initiator A through tpgt_1, B through tpgt_2), four
# SCSI disks in all. After `truncate` and `losetup -c`:
#
# - READ CAPACITY shows the new size on both cores (LIO reads the size at
#   each READ CAPACITY, as tcm-rs reads it before each command);
# - on tcm-rs the next command from each nexus gets the unit attention
#   CAPACITY DATA HAS CHANGED, which Linux's midlayer logs ("Capacity data
#   has changed") and turns into a uevent (SDEV_UA=CAPACITY_DATA_HAS_CHANGED);
#   LIO says nothing (recorded, not failed);
# - Linux's sd (7.3) does not revalidate the disk on that unit attention by
#   itself: /sys/block/sdX/size changes at a rescan. With the udev rule
#   below in place, the uevent rescans the disk, so on tcm-rs the disk
#   follows the LUN's size with no one touching the initiator; on LIO it
#   stays at the old size until someone rescans by hand (recorded);
# - data written to the new blocks reads back, through the other nexus and
#   on the loop device; after a shrink, commands beyond the new end get
#   LOGICAL BLOCK ADDRESS OUT OF RANGE, a write straddling the end changes
#   nothing, and the data before the end is intact.
# vm-kernels: debug
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000301
INIT_A=naa.5001405000000302
INIT_B=naa.5001405000000303
MiB=1048576
WORK=/tmp/capacity-change
RULE=/run/udev/rules.d/99-tcm-rs-capacity-test.rules
# The udev rule of Documentation/command-path.md ("Capacity changes").
RULE_TEXT='ACTION=="change", SUBSYSTEM=="scsi", ENV{SDEV_UA}=="CAPACITY_DATA_HAS_CHANGED", TEST=="rescan", ATTR{rescan}="1"'

# resize MIB: both backing files to MIB MiB, and the loop devices told.
resize() {
	truncate -s "${1}M" $WORK/ib.img && truncate -s "${1}M" $WORK/fd.img &&
		losetup -c "$LOOP_IB" && losetup -c "$LOOP_FD" &&
		test "$(blockdev --getsize64 "$LOOP_IB")" = $(($1 * MiB)) &&
		test "$(blockdev --getsize64 "$LOOP_FD")" = $(($1 * MiB))
}

# readcap_bytes SG: the device size READ CAPACITY(16) reports, in bytes
# (a pending unit attention is taken first).
readcap_bytes() {
	local i out
	for i in 1 2 3; do
		if out=$(sg_readcap -l "$1" 2>/dev/null); then
			sed -n 's/.*Device size: \([0-9]*\) bytes.*/\1/p' <<<"$out"
			return 0
		fi
	done
	return 1
}

# sd_bytes DEV: the size Linux's sd has for the disk, in bytes.
sd_bytes() { echo $(($(cat "/sys/block/${1#/dev/}/size") * 512)); }

# wait_sd_bytes BYTES SECONDS DEV...: every disk's size becomes BYTES
# within SECONDS.
wait_sd_bytes() {
	local want=$1 n=$(($2 * 10)) d ok; shift 2
	while [ $n -gt 0 ]; do
		ok=true
		for d; do [ "$(sd_bytes "$d")" = "$want" ] || ok=false; done
		$ok && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# rescan_to BYTES DEV...: what an admin does by hand (and the udev rule
# does): rescan the disks; each is then BYTES.
rescan_to() {
	local want=$1 d; shift
	for d; do echo 1 >"/sys/block/${d#/dev/}/device/rescan" || return 1; done
	wait_sd_bytes "$want" 5 "$@"
}

# sd_sizes DEV...: the disks' sizes in MiB, for the record.
sd_sizes() {
	local d
	for d; do echo -n "$(($(sd_bytes "$d") / MiB)) "; done
	echo MiB
}

# scsi_addr DEV: the disk's SCSI address (H:C:T:L), as the midlayer logs it.
scsi_addr() { basename "$(readlink -f "/sys/block/${1#/dev/}/device")"; }

# ua_logged DEV: how many times the midlayer logged CAPACITY DATA HAS
# CHANGED for the disk since the test started.
ua_logged() { test_dmesg | grep -c "$(scsi_addr "$1"): Capacity data has changed" || true; }

# lba_bytes LBA: the 8 bytes of an LBA, for sg_raw.
lba_bytes() { printf '%016x' "$1" | sed 's/../& /g'; }

# read16 SG LBA BLOCKS, write16 SG LBA BLOCKS FILE: the outcome ("good", or
# the sense key and additional sense).
read16() { sense_or_good sg_raw -r $(($3 * 512)) "$1" 88 00 $(lba_bytes "$2") 00 00 00 $(printf '%02x' "$3") 00 00; }
write16() { sense_or_good sg_raw -s $(($3 * 512)) -i "$4" "$1" 8a 00 $(lba_bytes "$2") 00 00 00 $(printf '%02x' "$3") 00 00; }

exercise() {
	local core=$1 rec=/tmp/capacity-change.$1
	local t1=$TARGET/loopback/$WWN/tpgt_1 t2=$TARGET/loopback/$WWN/tpgt_2
	local ib=$TARGET/core/iblock_0/ib fd=$TARGET/core/fileio_1/fd
	expect "$core: 16 MiB files in a tmpfs behind two loop devices" sh -c "
		truncate -s 16M $WORK/ib.img $WORK/fd.img"
	LOOP_IB=$(losetup -f --show $WORK/ib.img) && LOOP_FD=$(losetup -f --show $WORK/fd.img) ||
		fail "$core: losetup"
	expect "$core: an iblock device on $LOOP_IB, a fileio device on $LOOP_FD" sh -c "
		mkdir -p $ib $fd &&
		echo udev_path=$LOOP_IB >$ib/control && echo 1 >$ib/enable &&
		echo fd_dev_name=$LOOP_FD >$fd/control && echo 1 >$fd/enable"
	expect "$core: both as LUNs 0 and 1 of two TPGs, each TPG with its nexus" sh -c "
		mkdir -p $t1 $t2 && echo 1 >$t1/rtpi && echo 2 >$t2/rtpi &&
		echo $INIT_A >$t1/nexus && echo $INIT_B >$t2/nexus &&
		mkdir $t1/lun/lun_0 $t2/lun/lun_0 && ln -s $ib $t1/lun/lun_0/ib && ln -s $ib $t2/lun/lun_0/ib &&
		mkdir $t1/lun/lun_1 $t2/lun/lun_1 && ln -s $fd $t1/lun/lun_1/fd && ln -s $fd $t2/lun/lun_1/fd"
	local a0 a1 b0 b1 d
	a0=$(loop_disk "$WWN" 1 0) && a1=$(loop_disk "$WWN" 1 1) &&
		b0=$(loop_disk "$WWN" 2 0) && b1=$(loop_disk "$WWN" 2 1) || fail "$core: no disks"
	local disks="$a0 $a1 $b0 $b1"
	pass "$core: A sees $a0 (iblock) and $a1 (fileio), B sees $b0 and $b1"
	for d in $disks; do
		expect "$core: nothing pending on $d" drain_ua "$(sg_of $d)"
	done
	expect "$core: every disk is 16 MiB" wait_sd_bytes $((16 * MiB)) 1 $disks
	expect "$core: 4 MiB of data at the start of both LUNs (through A)" sh -c "
		head -c 4M /dev/urandom >$WORK/head &&
		dd if=$WORK/head of=$a0 bs=1M oflag=direct status=none &&
		dd if=$WORK/head of=$a1 bs=1M oflag=direct status=none"
	local logged0; logged0=$(for d in $disks; do ua_logged $d; done)
	: >"$rec"

	echo "--- $core: grown to 24 MiB, no udev rule"
	expect "$core: the backing files and loop devices grow to 24 MiB" resize 24
	{
		for d in $disks; do
			echo "== next command from the nexus of $d (TEST UNIT READY)"
			sense_or_good sg_turs -v "$(sg_of $d)"
		done
	} >>"$rec"
	for d in $disks; do
		expect "$core: READ CAPACITY of $d shows 24 MiB" test "$(readcap_bytes "$(sg_of $d)")" = $((24 * MiB))
	done
	sleep 2
	echo "== sd sizes 2 s after the unit attention, no rescan: $(sd_sizes $disks)" >>"$rec"
	expect "$core: after a rescan every disk is 24 MiB" rescan_to $((24 * MiB)) $disks

	echo "--- $core: grown to 32 MiB, with the udev rule"
	expect "$core: the udev rule is in place" sh -c "
		mkdir -p ${RULE%/*} && echo '$RULE_TEXT' >$RULE && udevadm control --reload"
	local logged1; logged1=$(for d in $disks; do ua_logged $d; done)
	expect "$core: the backing files and loop devices grow to 32 MiB" resize 32
	for d in $disks; do
		expect "$core: READ CAPACITY of $d shows 32 MiB" test "$(readcap_bytes "$(sg_of $d)")" = $((32 * MiB))
	done
	if [ "$core" = tcm ]; then
		expect "tcm: every disk follows to 32 MiB by itself (unit attention, uevent, udev rule)" \
			wait_sd_bytes $((32 * MiB)) 30 $disks
	else
		sleep 3
		echo "== sd sizes 3 s after growing to 32 MiB, udev rule in place: $(sd_sizes $disks)" >>"$rec"
		expect "lio: after a rescan by hand every disk is 32 MiB" rescan_to $((32 * MiB)) $disks
	fi
	local logged2; logged2=$(for d in $disks; do ua_logged $d; done)
	expect "$core: 4 MiB written to the new blocks at 28 MiB of both LUNs (through A)" sh -c "
		head -c 4M /dev/urandom >$WORK/tail &&
		dd if=$WORK/tail of=$a0 bs=1M seek=28 oflag=direct status=none &&
		dd if=$WORK/tail of=$a1 bs=1M seek=28 oflag=direct status=none"
	expect "$core: they read back through B, checksum equal" sh -c "
		want=\$(sha256sum <$WORK/tail) &&
		test \"\$(dd if=$b0 bs=1M skip=28 count=4 iflag=direct status=none | sha256sum)\" = \"\$want\" &&
		test \"\$(dd if=$b1 bs=1M skip=28 count=4 iflag=direct status=none | sha256sum)\" = \"\$want\""
	expect "$core: and are on the loop devices at 28 MiB" sh -c "
		dd if=$LOOP_IB bs=1M skip=28 count=4 iflag=direct status=none | cmp - $WORK/tail &&
		dd if=$LOOP_FD bs=1M skip=28 count=4 iflag=direct status=none | cmp - $WORK/tail"

	echo "--- $core: shrunk to 20 MiB, with the udev rule"
	expect "$core: the backing files and loop devices shrink to 20 MiB" resize 20
	for d in $disks; do
		expect "$core: READ CAPACITY of $d shows 20 MiB" test "$(readcap_bytes "$(sg_of $d)")" = $((20 * MiB))
	done
	if [ "$core" = tcm ]; then
		expect "tcm: every disk follows to 20 MiB by itself" wait_sd_bytes $((20 * MiB)) 30 $disks
	else
		sleep 3
		echo "== sd sizes 3 s after shrinking to 20 MiB, udev rule in place: $(sd_sizes $disks)" >>"$rec"
		expect "lio: after a rescan by hand every disk is 20 MiB" rescan_to $((20 * MiB)) $disks
	fi
	local logged3; logged3=$(for d in $disks; do ua_logged $d; done)
	local end=$((20 * MiB / 512)) sg
	head -c 1024 /dev/urandom >$WORK/two
	dd if=$LOOP_IB of=$WORK/last.ib bs=512 skip=$((end - 1)) count=1 iflag=direct status=none
	dd if=$LOOP_FD of=$WORK/last.fd bs=512 skip=$((end - 1)) count=1 iflag=direct status=none
	for d in $disks; do
		sg=$(sg_of $d)
		{
			echo "== $d READ(16) of the last block"; read16 "$sg" $((end - 1)) 1
			echo "== $d READ(16) of the first block past the end"; read16 "$sg" $end 1
			echo "== $d WRITE(16) of the first block past the end"; write16 "$sg" $end 1 $WORK/two
			echo "== $d WRITE(16) of two blocks across the end"; write16 "$sg" $((end - 1)) 2 $WORK/two
		} >>"$rec"
	done
	expect "$core: the writes across the end changed nothing: the last block holds what it held" sh -c "
		dd if=$LOOP_IB bs=512 skip=$((end - 1)) count=1 iflag=direct status=none | cmp - $WORK/last.ib &&
		dd if=$LOOP_FD bs=512 skip=$((end - 1)) count=1 iflag=direct status=none | cmp - $WORK/last.fd &&
		! head -c 512 $WORK/two | cmp -s - $WORK/last.ib"
	expect "$core: nothing was written past the end: the backing files are 20 MiB" sh -c "
		test \$(stat -c %s $WORK/ib.img) = $((20 * MiB)) && test \$(stat -c %s $WORK/fd.img) = $((20 * MiB))"
	expect "$core: the data at the start reads back through every disk" sh -c "
		for d in $disks; do dd if=\$d bs=1M count=4 iflag=direct status=none | cmp - $WORK/head || exit 1; done"
	local logged4; logged4=$(for d in $disks; do ua_logged $d; done)
	{
		echo "== midlayer log lines 'Capacity data has changed' per disk at each step"
		echo "start: $(echo $logged0)"
		echo "grown to 24 MiB: $(echo $logged1)"
		echo "grown to 32 MiB: $(echo $logged2)"
		echo "shrunk to 20 MiB: $(echo $logged3)"
		echo "end: $(echo $logged4)"
	} >>"$rec"
	if [ "$core" = tcm ]; then
		expect "tcm: the midlayer logged CAPACITY DATA HAS CHANGED once per disk and change" test \
			"$(echo $logged0 / $logged1 / $logged2 / $logged3)" = "0 0 0 0 / 1 1 1 1 / 2 2 2 2 / 3 3 3 3"
	fi
	expect "$core: the udev rule is removed" sh -c "rm $RULE && udevadm control --reload"

	echo "--- $core: shrunk to nothing"
	expect "$core: the backing files and loop devices shrink to 0" resize 0
	for d in $a0 $a1; do
		sg=$(sg_of $d)
		drain_ua "$sg" || true
		{
			echo "== $d READ CAPACITY(16) of a LUN with no block"
			sense_or_good sg_raw -r 32 "$sg" 9e 10 00 00 00 00 00 00 00 00 00 00 00 20 00 00
			echo "== $d READ(16) of LBA 0 of a LUN with no block"; read16 "$sg" 0 1
		} >>"$rec"
	done
	expect "$core: teardown" sh -c "
		rm $t1/lun/lun_1/fd $t2/lun/lun_1/fd $t1/lun/lun_0/ib $t2/lun/lun_0/ib &&
		rmdir $t1/lun/lun_1 $t2/lun/lun_1 $t1/lun/lun_0 $t2/lun/lun_0 &&
		echo NULL >$t1/nexus && echo NULL >$t2/nexus &&
		rmdir $t1 $t2 $TARGET/loopback/$WWN && rmdir $ib $fd $TARGET/core/iblock_0 $TARGET/core/fileio_1"
	expect "$core: the loop devices are let go" sh -c "losetup -d $LOOP_IB && losetup -d $LOOP_FD"
	rm -f $WORK/ib.img $WORK/fd.img $WORK/head $WORK/tail $WORK/two $WORK/last.ib $WORK/last.fd
}

expect "a tmpfs for the backing files" sh -c "mkdir -p $WORK && mount -t tmpfs -o size=160M tmpfs $WORK"
on_each_core
expect "the tmpfs is unmounted" umount $WORK

echo "--- what tcm-rs's initiators saw"; cat /tmp/capacity-change.tcm
rec=/tmp/capacity-change.tcm
expect "tcm: the next command from each nexus after the growth got CAPACITY DATA HAS CHANGED" sh -c "
	test \$(grep -A2 '^== next command' $rec | grep -ci 'capacity data has changed') = 4"
expect "tcm: without the udev rule Linux's sd kept its old size until the rescan (recorded)" \
	grep -q '^== sd sizes 2 s after the unit attention, no rescan: 16 16 16 16 MiB' $rec
for what in 'READ(16) of the last block' 'READ(16) of the first block past the end' \
	'WRITE(16) of the first block past the end' 'WRITE(16) of two blocks across the end'; do
	case $what in *'last block') want=good ;; *) want='logical block address out of range' ;; esac
	expect "tcm: $what: $want, on every disk" sh -c "
		test \$(grep -A2 -F '$what' $rec | grep -ci '$want') = 4"
done
expect "tcm: READ CAPACITY of a LUN with no block: NOT READY, MEDIUM NOT PRESENT" sh -c "
	test \$(grep -A2 -F 'READ CAPACITY(16) of a LUN with no block' $rec | grep -ci 'medium not present') = 2"
expect "tcm: READ of a LUN with no block: LOGICAL BLOCK ADDRESS OUT OF RANGE" sh -c "
	test \$(grep -A2 -F 'READ(16) of LBA 0 of a LUN with no block' $rec | grep -ci 'logical block address out of range') = 2"
if [ -f /tmp/capacity-change.lio ]; then
	echo "--- what LIO's initiators saw"; cat /tmp/capacity-change.lio
	echo "--- LIO against tcm-rs (differences recorded, not failed: Documentation/lio-differences.md)"
	diff -u /tmp/capacity-change.lio /tmp/capacity-change.tcm || true
	for what in 'READ(16) of the first block past the end' 'WRITE(16) of two blocks across the end'; do
		expect "lio: $what: LOGICAL BLOCK ADDRESS OUT OF RANGE too" sh -c "
			test \$(grep -A2 -F '$what' /tmp/capacity-change.lio | grep -ci 'logical block address out of range') = 4"
	done
fi
rm -f /tmp/capacity-change.lio /tmp/capacity-change.tcm
