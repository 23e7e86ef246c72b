# The data path, side by side in one VM run: fio on a ramdisk LUN served by
# tcm-rs (tcm_rs_loop over tcm_rs_rd) and by LIO (tcm_loop over rd_mcp), with
# null_blk and scsi_debug as the block layer's ceilings. Each figure is the
# median of BENCH_ROUNDS runs; the targets take turns within each round so
# that drift hits all of them. tcm-rs runs twice: with the loopback
# fabric's default (each command runs and completes in the submitting
# context) and with completions from a workqueue (submit_type=2, what LIO's
# tcm_loop does). Prints a table with
# the ratios tcm-rs / LIO and tcm-rs / null_blk and writes data-path.json
# into the run directory.
# Under TCG absolute numbers mean little: compare ratios.
#
#   BENCH_RUNTIME  seconds per fio run (default 5)
#   BENCH_ROUNDS   runs per figure (default 3)
#   BENCH_QUICK    1: only 4k random read at QD 1 and 32 (the smoke test)
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

# run TARGET DEVICE: every workload once; appends "target workload iops
# mean_us p99_us MBps" lines to $raw.
run() {
	local w name rw bs qd jobs batch
	for w in "${workloads[@]}"; do
		read -r name rw bs qd jobs batch <<<"$w"
		fio --name=b --filename="$2" --direct=1 --ioengine=libaio --rw="$rw" --bs="$bs" \
			--iodepth="$qd" --iodepth_batch_submit="$batch" --iodepth_batch_complete_max="$batch" \
			--numjobs="$jobs" --group_reporting --runtime="$runtime" \
			--time_based --size=48M --offset_increment=0 --output-format=json 2>/dev/null |
			jq -r --arg t "$1" --arg n "$name" --arg d "${rw#rand}" '
				.jobs[0][if ($d == "read") then "read" else "write" end] |
				"\($t) \($n) \(.iops | floor) \(.clat_ns.mean / 1000 | floor) \(.clat_ns.percentile["99.000000"] / 1000 | floor) \(.bw / 1024 | floor)"' >>"$raw"
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

# A 64 MiB ramdisk LUN over loopback through configfs, the same steps for
# both cores.
loop_lun() {
	local tpg=$TARGET/loopback/naa.5001405000000b01/tpgt_1
	mkdir -p $TARGET/core/rd_mcp_0/bench &&
		echo rd_pages=16384 >$TARGET/core/rd_mcp_0/bench/control &&
		echo 1 >$TARGET/core/rd_mcp_0/bench/enable &&
		mkdir -p $tpg/lun/lun_0 &&
		echo naa.5001405000000b02 >$tpg/nexus &&
		ln -s $TARGET/core/rd_mcp_0/bench $tpg/lun/lun_0/bench
}
loop_lun_remove() {
	local tpg=$TARGET/loopback/naa.5001405000000b01/tpgt_1
	rm $tpg/lun/lun_0/bench && echo NULL >$tpg/nexus &&
		rmdir $tpg/lun/lun_0 $tpg $TARGET/loopback/naa.5001405000000b01 &&
		rmdir $TARGET/core/rd_mcp_0/bench $TARGET/core/rd_mcp_0
}

for round in $(seq "$rounds"); do
	echo "round $round of $rounds"
	modprobe null_blk nr_devices=1 gb=1 || fail "null_blk"
	run null_blk /dev/nullb0
	modprobe -r null_blk

	modprobe scsi_debug dev_size_mb=64 delay=0 || fail "scsi_debug"
	run scsi_debug "$(wait_disk scsi_debug)"
	modprobe -r scsi_debug

	modprobe tcm_loop || fail "LIO"
	loop_lun || fail "LIO LUN"
	run lio "$(wait_disk 'LIO-ORG.*RAMDISK')"
	loop_lun_remove && lio_unload || fail "LIO did not unload"

	# The loopback fabric's default (all in the submitting context), then
	# completions from a workqueue, as LIO's tcm_loop.
	for mode in 0 2; do
		modprobe tcm_rs_loop submit_type=$mode || fail "tcm-rs"
		loop_lun || fail "tcm-rs LUN"
		run "tcm-rs$([ $mode = 2 ] && echo -queued)" "$(wait_disk 'LIO-ORG.*RAMDISK')"
		loop_lun_remove && tcm_unload || fail "tcm-rs did not unload"
	done
done

# Medians per target and workload, then the table and the JSON.
python3 - "$raw" "$out" <<'EOF'
import json, statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
fig = {}
for t, w, iops, mean, p99, mbps in rows:
    fig.setdefault((t, w), []).append((int(iops), int(mean), int(p99), int(mbps)))
med = {k: tuple(statistics.median(x[i] for x in v) for i in range(4)) for k, v in fig.items()}
workloads = list(dict.fromkeys(w for _, w in fig))
targets = ["null_blk", "scsi_debug", "lio", "tcm-rs", "tcm-rs-queued"]
print(f"{'workload':24} " + " ".join(f"{t:>13}" for t in targets) + "  tcm/LIO  queued/LIO  tcm/null_blk")
result = []
for w in workloads:
    cells, vals = [], {}
    for t in targets:
        if (t, w) in med:
            iops, mean, p99, mbps = med[(t, w)]
            vals[t] = iops
            cells.append(f"{int(iops):>13}")
            result.append({"target": t, "workload": w, "iops": iops, "mean_lat_us": mean,
                           "p99_lat_us": p99, "MBps": mbps, "runs": len(fig[(t, w)])})
        else:
            cells.append(f"{'-':>13}")
    lio, nb = vals.get("lio"), vals.get("null_blk")
    r1 = vals.get("tcm-rs", 0) / lio if lio else 0
    rq = vals.get("tcm-rs-queued", 0) / lio if lio else 0
    r2 = vals.get("tcm-rs", 0) / nb if nb else 0
    print(f"{w:24} " + " ".join(cells) + f"  {r1:7.2f}  {rq:10.2f}  {r2:12.2f}")
print("(IOPS, median of the runs; latency and throughput in the JSON)")
json.dump(result, open(sys.argv[2], "w"), indent=1)
EOF
echo "figures: $out"
