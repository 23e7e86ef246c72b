#!/bin/bash
# Runs inside the guest (started by tests/vm/run): prepares the guest for the
# tests, runs one test script, and leaves the results in the run directory
# shared with the host (status, dmesg.txt, kmemleak.txt).
#
#   guest-init.sh RUNDIR SCRIPT [ARGS...]
#   guest-init.sh RUNDIR --shell
set -u
run=$1; shift
. "$run/env.sh"

mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
mountpoint -q /sys/kernel/config || mount -t configfs configfs /sys/kernel/config

# The pinned kernel's modules (LIO, scsi_debug, null_blk, ...) and ours, in a
# writable /lib/modules so that modprobe and the kernel's request_module()
# find them by name.
# An overlay, not a copy: the kernel's modules stay on the 9p share.
mkdir -p /run/tcm-mods
mount -t tmpfs tmpfs /run/tcm-mods
mkdir -p /run/tcm-mods/upper /run/tcm-mods/work
mount -t overlay overlay -o "lowerdir=$TCM_KDIR/modroot/lib/modules,upperdir=/run/tcm-mods/upper,workdir=/run/tcm-mods/work" /lib/modules
mkdir -p "/lib/modules/$TCM_KREL/extra"
find "$TCM_MDIR" -name '*.ko' -exec cp {} "/lib/modules/$TCM_KREL/extra/" \;
depmod -a "$TCM_KREL"

# Reports of leaks from before the test (boot) are not the test's.
kmemleak=/sys/kernel/debug/kmemleak
[ -w $kmemleak ] && echo clear >$kmemleak

export TCM_ROOT TCM_KDIR TCM_MDIR TCM_GENMDIR TCM_KREL TCM_VARIANT TCM_BIN
# Settings from the host's environment, empty for the defaults: the
# watchdog's limit per test (all.sh) and the benchmarks'.
export TCM_TEST_TIMEOUT BENCH_RUNTIME BENCH_ROUNDS BENCH_LUNS BENCH_QUICK BENCH_CONFIGS BENCH_WORKLOADS BENCH_NULL_BLK BENCH_EXT4_NULL_BLK BENCH_ACLS BENCH_TOOLS BENCH_FB_BUILD_MAX
export TCM_RUN=$run
# What the host gives the VM (tests/vm/host-cpu.sh), wherever a script's
# TCM_RUN points.
export TCM_HOST_CPU=$run/host-cpu
export PATH=$TCM_BIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
cd "$TCM_ROOT"

if [ "${1:-}" = --shell ]; then
	echo "tcm-rs guest: $TCM_VARIANT kernel $TCM_KREL; modules in /lib/modules/$TCM_KREL/extra"
	echo "repository at $TCM_ROOT; 'modprobe tcm_rs_core' loads the core"
	exec bash --rcfile "$TCM_ROOT/tests/vm/guest-bashrc" -i
fi

bash "$@"
rc=$?

# kmemleak only reports objects older than 5 s: wait that long, then scan.
if [ -w $kmemleak ]; then
	sleep 6
	echo scan >$kmemleak
	cat $kmemleak >"$run/kmemleak.txt"
fi
dmesg >"$run/dmesg.txt"
echo $rc >"$run/status"
sync
