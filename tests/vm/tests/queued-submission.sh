# Queued submission: a LUN whose backstore sleeps for I/O (iblock, fileio
# on a block device) keeps as many commands in flight as its initiator
# queues. The backing disk is a null_blk disk that completes each I/O
# after 200 ms, so a command's I/O is still there when the next is queued;
# its /sys/block/<disk>/inflight shows how many reached it at once while
# fio keeps 16 reads queued on the initiator's disk.
#
# tcm-rs submits a fileio device's commands queued by default (the
# loopback runs them from its submission workqueue): several in flight, as
# on LIO's tcm_loop (whose figure is printed, not checked). iblock's reads
# and writes pend (backstore ABI 0.9: the bios complete the command from
# their end_io), so they are all in flight together however they are
# submitted: inside queuecommand by default and with the device's
# attrib/submit_type 1 (direct), from the submission workqueue with 2.
# The data written at queue depth 16 reads back verified.
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000091
INIT=naa.5001405000000092
NULLB=$CONFIGFS/nullb

# most_in_flight DISK NULLB_DISK: runs 16 queued 4 KiB reads on DISK for 3
# seconds and prints the most I/Os NULLB_DISK had in flight at once, as
# sampled every 0.1 s while fio ran.
most_in_flight() {
	local pid most=0 r w
	fio --name=qs --filename="$1" --direct=1 --ioengine=libaio --rw=randread --bs=4k \
		--iodepth=16 --runtime=3 --time_based --size=8M --output=/dev/null &
	pid=$!
	# Sampled for as long as fio runs (it may take a while to start).
	while kill -0 "$pid" 2>/dev/null; do
		read -r r w <"/sys/block/$2/inflight"
		[ $((r + w)) -gt "$most" ] && most=$((r + w))
		sleep 0.1
	done
	wait "$pid"
	echo "$most"
}

# check CORE BACKSTORE SUBMIT_TYPE: BACKSTORE is iblock or fileio;
# SUBMIT_TYPE the device's attrib/submit_type (tcm-rs), - to leave it.
check() {
	local core=$1 store=$2 submit=$3 nb=$NULLB/slowq dev disk most ctl
	local tpg=$TARGET/loopback/$WWN/tpgt_1 what="$1 $2"
	case $store in
	iblock) dev=$TARGET/core/iblock_0/slow ctl=udev_path=/dev/slowq ;;
	fileio) dev=$TARGET/core/fileio_0/slow ctl=fd_dev_name=/dev/slowq ;;
	esac
	[ "$submit" = - ] || what="$what, submit_type $submit"
	expect "$what: a null_blk disk that completes I/O after 200 ms" sh -c "
		mkdir $nb && echo 16 >$nb/size && echo 1 >$nb/memory_backed &&
		echo 2 >$nb/irqmode && echo 200000000 >$nb/completion_nsec && echo 1 >$nb/power &&
		test -b /dev/slowq"
	expect "$what: a device on it, LUN 0 of a TPG with its nexus" sh -c "
		mkdir -p $dev && echo $ctl >$dev/control && echo 1 >$dev/enable &&
		if [ $submit != - ]; then echo $submit >$dev/attrib/submit_type; fi &&
		mkdir -p $tpg && echo $INIT >$tpg/nexus &&
		mkdir $tpg/lun/lun_0 && ln -s $dev $tpg/lun/lun_0/slow"
	disk=$(loop_disk "$WWN" 1 0) || fail "$what: no disk"
	most=$(most_in_flight "$disk" slowq)
	echo "$what: at most $most I/Os in flight on the backing disk"
	if [ "$core" = lio ]; then
		: # reported above, for comparison
	elif [ "$store" = iblock ]; then
		# Reads and writes pend in the backstore (bios completed from
		# end_io), wherever they are submitted: directly or queued.
		expect "$what: the commands pend in flight together" test "$most" -ge 4
	else
		expect "$what: the queued commands are in flight together" test "$most" -ge 4
	fi
	expect "$what: 256 KiB written at queue depth 16 read back verified" \
		fio --name=qv --filename="$disk" --direct=1 --ioengine=libaio --rw=randwrite --bs=4k \
		--iodepth=16 --size=256k --verify=crc32c --do_verify=1 --output=/dev/null
	expect "$what: teardown" sh -c "
		rm $tpg/lun/lun_0/slow && rmdir $tpg/lun/lun_0 && echo NULL >$tpg/nexus &&
		rmdir $tpg $TARGET/loopback/$WWN && rmdir $dev ${dev%/*} &&
		echo 0 >$nb/power && rmdir $nb"
}

exercise() {
	if [ "$1" = lio ]; then
		check lio iblock -
	else
		check tcm iblock -
		check tcm iblock 1
		check tcm iblock 2
		check tcm fileio -
	fi
}

expect "null_blk loads without devices" modprobe null_blk nr_devices=0
on_each_core
expect "null_blk unloads" modprobe -r null_blk
