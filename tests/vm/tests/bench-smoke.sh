# The benchmark harness runs (a short run of the configuration-plane
# benchmark with a few LUNs); `make bench` measures. No speed is asserted.
# vm-kernels: release
. "$TCM_ROOT/tests/vm/lib.sh"

expect "the configuration-plane benchmark runs" env BENCH_LUNS=5 TCM_RUN=/tmp bash -e "$TCM_ROOT/tests/bench/config-plane.sh"
expect "it wrote its figures" jq -e 'length == 2' /tmp/config-plane.json
