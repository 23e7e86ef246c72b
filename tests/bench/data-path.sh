# The data path, side by side in one VM run: fio on a LUN served by tcm-rs
# (tcm_rs_loop) and by LIO (tcm_loop) over loopback, on a ramdisk, on fileio
# (a file on a tmpfs, and one on ext4) and on iblock (null_blk, and one
# with a write cache, where O_DSYNC writes are WRITEs with FUA), with
# null_blk and scsi_debug as the block layer's ceilings. Each figure is the
# median of BENCH_ROUNDS runs; the configurations take turns within each
# round so that drift hits all of them (the list is `configs` in
# targets.sh). Prints a table per backstore with the ratios tcm-rs / LIO
# and writes data-path.json into the run directory.
# Under TCG absolute numbers mean little: compare ratios.
#
#   BENCH_RUNTIME  seconds per fio run (default 5)
#   BENCH_ROUNDS   runs per figure (default 3)
#   BENCH_QUICK    1: only 4k random read at QD 1 and 32 (the smoke test)
#   BENCH_CONFIGS  the configurations to run, by name (default: all of
#                  `configs` in targets.sh; the ceilings always run)
#   BENCH_WORKLOADS the workloads to run, by name (default: all of
#                  `workloads` in targets.sh)
#   BENCH_NULL_BLK null_blk's module parameters, for its ceiling and the
#                  iblock backstore (default: its own, one submission
#                  queue and completions in the submitter's context)
#   BENCH_EXT4_NULL_BLK null_blk's module parameters beneath the ext4 of
#                  the fileio-ext4 configurations (default: completions
#                  after 100 us, "irqmode=2 completion_nsec=100000";
#                  irqmode=0: at once)
. "$TCM_ROOT/tests/bench/targets.sh"

runtime=${BENCH_RUNTIME:-5}
rounds=${BENCH_ROUNDS:-3}
out=${TCM_RUN:-/tmp}/data-path.json
# In the run directory as it grows: a run stopped early keeps its rounds.
raw=${TCM_RUN:-/tmp}/data-path.raw
: >"$raw"

[ "${BENCH_QUICK:-0}" = 1 ] && workloads=("${workloads[@]:0:2}")
# keep_named ARRAY VARIABLE: keeps the entries of ARRAY (lines of
# targets.sh whose first word is a name) that VARIABLE's value names, if
# it is set; fails if it names none of them.
keep_named() {
	local -n entries=$1
	local names=${!2:-} e chosen=()
	[ -n "$names" ] || return 0
	for e in "${entries[@]}"; do
		[[ " $names " == *" ${e%% *} "* ]] && chosen+=("$e")
	done
	[ ${#chosen[@]} -gt 0 ] || fail "$2 names nothing in $1 of targets.sh"
	entries=("${chosen[@]}")
}
keep_named workloads BENCH_WORKLOADS

# run TARGET DEVICE: every workload once; appends "target workload iops
# mean_us p99_us MBps switches cpu_us host_cpus guest_cpus block_softirqs
# ipis host_steal host_vcpus" lines to $raw. switches: the guest's
# context switches per I/O during the run (where a command's time goes
# when a workqueue hop or a sleep is on its path; hardware counters do not
# exist under TCG, and profile.sh samples with perf's cpu-clock). cpu_us:
# the CPU time the guest's threads spent per I/O, fio's and every kernel
# thread's (what a workload costs, whichever CPUs and threads it runs on;
# where the CPUs are all busy, as with two jobs, IOPS follow from it),
# measured from the threads' own run times (threads_cpu_ns) over the
# middle half of the run, away from fio's start and end. The latencies are fio's
# total latency (submission and completion): a command completed inside
# io_submit has all of its time in the submission. host_cpus: the host
# CPUs QEMU ran on over the same middle half (host_cpus in targets.sh;
# -1 if unknown): under TCG a guest that keeps both vCPUs busy needs two,
# and a run that got fewer measured a busy host. guest_cpus: the CPUs the
# guest's threads ran on over that half (cpu_us's time over the window);
# what the host gave beyond it went to the guest's idle tasks: interrupts
# taken on an idle CPU, or idling itself. block_softirqs and ipis: the
# guest's BLOCK softirqs and function-call IPIs per I/O over the whole run
# (completion_irqs in targets.sh). host_steal: the host CPUs the host's own
# hypervisor took over the middle half (host_steal in targets.sh), and
# host_vcpus the host CPUs QEMU's vCPU threads ran on (host_vcpus).
run() {
	local w name rw bs qd jobs batch sync before irqs fio_pid t0 t1 h0 h1
	for w in "${workloads[@]}"; do
		read -r name rw bs qd jobs batch sync <<<"$w"
		# O_DSYNC writes only where the disk has a write cache (targets.sh).
		[ -z "$sync" ] || [ "$(cat "/sys/block/${2#/dev/}/queue/write_cache")" = "write back" ] || continue
		before=$(context_switches)
		irqs=$(completion_irqs)
		fio --name=b --filename="$2" --direct=1 --ioengine=libaio --rw="$rw" --bs="$bs" \
			--iodepth="$qd" --iodepth_batch_submit="$batch" --iodepth_batch_complete_max="$batch" \
			--numjobs="$jobs" ${sync:+--sync="$sync"} --group_reporting --runtime="$runtime" \
			--time_based --size=48M --offset_increment=0 --lat_percentiles=1 \
			--output-format=json --output=/tmp/data-path.fio 2>/dev/null &
		fio_pid=$!
		sleep "$(awk -v r="$runtime" 'BEGIN {print r / 4}')"
		t0=$(date +%s%N)
		h0=$(host_cpu_sample)
		threads_cpu /tmp/data-path.cpu0
		sleep "$(awk -v r="$runtime" 'BEGIN {print r / 2}')"
		t1=$(date +%s%N)
		h1=$(host_cpu_sample)
		threads_cpu /tmp/data-path.cpu1
		wait "$fio_pid" || fail "fio on $1, $name"
		jq -r --arg t "$1" --arg n "$name" --arg d "${rw#rand}" \
			--argjson switches $(($(context_switches) - before)) \
			--argjson irqs "[$(completion_irqs | awk -v b="$irqs" '{split(b, x, " "); print $1 - x[1] "," $2 - x[2]}')]" \
			--argjson host "$(host_cpus "$h0" "$h1")" \
			--argjson steal "$(host_steal "$h0" "$h1")" \
			--argjson vcpus "$(host_vcpus "$h0" "$h1")" \
			--argjson cpus "$(awk -v c="$(threads_cpu_ns /tmp/data-path.cpu0 /tmp/data-path.cpu1)" -v t=$((t1 - t0)) 'BEGIN {print c / t}')" '
			(.jobs[0].read.total_ios + .jobs[0].write.total_ios) as $ios |
			.jobs[0][if ($d == "read") then "read" else "write" end] |
			"\($t) \($n) \(.iops | floor) \(.lat_ns.mean / 1000 | floor) \(.lat_ns.percentile["99.000000"] / 1000 | floor) \(.bw / 1024 | floor) \(if $ios > 0 then $switches / $ios else 0 end) \(if .iops > 0 then $cpus * 1000000 / .iops else 0 end) \($host) \($cpus) \(if $ios > 0 then $irqs[0] / $ios else 0 end) \(if $ios > 0 then $irqs[1] / $ios else 0 end) \($steal) \($vcpus)"' \
			/tmp/data-path.fio >>"$raw"
	done
}

keep_named configs BENCH_CONFIGS

for round in $(seq "$rounds"); do
	echo "round $round of $rounds"
	load_null_blk || fail "null_blk ${BENCH_NULL_BLK:-}"
	run null_blk /dev/nullb0
	modprobe -r null_blk

	modprobe scsi_debug dev_size_mb=64 delay=0 || fail "scsi_debug"
	run scsi_debug "$(wait_disk scsi_debug)"
	# udev may still hold the disk open for a moment.
	for _ in $(seq 20); do modprobe -r scsi_debug 2>/dev/null && break; sleep 0.5; done

	for c in "${configs[@]}"; do
		read -r name core store params <<<"$c"
		config_start "$core" "$store" "$params"
		run "$name" "$(disk_of "$store")"
		config_stop "$core" "$store"
	done
done

# Medians per target and workload, then the table and the JSON.
python3 - "$raw" "$out" <<'EOF'
import json, statistics, sys
# The fields of a line of $raw after the target and the workload (run()).
FIELDS = ["iops", "mean", "p99", "mbps", "switches", "cpu", "host", "guest", "block", "ipis",
          "steal", "vcpus"]
fig = {}
for line in open(sys.argv[1]):
    if line.strip():
        t, w, *values = line.split()
        # IOPS, latencies and throughput are whole numbers (run() floors them).
        fig.setdefault((t, w), []).append({f: (int(v) if i < 4 else float(v))
                                           for i, (f, v) in enumerate(zip(FIELDS, values))})
med = {k: {f: statistics.median(x[f] for x in v) for f in FIELDS} for k, v in fig.items()}
workloads = list(dict.fromkeys(w for _, w in fig))
result = []
for (t, w), m in med.items():
    runs = fig[(t, w)]
    result.append({"target": t, "workload": w, "iops": m["iops"], "mean_lat_us": m["mean"],
                   "p99_lat_us": m["p99"], "MBps": m["mbps"],
                   "switches_per_io": round(m["switches"], 3), "cpu_us_per_io": round(m["cpu"], 1),
                   "host_cpus": round(m["host"], 2), "host_cpus_min": min(x["host"] for x in runs),
                   "guest_cpus": round(m["guest"], 2), "block_softirqs_per_io": round(m["block"], 3),
                   "ipis_per_io": round(m["ipis"], 3), "host_vcpus": round(m["vcpus"], 2),
                   "host_steal": round(m["steal"], 2), "host_steal_max": max(x["steal"] for x in runs),
                   "iops_runs": [x["iops"] for x in runs], "runs": len(runs)})

def table(title, targets, ratios):
    """IOPS of TARGETS per workload, then each (label, a, b) ratio a / b."""
    if not any((t, w) in med for t in targets for w in workloads):
        return
    print(f"\n{title}")
    print(f"{'workload':24} " + " ".join(f"{t:>13}" for t in targets)
          + "".join(f"  {label:>15}" for label, _, _ in ratios))
    for w in workloads:
        val = {t: med[(t, w)]["iops"] for t in targets if (t, w) in med}
        cells = [f"{int(val[t]):>13}" if t in val else f"{'-':>13}" for t in targets]
        rs = [f"  {ratio(w, a, b):>15}" for _, a, b in ratios]
        print(f"{w:24} " + " ".join(cells) + "".join(rs))

def ratio(w, a, b):
    """a / b of the medians, then the lowest and highest of the rounds' own
    a / b (a round runs the two a minute or so apart, so its ratio is spared
    the host's drift between rounds), if more than one round ran both."""
    if not ((a, w) in med and (b, w) in med and med[(b, w)]["iops"]):
        return "-"
    cell = f"{med[(a, w)]['iops'] / med[(b, w)]['iops']:.2f}"
    runs = list(zip(fig[(a, w)], fig[(b, w)]))
    if len(runs) > 1 and len(fig[(a, w)]) == len(fig[(b, w)]) and all(y["iops"] for _, y in runs):
        rounds = [x["iops"] / y["iops"] for x, y in runs]
        cell += f" {min(rounds):.2f}-{max(rounds):.2f}"
    return cell

table("ramdisk", ["null_blk", "scsi_debug", "lio", "tcm-rs", "tcm-rs-queued"],
      [("tcm/LIO", "tcm-rs", "lio"), ("queued/LIO", "tcm-rs-queued", "lio"),
       ("tcm/null_blk", "tcm-rs", "null_blk")])
table("fileio (a file on tmpfs)", ["lio-fileio", "tcm-rs-fileio"],
      [("tcm/LIO", "tcm-rs-fileio", "lio-fileio")])
table("fileio (a file on ext4, on a memory-backed null_blk)", ["lio-fileio-ext4", "tcm-rs-fileio-ext4"],
      [("tcm/LIO", "tcm-rs-fileio-ext4", "lio-fileio-ext4")])
table("iblock (null_blk)", ["null_blk", "lio-iblock", "tcm-rs-iblock"],
      [("tcm/LIO", "tcm-rs-iblock", "lio-iblock"), ("tcm/null_blk", "tcm-rs-iblock", "null_blk")])
table("iblock (a memory-backed null_blk with a 64 MiB write cache and FUA)", ["lio-iblock-wc", "tcm-rs-iblock-wc"],
      [("tcm/LIO", "tcm-rs-iblock-wc", "lio-iblock-wc")])
print("(IOPS, median of the runs; the ratios of the medians, then the lowest and highest of the\n"
      " rounds' own ratios; latency and throughput in the JSON)")
targets = list(dict.fromkeys(t for t, _ in fig))
for title, field, fmt in [("context switches per I/O (the guest's, all CPUs; median of the runs)", "switches", ".2f"),
                      ("CPU time per I/O, µs (the guest's, all CPUs, fio's included; median)", "cpu", ".1f"),
                      ("host CPUs the VM ran on (median; -1: not known)", "host", ".2f"),
                      ("of which its vCPU threads (median; -1: not known)", "vcpus", ".2f"),
                      ("host CPUs the host's own hypervisor took (median; -1: not known)", "steal", ".2f"),
                      ("guest CPUs its threads ran on (median; the rest of the host's went to idle tasks)",
                       "guest", ".2f"),
                      ("BLOCK softirqs per I/O (the guest's; median)", "block", ".3f"),
                      ("function-call IPIs per I/O (the guest's; median)", "ipis", ".3f")]:
    print(f"\n{title}")
    print(f"{'workload':24} " + " ".join(f"{t:>13}" for t in targets))
    for w in workloads:
        print(f"{w:24} " + " ".join(f"{med[(t, w)][field]:>13{fmt}}" if (t, w) in med else f"{'-':>13}"
                                   for t in targets))
json.dump(result, open(sys.argv[2], "w"), indent=1)
EOF
echo "figures: $out"
