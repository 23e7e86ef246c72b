# What an atomic add on a counter shared by the guest's CPUs costs under
# this emulation, against a counter per CPU (atomics.c): whether counters
# every command writes from every CPU can matter. And how much work the
# vCPUs do together, all busy, against one alone: what a workload that
# keeps every vCPU busy (two fio jobs) can get from the second.
#
#   tests/vm/run tests/bench/atomics.sh [ITERATIONS]
. "$TCM_ROOT/tests/vm/lib.sh"

bin=/tmp/atomics
gcc -O2 -pthread -Wall -o "$bin" "$TCM_ROOT/tests/bench/atomics.c" || fail "gcc"
"$bin" "${1:-2000000}" || fail "atomics"
