# What data-path.sh and profile.sh measure, sourced by both: the
# workloads, the targets (the backstores and the loopback LUNs over them,
# built through the same configfs steps on both cores) and the
# configurations.
. "$TCM_ROOT/tests/vm/lib.sh"

# name rw bs iodepth numjobs batch (I/Os per submission, fio's
# iodepth_batch_submit: 1 submits each I/O alone, as fio does by default)
# [sync: fio's --sync; dsync opens the disk O_DSYNC, and the initiator then
# sends every write with FUA to a disk with a volatile write cache: such a
# workload runs only on a disk that has one, where it means something]
workloads=(
	"randread-4k-qd1 randread 4k 1 1 1"
	"randread-4k-qd32 randread 4k 32 1 1"
	"randread-4k-qd32-batch16 randread 4k 32 1 16"
	"randwrite-4k-qd1 randwrite 4k 1 1 1"
	"randwrite-4k-qd32 randwrite 4k 32 1 1"
	"randread-4k-qd32-2jobs randread 4k 32 2 1"
	"randwrite-4k-qd32-2jobs randwrite 4k 32 2 1"
	"read-128k-qd8 read 128k 8 1 1"
	"write-128k-qd8 write 128k 8 1 1"
	"randwrite-4k-qd1-dsync randwrite 4k 1 1 1 dsync"
	"randwrite-4k-qd32-dsync randwrite 4k 32 1 1 dsync"
)
# load_null_blk: one null_blk device, /dev/nullb0, with BENCH_NULL_BLK's
# module parameters if any (submit_queues=2: a submission queue per CPU;
# irqmode=2 completion_nsec=N: completions from a timer), for the ceiling
# and the iblock backstore alike.
load_null_blk() {
	# shellcheck disable=SC2086 # the parameters are words
	modprobe null_blk nr_devices=1 gb=1 ${BENCH_NULL_BLK:-}
}
# context_switches: the guest's context switches so far, all CPUs.
context_switches() { awk '$1 == "ctxt" {print $2}' /proc/stat; }
# completion_irqs: the guest's BLOCK softirqs and function-call IPIs so
# far, all CPUs ("BLOCK CAL"): where a completion leaves the context that
# ended its I/O, blk-mq runs it in the block softirq or, on another CPU,
# through such an IPI, so their counts per I/O say which path commands took.
completion_irqs() {
	awk '$1 == "BLOCK:" {s = 0; for (i = 2; i <= NF; i++) s += $i; printf "%d ", s}' /proc/softirqs
	awk '$1 == "CAL:" {s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s}' /proc/interrupts
}
# threads_cpu FILE: each live thread of the guest (kernel threads
# included, the idle tasks not) with the time it has run so far, into
# FILE, a line "TID.STARTTIME NS" each, from its user and system times
# (clock ticks, scaled by the kernel to the scheduler's own run time). Not
# /proc/stat's per-CPU ticks: under TCG they also count much of an idle
# CPU's time as busy. (cat: a thread may end between the listing and the
# read; the fields are counted from the end of the command's name, which
# may hold spaces.)
threads_cpu() {
	cat /proc/[0-9]*/task/[0-9]*/stat 2>/dev/null |
		awk -v hz="$(getconf CLK_TCK)" '{tid = $1; sub(/.*\) /, ""); printf "%s.%s %.0f\n", tid, $20, ($12 + $13) * 1e9 / hz}' >"$1"
}
# threads_cpu_ns BEFORE AFTER: the time the threads ran between two
# threads_cpu files, in ns: each thread of AFTER, less what it had run in
# BEFORE (nothing if it started since). A thread that ended in between
# is not counted; summing all threads' times instead would subtract the
# whole life of every thread that ended (a negative time, seen when
# udev's workers ended during a run).
threads_cpu_ns() {
	awk 'NR == FNR {before[$1] = $2; next} {s += $2 - (($1 in before) ? before[$1] : 0)} END {printf "%.0f\n", s}' "$1" "$2"
}

# host_cpu_sample: the host's last reading of its own clock, of the CPU
# time QEMU has had, of the time its hypervisor took and of the time of
# QEMU's vCPU threads ("WALL_US CPU_TICKS STEAL_TICKS VCPU_TICKS",
# tests/vm/host-cpu.sh), or nothing outside tests/vm/run.
host_cpu_sample() { cat "${TCM_HOST_CPU:-/nonexistent}" 2>/dev/null; }
# host_rate FIELD BEFORE AFTER: how many host CPUs FIELD of two
# host_cpu_samples grew by, on average, between them; -1 if unknown. Each
# sample is up to 0.1 s old, the same for both ends, so over a couple of
# seconds it is close.
host_rate() {
	awk -v n="$1" -v a="$2" -v b="$3" -v hz="$(cat "${TCM_HOST_CPU:-/nonexistent}-hz" 2>/dev/null)" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		if (hz > 0 && y[1] > x[1] && y[n] != "") printf "%.2f\n", (y[n] - x[n]) / hz / ((y[1] - x[1]) / 1e6)
		else print -1
	}'
}
# host_cpus BEFORE AFTER: the host CPUs QEMU ran on, all its threads.
host_cpus() { host_rate 2 "$@"; }
# host_steal BEFORE AFTER: the host CPUs the host's own hypervisor took (a
# host that is itself a virtual machine runs slower by that much, whatever
# QEMU got).
host_steal() { host_rate 3 "$@"; }
# host_vcpus BEFORE AFTER: the host CPUs QEMU's vCPU threads ran on; the
# rest of host_cpus is QEMU's own work beside the guest (its main loop,
# 9p, timers).
host_vcpus() { host_rate 4 "$@"; }

wait_disk() { # lsscsi pattern -> device node
	local dev
	for _ in $(seq 50); do
		dev=$(lsscsi | awk -v p="$1" '$0 ~ p {print $NF; exit}')
		[ -b "$dev" ] && { echo "$dev"; return; }
		sleep 0.2
	done
	fail "no disk matching $1"
}

# The backstores, each 64 MiB, built through the same configfs steps on
# both cores: a ramdisk, a file on a tmpfs of its own (fileio, LIO's
# default: write-through) and null_blk behind iblock. The guest's /tmp is
# not a tmpfs but an overlayfs (virtme-ng's, over the host's /tmp), whose
# reads pass through to the file beneath. The file is written whole first,
# as a ramdisk's pages are all there: reads of a sparse file would read
# holes, not data.
HBA_DIR=
FILEIO_FS=/tmp/bench-tmpfs
# fileio-ext4: the file on ext4, on a memory-backed null_blk whose I/O
# completes after 100 us, a flash disk's write latency (BENCH_EXT4_NULL_BLK
# replaces those parameters; irqmode=0 for none): what a fileio LUN on a real file
# system does with each core's default write-through (O_DSYNC: every write
# waits for its writeback), where tmpfs has no writeback at all.
FILEIO_EXT4=/tmp/bench-ext4
EXT4_NULL_BLK=${BENCH_EXT4_NULL_BLK:-irqmode=2 completion_nsec=100000}
# iblock-wc: iblock on a memory-backed null_blk with a volatile write cache
# of 64 MiB and FUA (null_blk's default once it has a cache), as an SSD
# has: the LUN reports a write cache and DPOFUA, so the initiator sends
# an O_DSYNC write as a WRITE with FUA.
WC_NULL_BLK="memory_backed=1 cache_size=64"
make_backstore() { # ramdisk|fileio|fileio-ext4|iblock|iblock-wc
	case $1 in
	ramdisk) HBA_DIR=$TARGET/core/rd_mcp_0 ctl=rd_pages=16384 ;;
	fileio)
		mkdir -p $FILEIO_FS && mount -t tmpfs -o size=80M bench $FILEIO_FS &&
			dd if=/dev/zero of=$FILEIO_FS/bench.img bs=1M count=64 status=none || return 1
		HBA_DIR=$TARGET/core/fileio_1 ctl=fd_dev_name=$FILEIO_FS/bench.img,fd_dev_size=67108864
		;;
	fileio-ext4)
		# shellcheck disable=SC2086 # the parameters are words
		modprobe null_blk nr_devices=1 gb=1 memory_backed=1 $EXT4_NULL_BLK &&
			mkfs.ext4 -q -F /dev/nullb0 && mkdir -p $FILEIO_EXT4 && mount /dev/nullb0 $FILEIO_EXT4 &&
			dd if=/dev/zero of=$FILEIO_EXT4/bench.img bs=1M count=64 conv=fsync status=none || return 1
		HBA_DIR=$TARGET/core/fileio_3 ctl=fd_dev_name=$FILEIO_EXT4/bench.img,fd_dev_size=67108864
		;;
	iblock)
		load_null_blk || return 1
		HBA_DIR=$TARGET/core/iblock_2 ctl=udev_path=/dev/nullb0
		;;
	iblock-wc)
		# shellcheck disable=SC2086 # the parameters are words
		modprobe null_blk nr_devices=1 gb=1 $WC_NULL_BLK || return 1
		HBA_DIR=$TARGET/core/iblock_4 ctl=udev_path=/dev/nullb0
		;;
	esac
	# A unit serial, as targetcli writes one for every storage object: the
	# VPD pages are listed only then (LIO's rule, kept by tcm-rs), so that
	# Linux reads the block device characteristics page and, for a
	# non-rotating backstore, drops the per-I/O entropy sampling
	# (add_random) it does for a disk it takes as rotating.
	mkdir -p "$HBA_DIR/bench" && echo "$ctl" >"$HBA_DIR/bench/control" &&
		echo 1 >"$HBA_DIR/bench/enable" &&
		echo 5001405b-e9c4-4d3a-9b1e-000000000b01 >"$HBA_DIR/bench/wwn/vpd_unit_serial"
}
remove_backstore() { # ramdisk|fileio|fileio-ext4|iblock|iblock-wc
	rmdir "$HBA_DIR/bench" "$HBA_DIR" || return 1
	case $1 in
	fileio) umount $FILEIO_FS && rmdir $FILEIO_FS ;;
	fileio-ext4) umount $FILEIO_EXT4 && rmdir $FILEIO_EXT4 && modprobe -r null_blk ;;
	iblock | iblock-wc) modprobe -r null_blk ;;
	esac
}

# A LUN of that backstore over loopback, the same steps for both cores.
loop_lun() {
	local tpg=$TARGET/loopback/naa.5001405000000b01/tpgt_1
	make_backstore "$1" &&
		mkdir -p $tpg/lun/lun_0 &&
		echo naa.5001405000000b02 >$tpg/nexus &&
		ln -s "$HBA_DIR/bench" $tpg/lun/lun_0/bench
}
loop_lun_remove() {
	local tpg=$TARGET/loopback/naa.5001405000000b01/tpgt_1
	rm $tpg/lun/lun_0/bench && echo NULL >$tpg/nexus &&
		rmdir $tpg/lun/lun_0 $tpg $TARGET/loopback/naa.5001405000000b01 &&
		remove_backstore "$1"
}
disk_of() { # backstore -> the LUN's disk as lsscsi names its model
	case $1 in
	ramdisk) wait_disk 'LIO-ORG.*RAMDISK' ;;
	fileio | fileio-ext4) wait_disk 'LIO-ORG.*FILEIO' ;;
	iblock | iblock-wc) wait_disk 'LIO-ORG.*IBLOCK' ;;
	esac
}

# The configurations, in the order each round runs them: "name core
# backstore tcm_rs_loop-parameters". tcm-rs runs the ramdisk two ways: the
# loopback fabric's default (each command runs and completes in the
# submitting context) and with completions from a workqueue (submit_type=2,
# what LIO's tcm_loop does). Its fileio devices sleep for I/O, so their
# commands run from the loopback's submission workqueue (queued submission,
# the core's default for such a backstore); iblock's reads and writes run
# in queuecommand, submit their bios and pend, completed in the bios' end
# (backstore ABI 0.9, fabric ABI 0.9), writes with FUA too (backstore ABI
# 0.11, on iblock-wc).
configs=(
	"lio lio ramdisk -"
	"tcm-rs tcm ramdisk submit_type=0"
	"tcm-rs-queued tcm ramdisk submit_type=2"
	"lio-fileio lio fileio -"
	"tcm-rs-fileio tcm fileio submit_type=0"
	"lio-fileio-ext4 lio fileio-ext4 -"
	"tcm-rs-fileio-ext4 tcm fileio-ext4 submit_type=0"
	"lio-iblock lio iblock -"
	"tcm-rs-iblock tcm iblock submit_type=0"
	"lio-iblock-wc lio iblock-wc -"
	"tcm-rs-iblock-wc tcm iblock-wc submit_type=0"
)
# config_start CORE STORE PARAMS: CORE's loopback module loaded (tcm-rs's
# with PARAMS) and a LUN of STORE; config_stop CORE STORE takes them away.
config_start() {
	if [ "$1" = lio ]; then
		modprobe tcm_loop || fail "LIO"
	else
		# shellcheck disable=SC2086 # the parameters are words
		modprobe tcm_rs_loop $3 || fail "tcm-rs"
	fi
	loop_lun "$2" || fail "$1: no $2 LUN"
}
config_stop() {
	if [ "$1" = lio ]; then
		loop_lun_remove "$2" && lio_unload || fail "LIO did not unload"
	else
		loop_lun_remove "$2" && tcm_unload || fail "tcm-rs did not unload"
	fi
}
