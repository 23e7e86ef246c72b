# Commands slower than the initiator's timeout: an iblock device on a
# null_blk disk that completes every I/O after 2 seconds, exported through
# the loopback fabric, read and written by an initiator whose disk times
# commands out after 1 second (30 again once the first timeout is seen).
# The block layer checks timeouts on whole-second timer ticks, so a 1-second
# timeout fires 1 to 2 seconds after submission, and on a loaded host now
# and then after the disk has answered; a slower disk is no cure, since the
# midlayer's retry keeps the request's 1-second timeout and would time out
# every time. So at least one of the two commands must time out.
#
# On LIO's tcm_loop (release kernel) each command times out while the
# backstore holds it; the SCSI error handler's abort (ABORT TASK) waits for
# it, and the midlayer retries it. tcm-rs's iblock leaves a read or a
# write pending in its bios (backstore ABI 0.9) and completes it from
# their end_io, so the command times out as on LIO however it was
# submitted (inside queuecommand, as by default and with the device's
# attrib/submit_type 1); the abort waits for the loopback's commands in
# flight, pending ones included, and the completion that comes after the
# timeout completes nothing twice. Either way the data read and written
# must be exact and the disk must stay online; kmemleak (debug kernel)
# checks that nothing leaks.
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000071
INIT=naa.5001405000000072
NULLB=$CONFIGFS/nullb

# timed_out DEV ACTION...: runs ACTION in the background with DEV's command
# timeout at 1 second until the first timeout, then at 30; ACTION's status.
timed_out() {
	local dev=$1 sys pid before i
	sys=/sys/block/${1#/dev/}/device
	shift
	before=$(($(cat "$sys/iotmo_cnt")))
	echo 1 >"$sys/timeout"
	"$@" &
	pid=$!
	for i in $(seq 100); do
		[ $(($(cat "$sys/iotmo_cnt"))) -gt "$before" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo 30 >"$sys/timeout"
	wait "$pid"
}

# exercise CORE [SUBMIT_TYPE]: the device's attrib/submit_type (tcm-rs).
exercise() {
	local core=$1 submit=${2:-0} nb=$NULLB/slowb dev=$TARGET/core/iblock_0/slow
	local tpg=$TARGET/loopback/$WWN/tpgt_1 disk sys
	expect "$core: a null_blk disk that completes I/O after 2 s" sh -c "
		mkdir $nb && echo 16 >$nb/size && echo 1 >$nb/memory_backed &&
		echo 2 >$nb/irqmode && echo 2000000000 >$nb/completion_nsec && echo 1 >$nb/power &&
		test -b /dev/slowb"
	expect "$core: an iblock device on it, LUN 0 of a TPG with its nexus" sh -c "
		mkdir -p $dev && echo udev_path=/dev/slowb >$dev/control && echo 1 >$dev/enable &&
		if [ $core = tcm ]; then echo $submit >$dev/attrib/submit_type; fi &&
		mkdir -p $tpg && echo $INIT >$tpg/nexus &&
		mkdir $tpg/lun/lun_0 && ln -s $dev $tpg/lun/lun_0/slow"
	disk=$(loop_disk "$WWN" 1 0) || fail "$core: no disk"
	sys=/sys/block/${disk#/dev/}/device
	head -c 65536 /dev/urandom >/tmp/abort-io.a
	head -c 65536 /dev/urandom >/tmp/abort-io.b
	expect "$core: 64 KiB written at 1 MiB with the normal timeout" \
		dd if=/tmp/abort-io.a of="$disk" bs=64k seek=16 oflag=direct status=none
	local tmo0
	tmo0=$(($(cat "$sys/iotmo_cnt")))
	expect "$core: a read slower than the timeout reads the data" \
		timed_out "$disk" sh -c "dd if=$disk bs=64k skip=16 count=1 iflag=direct status=none >/tmp/abort-io.r"
	expect "$core: ... the data read is what was written" cmp /tmp/abort-io.a /tmp/abort-io.r
	expect "$core: a write slower than the timeout lands" \
		timed_out "$disk" dd if=/tmp/abort-io.b of="$disk" bs=64k seek=16 oflag=direct status=none
	expect "$core: ... the disk holds it" sh -c "
		dd if=/dev/slowb bs=64k skip=16 count=1 iflag=direct status=none | cmp - /tmp/abort-io.b"
	expect "$core: the commands timed out (and were aborted)" test $(($(cat "$sys/iotmo_cnt"))) -ge $((tmo0 + 1))
	expect "$core: the disk is still running" test "$(cat "$sys/state")" = running
	expect "$core: teardown" sh -c "
		rm $tpg/lun/lun_0/slow && rmdir $tpg/lun/lun_0 && echo NULL >$tpg/nexus &&
		rmdir $tpg $TARGET/loopback/$WWN && rmdir $dev $TARGET/core/iblock_0 &&
		echo 0 >$nb/power && rmdir $nb"
	rm -f /tmp/abort-io.a /tmp/abort-io.b /tmp/abort-io.r
}

expect "null_blk loads without devices" modprobe null_blk nr_devices=0
on_each_core
echo "--- tcm-rs, the device's commands submitted directly (attrib/submit_type 1)"
expect "tcm-rs loads" modprobe tcm_rs_core
exercise tcm 1
expect "tcm-rs unloads" tcm_unload
expect "null_blk unloads" modprobe -r null_blk
