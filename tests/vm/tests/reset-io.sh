# LUN resets (and, on tcm-rs, target resets) while fio writes and verifies
# through the loopback fabric, on a ramdisk and on a fileio file: the
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
	local tpg=$TARGET/loopback/$WWN/tpgt_1 kinds=lun-reset
	# LIO's tcm_loop refuses target resets (lio-differences.md).
	[ "$core" = tcm ] && kinds="lun-reset target-reset"
	rm -f /tmp/reset-io.f0
	expect "$core: a 64 MiB ramdisk and a 64 MiB buffered fileio file" sh -c "
		mkdir -p $rd $fd && echo rd_pages=16384 >$rd/control && echo 1 >$rd/enable &&
		echo fd_dev_name=/tmp/reset-io.f0,fd_dev_size=67108864,fd_buffered_io=1 >$fd/control &&
		echo 1 >$fd/enable"
	expect "$core: a TPG with its nexus" sh -c "mkdir -p $tpg && echo $INIT >$tpg/nexus"
	local name dev sg kind
	for name in rd0 f0; do
		local backing=$rd
		[ $name = f0 ] && backing=$fd
		expect "$core: $name is LUN 0" sh -c "mkdir $tpg/lun/lun_0 && ln -s $backing $tpg/lun/lun_0/$name"
		dev=$(loop_disk "$WWN" 1 0) || fail "$core: no disk for $name"
		sg=$(sg_of "$dev")
		for kind in $kinds; do
			under "$core" "$name" "$dev" "$sg" "$kind"
		done
		# Wait for the disk to go before the next LUN 0 comes.
		expect "$core: $name unlinked" sh -c "rm $tpg/lun/lun_0/$name && rmdir $tpg/lun/lun_0"
		for _ in $(seq 50); do [ -e "$dev" ] || break; sleep 0.1; done
	done
	expect "$core: teardown" sh -c "
		echo NULL >$tpg/nexus && rmdir $tpg $TARGET/loopback/$WWN &&
		rmdir $rd $fd $TARGET/core/rd_mcp_0 $TARGET/core/fileio_0 && rm -f /tmp/reset-io.f0"
}

on_each_core
