# The data path, side by side in one VM run: fio on a LUN served by tcm-rs
# (tcm_rs_loop) and by LIO (tcm_loop) over loopback, on a ramdisk, on fileio
# (a file on a tmpfs) and on iblock (null_blk), with null_blk and scsi_debug
# as the block layer's ceilings. Each figure is the median of BENCH_ROUNDS
# runs; the configurations take turns within each round so that drift hits
# all of them (the list is `configs` below). Prints a table per backstore
# with the ratios tcm-rs / LIO and writes data-path.json into the run
# directory.
# Under TCG absolute numbers mean little: compare ratios.
#
#   BENCH_RUNTIME  seconds per fio run (default 5)
#   BENCH_ROUNDS   runs per figure (default 3)
#   BENCH_QUICK    1: only 4k random read at QD 1 and 32 (the smoke test)
#   BENCH_CONFIGS  the configurations to run, by name (default: all of
#                  `configs` below; the ceilings always run)
. "$TCM_ROOT/tests/vm/lib.sh"

runtime=${BENCH_RUNTIME:-5}
rounds=${BENCH_ROUNDS:-3}
out=${TCM_RUN:-/tmp}/data-path.json
raw=/tmp/data-path.raw
: >"$raw"

# name rw bs iodepth numjobs batch (I/Os per submission, fio's
# iodepth_batch_submit: 1 submits each I/O alone, as fio does by default)
workloads=(
	"randread-4k-qd1 randread 4k 1 1 1"
	"randread-4k-qd32 randread 4k 32 1 1"
	"randread-4k-qd32-batch16 randread 4k 32 1 16"
	"randwrite-4k-qd1 randwrite 4k 1 1 1"
	"randwrite-4k-qd32 randwrite 4k 32 1 1"
	"randread-4k-qd32-2jobs randread 4k 32 2 1"
	"read-128k-qd8 read 128k 8 1 1"
	"write-128k-qd8 write 128k 8 1 1"
)
[ "${BENCH_QUICK:-0}" = 1 ] && workloads=("${workloads[@]:0:2}")

# context_switches: the guest's context switches so far, all CPUs.
context_switches() { awk '$1 == "ctxt" {print $2}' /proc/stat; }

# run TARGET DEVICE: every workload once; appends "target workload iops
# mean_us p99_us MBps switches" lines to $raw, switches being the guest's
# context switches per I/O during the run (where a command's time goes
# when a workqueue hop or a sleep is on its path; perf counters do not
# exist under TCG). The latencies are fio's total latency (submission and
# completion): a command completed inside io_submit has all of its time in
# the submission.
run() {
	local w name rw bs qd jobs batch before json
	for w in "${workloads[@]}"; do
		read -r name rw bs qd jobs batch <<<"$w"
		before=$(context_switches)
		json=$(fio --name=b --filename="$2" --direct=1 --ioengine=libaio --rw="$rw" --bs="$bs" \
			--iodepth="$qd" --iodepth_batch_submit="$batch" --iodepth_batch_complete_max="$batch" \
			--numjobs="$jobs" --group_reporting --runtime="$runtime" \
			--time_based --size=48M --offset_increment=0 --lat_percentiles=1 \
			--output-format=json 2>/dev/null)
		jq -r --arg t "$1" --arg n "$name" --arg d "${rw#rand}" \
			--argjson switches $(($(context_switches) - before)) '
			(.jobs[0].read.total_ios + .jobs[0].write.total_ios) as $ios |
			.jobs[0][if ($d == "read") then "read" else "write" end] |
			"\($t) \($n) \(.iops | floor) \(.lat_ns.mean / 1000 | floor) \(.lat_ns.percentile["99.000000"] / 1000 | floor) \(.bw / 1024 | floor) \(if $ios > 0 then $switches / $ios else 0 end)"' \
			<<<"$json" >>"$raw"
	done
}

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
make_backstore() { # ramdisk|fileio|iblock
	case $1 in
	ramdisk) HBA_DIR=$TARGET/core/rd_mcp_0 ctl=rd_pages=16384 ;;
	fileio)
		mkdir -p $FILEIO_FS && mount -t tmpfs -o size=80M bench $FILEIO_FS &&
			dd if=/dev/zero of=$FILEIO_FS/bench.img bs=1M count=64 status=none || return 1
		HBA_DIR=$TARGET/core/fileio_1 ctl=fd_dev_name=$FILEIO_FS/bench.img,fd_dev_size=67108864
		;;
	iblock)
		modprobe null_blk nr_devices=1 gb=1 || return 1
		HBA_DIR=$TARGET/core/iblock_2 ctl=udev_path=/dev/nullb0
		;;
	esac
	mkdir -p "$HBA_DIR/bench" && echo "$ctl" >"$HBA_DIR/bench/control" &&
		echo 1 >"$HBA_DIR/bench/enable"
}
remove_backstore() { # ramdisk|fileio|iblock
	rmdir "$HBA_DIR/bench" "$HBA_DIR" || return 1
	case $1 in
	fileio) umount $FILEIO_FS && rmdir $FILEIO_FS ;;
	iblock) modprobe -r null_blk ;;
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
	fileio) wait_disk 'LIO-ORG.*FILEIO' ;;
	iblock) wait_disk 'LIO-ORG.*IBLOCK' ;;
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
# (backstore ABI 0.9, fabric ABI 0.9).
configs=(
	"lio lio ramdisk -"
	"tcm-rs tcm ramdisk submit_type=0"
	"tcm-rs-queued tcm ramdisk submit_type=2"
	"lio-fileio lio fileio -"
	"tcm-rs-fileio tcm fileio submit_type=0"
	"lio-iblock lio iblock -"
	"tcm-rs-iblock tcm iblock submit_type=0"
)
if [ -n "${BENCH_CONFIGS:-}" ]; then
	chosen=()
	for c in "${configs[@]}"; do
		[[ " $BENCH_CONFIGS " == *" ${c%% *} "* ]] && chosen+=("$c")
	done
	[ ${#chosen[@]} -gt 0 ] || fail "BENCH_CONFIGS names no configuration of data-path.sh"
	configs=("${chosen[@]}")
fi

for round in $(seq "$rounds"); do
	echo "round $round of $rounds"
	modprobe null_blk nr_devices=1 gb=1 || fail "null_blk"
	run null_blk /dev/nullb0
	modprobe -r null_blk

	modprobe scsi_debug dev_size_mb=64 delay=0 || fail "scsi_debug"
	run scsi_debug "$(wait_disk scsi_debug)"
	# udev may still hold the disk open for a moment.
	for _ in $(seq 20); do modprobe -r scsi_debug 2>/dev/null && break; sleep 0.5; done

	for c in "${configs[@]}"; do
		read -r name core store params <<<"$c"
		if [ "$core" = lio ]; then
			modprobe tcm_loop || fail "LIO"
			loop_lun "$store" || fail "LIO $store LUN"
			run "$name" "$(disk_of "$store")"
			loop_lun_remove "$store" && lio_unload || fail "LIO did not unload"
		else
			# shellcheck disable=SC2086 # the parameters are words
			modprobe tcm_rs_loop $params || fail "tcm-rs"
			loop_lun "$store" || fail "tcm-rs $store LUN"
			run "$name" "$(disk_of "$store")"
			loop_lun_remove "$store" && tcm_unload || fail "tcm-rs did not unload"
		fi
	done
done

# Medians per target and workload, then the table and the JSON.
python3 - "$raw" "$out" <<'EOF'
import json, statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
fig = {}
for t, w, iops, mean, p99, mbps, switches in rows:
    fig.setdefault((t, w), []).append((int(iops), int(mean), int(p99), int(mbps), float(switches)))
med = {k: tuple(statistics.median(x[i] for x in v) for i in range(5)) for k, v in fig.items()}
workloads = list(dict.fromkeys(w for _, w in fig))
result = []
for (t, w), (iops, mean, p99, mbps, switches) in med.items():
    result.append({"target": t, "workload": w, "iops": iops, "mean_lat_us": mean,
                   "p99_lat_us": p99, "MBps": mbps, "switches_per_io": round(switches, 3),
                   "runs": len(fig[(t, w)])})

def table(title, targets, ratios):
    """IOPS of TARGETS per workload, then each (label, a, b) ratio a / b."""
    if not any((t, w) in med for t in targets for w in workloads):
        return
    print(f"\n{title}")
    print(f"{'workload':24} " + " ".join(f"{t:>13}" for t in targets)
          + "".join(f"  {label:>13}" for label, _, _ in ratios))
    for w in workloads:
        val = {t: med[(t, w)][0] for t in targets if (t, w) in med}
        cells = [f"{int(val[t]):>13}" if t in val else f"{'-':>13}" for t in targets]
        rs = [f"  {val[a] / val[b]:13.2f}" if val.get(a) and val.get(b) else f"  {'-':>13}"
              for _, a, b in ratios]
        print(f"{w:24} " + " ".join(cells) + "".join(rs))

table("ramdisk", ["null_blk", "scsi_debug", "lio", "tcm-rs", "tcm-rs-queued"],
      [("tcm/LIO", "tcm-rs", "lio"), ("queued/LIO", "tcm-rs-queued", "lio"),
       ("tcm/null_blk", "tcm-rs", "null_blk")])
table("fileio (a file on tmpfs)", ["lio-fileio", "tcm-rs-fileio"],
      [("tcm/LIO", "tcm-rs-fileio", "lio-fileio")])
table("iblock (null_blk)", ["null_blk", "lio-iblock", "tcm-rs-iblock"],
      [("tcm/LIO", "tcm-rs-iblock", "lio-iblock"), ("tcm/null_blk", "tcm-rs-iblock", "null_blk")])
print("(IOPS, median of the runs; latency and throughput in the JSON)")
targets = list(dict.fromkeys(t for t, _ in fig))
print("\ncontext switches per I/O (the guest's, all CPUs; median of the runs)")
print(f"{'workload':24} " + " ".join(f"{t:>13}" for t in targets))
for w in workloads:
    print(f"{w:24} " + " ".join(f"{med[(t, w)][4]:>13.2f}" if (t, w) in med else f"{'-':>13}"
                               for t in targets))
json.dump(result, open(sys.argv[2], "w"), indent=1)
EOF
echo "figures: $out"
