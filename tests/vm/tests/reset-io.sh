# LUN resets (and, on tcm-rs, target and host resets) while fio writes and verifies
# through the loopback fabric, on a ramdisk, on a fileio file and on an
# iblock device (a null_blk disk that completes its I/O from a timer
# interrupt after 100 µs: tcm-rs's iblock commands pend in their bios and
# complete from end_io, and the reset waits for them too): the
# SCSI error handler's reset waits for the commands in flight, the core
# establishes its unit attention, Linux retries over it, and no write is
# lost or torn (crc32c verify). Each core runs the same steps; LIO's
# tcm_loop on the release kernel only (lio_loopback_teardown_safe).
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000061
INIT=naa.5001405000000062

# disrupt KIND SG FIO_PID: resets until fio ends; prints how many.
disrupt() {
	local kind=$1 sg=$2 pid=$3 n=0 flag=-d
	[ "$kind" = target-reset ] && flag=-t
	[ "$kind" = host-reset ] && flag=-H
	while kill -0 "$pid" 2>/dev/null; do
		sg_reset $flag "$sg" >/dev/null 2>&1 && n=$((n + 1))
		sleep 0.5
	done
	echo "$n"
}

# under CORE NAME DEV SG KIND: fio with verify on DEV while KIND happens;
# fio must finish clean and KIND must have happened.
under() {
	local core=$1 name=$2 dev=$3 sg=$4 kind=$5 pid n
	fio --name="$name" --filename="$dev" --ioengine=libaio --direct=1 \
		--rw=randwrite --bsrange=4k-64k --size=16M --iodepth=16 \
		--verify=crc32c --verify_fatal=1 --verify_state_save=0 --do_verify=1 \
		--output="/tmp/reset-io.$core.$name.$kind" &
	pid=$!
	n=$(disrupt "$kind" "$sg" "$pid")
	expect "$core: $name: fio wrote and verified 16 MiB through $n ${kind}s" wait "$pid"
	[ "$n" -gt 0 ] || fail "$core: $name: fio ended before any $kind"
	pass "$core: $name: $n ${kind}s during the I/O"
	expect "$core: $name: the disk is still running" \
		test "$(cat "/sys/block/${dev#/dev/}/device/state")" = running
}

exercise() {
	local core=$1 rd=$TARGET/core/rd_mcp_0/rd0 fd=$TARGET/core/fileio_0/f0
	local ib=$TARGET/core/iblock_0/ib0 nb=$CONFIGFS/nullb/resetb
	local tpg=$TARGET/loopback/$WWN/tpgt_1 kinds=lun-reset
	# LIO's tcm_loop refuses target and host resets (lio-differences.md).
	[ "$core" = tcm ] && kinds="lun-reset target-reset host-reset"
	rm -f /tmp/reset-io.f0
	expect "$core: a 64 MiB ramdisk and a 64 MiB buffered fileio file" sh -c "
		mkdir -p $rd $fd && echo rd_pages=16384 >$rd/control && echo 1 >$rd/enable &&
		echo fd_dev_name=/tmp/reset-io.f0,fd_dev_size=67108864,fd_buffered_io=1 >$fd/control &&
		echo 1 >$fd/enable"
	expect "$core: a 64 MiB iblock device on a null_blk disk completing from a timer" sh -c "
		mkdir $nb && echo 64 >$nb/size && echo 1 >$nb/memory_backed &&
		echo 2 >$nb/irqmode && echo 100000 >$nb/completion_nsec && echo 1 >$nb/power &&
		test -b /dev/resetb && mkdir -p $ib && echo udev_path=/dev/resetb >$ib/control &&
		echo 1 >$ib/enable"
	expect "$core: a TPG with its nexus" sh -c "mkdir -p $tpg && echo $INIT >$tpg/nexus"
	local name dev sg kind
	for name in rd0 f0 ib0; do
		local backing=$rd
		[ $name = f0 ] && backing=$fd
		[ $name = ib0 ] && backing=$ib
		expect "$core: $name is LUN 0" sh -c "mkdir $tpg/lun/lun_0 && ln -s $backing $tpg/lun/lun_0/$name"
		dev=$(loop_disk "$WWN" 1 0) || fail "$core: no disk for $name"
		sg=$(sg_of "$dev")
		for kind in $kinds; do
			# A host reset once, on the device whose commands pend in
			# their bios (the error handler's last resort is rare).
			[ "$kind" = host-reset ] && [ "$name" != ib0 ] && continue
			under "$core" "$name" "$dev" "$sg" "$kind"
		done
		# Wait for the disk to go before the next LUN 0 comes.
		expect "$core: $name unlinked" sh -c "rm $tpg/lun/lun_0/$name && rmdir $tpg/lun/lun_0"
		for _ in $(seq 50); do [ -e "$dev" ] || break; sleep 0.1; done
	done
	expect "$core: teardown" sh -c "
		echo NULL >$tpg/nexus && rmdir $tpg $TARGET/loopback/$WWN &&
		rmdir $rd $fd $ib $TARGET/core/rd_mcp_0 $TARGET/core/fileio_0 $TARGET/core/iblock_0 &&
		rm -f /tmp/reset-io.f0 && echo 0 >$nb/power && rmdir $nb"
}

expect "null_blk loads without devices" modprobe null_blk nr_devices=0
on_each_core
expect "null_blk unloads" modprobe -r null_blk
