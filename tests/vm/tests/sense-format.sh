# The sense data format follows the LUN's size, as in LIO: fixed format up
# to 2^32 blocks, descriptor format past it (the fixed format's 32-bit
# INFORMATION field cannot hold such an LBA), with the control mode page's
# D_SENSE saying which. An iblock LUN on a 3 TiB null_blk disk (6.4 * 10^9
# blocks of 512 bytes, no memory behind it) and one on a 16 MiB disk,
# against LIO's target_core_iblock and tcm_rs_iblock; then, on tcm-rs, a
# medium error past 2^32 whose LBA reaches the initiator whole.
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000001
INITIATOR=naa.5001405000000002
NULLB=$CONFIGFS/nullb
MiB=1048576
BIG_MIB=$((3 * MiB))          # 3 TiB
BAD=$(((1 << 32) + 4096))     # a bad 512-byte block past 2^32
BAD_HEX=$(printf '%016x' $BAD)

# sense_lines: the status and sense of a command as sg_raw prints them,
# with the format (fixed or descriptor) and the INFORMATION field.
sense_lines() { grep -iE 'status|format|sense key|additional sense|info' | sed 's/^ *//'; }
# cdb_bytes HEX: a 16-digit hex number as 8 bytes for sg_raw.
cdb_bytes() { echo "$1" | sed 's/../& /g'; }

# formats CORE SG: what the LUN behind SG answers, to /dev/stdout.
formats() {
	local sg=$1 bdlen
	echo "== READ(16) past the last LBA"
	sg_raw -r 512 "$sg" 88 00 $(cdb_bytes 0000040000000000) 00 00 00 01 00 00 2>&1 | sense_lines
	echo "== REQUEST SENSE (DESC 0): response code"
	sg_raw -r 252 -o /tmp/sense-format.rs "$sg" 03 00 00 00 fc 00 >/dev/null 2>&1 &&
		od -An -tx1 -N1 /tmp/sense-format.rs | tr -d ' '
	echo "== MODE SENSE(10), control page: D_SENSE"
	if sg_raw -r 64 -o /tmp/sense-format.ms "$sg" 5a 00 0a 00 00 00 00 00 40 00 >/dev/null 2>&1; then
		bdlen=$(od -An -tu1 -j6 -N2 /tmp/sense-format.ms | awk '{print $1 * 256 + $2}')
		echo $(($(od -An -tu1 -j$((8 + bdlen + 2)) -N1 /tmp/sense-format.ms) >> 2 & 1))
	fi
}

exercise() {
	local core=$1 hba=$TARGET/core/iblock_3 tpg=$TARGET/loopback/$WWN/tpgt_1 big small
	expect "$core: iblock devices on the 3 TiB and the 16 MiB disk" sh -c "
		mkdir -p $hba/big $hba/small &&
		echo udev_path=/dev/sfbig >$hba/big/control && echo 1 >$hba/big/enable &&
		echo udev_path=/dev/sfsmall >$hba/small/control && echo 1 >$hba/small/enable"
	expect "$core: served as LUN 0 (big) and LUN 1 (small)" sh -c "
		mkdir -p $tpg/lun/lun_0 $tpg/lun/lun_1 && echo $INITIATOR >$tpg/nexus &&
		ln -s $hba/big $tpg/lun/lun_0/big && ln -s $hba/small $tpg/lun/lun_1/small"
	big=$(loop_disk "$WWN" 1 0) && small=$(loop_disk "$WWN" 1 1) || fail "$core: no SCSI disks"
	expect "$core: the big LUN holds $((BIG_MIB * 2048)) blocks" \
		test "$(blockdev --getsz "$big")" = $((BIG_MIB * 2048))
	local sgb sgs; sgb=$(sg_of "$big") sgs=$(sg_of "$small")
	expect "$core: nothing pending on the big LUN" drain_ua "$sgb"
	expect "$core: nor on the small one" drain_ua "$sgs"
	{
		echo "=== 3 TiB LUN"; formats "$sgb"
		echo "=== 16 MiB LUN"; formats "$sgs"
	} >/tmp/sense-format.$core
	cat /tmp/sense-format.$core
	expect "$core: the big LUN answers in descriptor format with D_SENSE set" sh -c "
		sed -n '/3 TiB/,/16 MiB/p' /tmp/sense-format.$core | grep -q 'Descriptor format' &&
		sed -n '/3 TiB/,/16 MiB/p' /tmp/sense-format.$core | grep -A1 'response code' | grep -qx 72 &&
		sed -n '/3 TiB/,/16 MiB/p' /tmp/sense-format.$core | grep -A1 'D_SENSE' | grep -qx 1"
	expect "$core: the small LUN in fixed format with D_SENSE clear" sh -c "
		sed -n '/16 MiB/,\$p' /tmp/sense-format.$core | grep -q 'Fixed format' &&
		sed -n '/16 MiB/,\$p' /tmp/sense-format.$core | grep -A1 'response code' | grep -qx 70 &&
		sed -n '/16 MiB/,\$p' /tmp/sense-format.$core | grep -A1 'D_SENSE' | grep -qx 0"
	if [ "$core" = tcm ]; then
		# LIO answers NOT READY without an LBA (lio-differences.md).
		sg_raw -r 512 "$sgb" 88 00 $(cdb_bytes "$BAD_HEX") 00 00 00 01 00 00 2>&1 | sense_lines >/tmp/sense-format.bad
		cat /tmp/sense-format.bad
		expect "tcm: a bad block past 2^32 is MEDIUM ERROR with its whole LBA" sh -c "
			grep -q 'Descriptor format' /tmp/sense-format.bad && grep -qi 'medium error' /tmp/sense-format.bad &&
			grep -qiE 'info.*0x0*$(printf %x $BAD)\b' /tmp/sense-format.bad"
	fi
	expect "$core: teardown" sh -c "
		rm $tpg/lun/lun_0/big $tpg/lun/lun_1/small && rmdir $tpg/lun/lun_0 $tpg/lun/lun_1 &&
		echo NULL >$tpg/nexus && rmdir $tpg $TARGET/loopback/$WWN && rmdir $hba/big $hba/small $hba"
}

expect "null_blk loads without disks" modprobe null_blk nr_devices=0
expect "a 3 TiB null_blk disk with no memory behind it, one bad block past 2^32" sh -c "
	mkdir $NULLB/sfbig && echo $BIG_MIB >$NULLB/sfbig/size && echo 512 >$NULLB/sfbig/blocksize &&
	echo +$BAD-$BAD >$NULLB/sfbig/badblocks && echo 1 >$NULLB/sfbig/power && test -b /dev/sfbig"
expect "and a 16 MiB one" sh -c "
	mkdir $NULLB/sfsmall && echo 16 >$NULLB/sfsmall/size && echo 512 >$NULLB/sfsmall/blocksize &&
	echo 1 >$NULLB/sfsmall/power && test -b /dev/sfsmall"

on_both_cores sense-format

expect "the null_blk disks go" sh -c "
	echo 0 >$NULLB/sfbig/power && rmdir $NULLB/sfbig && echo 0 >$NULLB/sfsmall/power && rmdir $NULLB/sfsmall &&
	modprobe -r null_blk"
rm -f /tmp/sense-format.*
