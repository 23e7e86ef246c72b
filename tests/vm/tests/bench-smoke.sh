# The benchmark harness runs (short runs of the data-path benchmark, of the
# configuration-plane benchmark with a few LUNs and of the memory benchmark
# with 4 LUNs and 2 sessions, and a second of the profiler); `make bench`
# measures. No figure is
# asserted. The figures land in bench-smoke/ of the run directory, where
# scripts/test.sh draws them with tests/bench/plot.py on the host.
# vm-kernels: release
. "$TCM_ROOT/tests/vm/lib.sh"

out=${TCM_RUN:-/tmp}/bench-smoke
mkdir -p "$out"
expect "the configuration-plane benchmark runs" env BENCH_LUNS=5 TCM_RUN="$out" bash -e "$TCM_ROOT/tests/bench/config-plane.sh"
expect "it wrote its figures: builds and restores, both tools, both cores" jq -e \
	'length == 2 and all(.[]; [.build_targetcli_fb_s, .build_targetcli_rs_s,
		.restore_targetcli_fb_s, .restore_targetcli_rs_s] | all(type == "number"))' \
	"$out/config-plane.json"
expect "the data-path benchmark runs" env BENCH_QUICK=1 BENCH_RUNTIME=1 BENCH_ROUNDS=1 TCM_RUN="$out" bash -e "$TCM_ROOT/tests/bench/data-path.sh"
expect "it measured every target" jq -e '[.[].target] | unique == ["lio","lio-fileio","lio-fileio-ext4","lio-iblock","lio-iblock-wc","null_blk","scsi_debug","tcm-rs","tcm-rs-fileio","tcm-rs-fileio-ext4","tcm-rs-iblock","tcm-rs-iblock-wc","tcm-rs-queued"]' "$out/data-path.json"
expect "and both workloads" jq -e 'length == 26' "$out/data-path.json"
expect "with the CPU time each I/O cost" jq -e 'all(.[]; .cpu_us_per_io > 0)' "$out/data-path.json"
expect "and the host CPUs each run got, and what the host's hypervisor took" jq -e 'all(.[]; .host_cpus > 0 and .host_cpus_min > 0 and .host_vcpus > 0 and .host_steal >= 0)' "$out/data-path.json"
expect "the guest CPUs its threads ran on, its completion interrupts and each run's IOPS" jq -e '
	all(.[]; .guest_cpus > 0 and .block_softirqs_per_io >= 0 and .ipis_per_io >= 0 and
		(.iops_runs | length) == .runs and (.runs > 1 or .iops_runs[0] == .iops))' "$out/data-path.json"
expect "the memory benchmark runs" env BENCH_QUICK=1 TCM_RUN="$out" bash -e "$TCM_ROOT/tests/bench/memory.sh"
expect "it measured devices, LUNs, targets, TPGs and sessions on both cores, and the SCSI disk alone" jq -e '
	[.results[] | "\(.core) \(.object)"] | sort == ["lio device","lio lun","lio session","lio target","lio tpg",
		"scsi_debug scsi-disk","tcm-rs device","tcm-rs lun","tcm-rs session","tcm-rs target","tcm-rs tpg"]' "$out/memory.json"
expect "the profiler samples tcm-rs's fileio reads, and finds tcm-rs's code in them" sh -c "
	env TCM_RUN=$out bash -e $TCM_ROOT/tests/bench/profile.sh tcm-rs-fileio randread-4k-qd32 1 >$out/profile.txt &&
	test -s $out/perf.data && grep -qE '^ +[0-9.]+% +\[tcm_rs_core\]' $out/profile.txt"
expect "and counts the I/Os done while it sampled, and the samples per 1000 of them" \
	grep -qE '^=== I/Os completed while sampling: [1-9][0-9]* .* per 1000 I/Os: [1-9][0-9]*$' "$out/profile.txt"
