# The benchmark harness runs (short runs of the data-path benchmark and of
# the configuration-plane benchmark with a few LUNs); `make bench`
# measures. No speed is asserted.
# vm-kernels: release
. "$TCM_ROOT/tests/vm/lib.sh"

expect "the configuration-plane benchmark runs" env BENCH_LUNS=5 TCM_RUN=/tmp bash -e "$TCM_ROOT/tests/bench/config-plane.sh"
expect "it wrote its figures" jq -e 'length == 2' /tmp/config-plane.json
expect "the data-path benchmark runs" env BENCH_QUICK=1 BENCH_RUNTIME=1 BENCH_ROUNDS=1 TCM_RUN=/tmp bash -e "$TCM_ROOT/tests/bench/data-path.sh"
expect "it measured every target" jq -e '[.[].target] | unique == ["lio","null_blk","scsi_debug","tcm-rs","tcm-rs-queued"]' /tmp/data-path.json
expect "and both workloads" jq -e 'length == 10' /tmp/data-path.json
