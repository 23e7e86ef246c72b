#!/bin/bash
# Host side of a VM run: how much CPU the host gives the guest.
#
#   host-cpu.sh RUNDIR
#
# Finds the QEMU process of the run (the one whose command line names
# RUNDIR, which virtme-ng shares with the guest) and, until it exits,
# rewrites RUNDIR/host-cpu ten times a second with one line, "WALL_US
# CPU_TICKS": the host's wall clock in microseconds and the CPU time QEMU
# has had so far, all its threads, in clock ticks (utime and stime of
# /proc/PID/stat; the host's schedstat run times are not always kept).
# The guest reads the line before and after a measurement
# (tests/bench/targets.sh host_cpu_*): the host CPUs its vCPUs actually ran
# on. Under TCG every guest instruction is host work, so a run that got
# fewer host CPUs than its busy vCPUs measures the host, not the code.
set -u
rundir=$1
out=$rundir/host-cpu
pid=
for _ in $(seq 600); do
	pid=$(pgrep -f -n -- "qemu-system.*$rundir") && break
	sleep 0.1
done
[ -n "$pid" ] || exit 0
hz=$(getconf CLK_TCK)
echo "$hz" >"$rundir/host-cpu-hz"
while read -r stat 2>/dev/null <"/proc/$pid/stat"; do
	# The fields after the command's name, which may hold spaces:
	# utime and stime are the 12th and 13th of them.
	read -r -a f <<<"${stat##*) }"
	printf '%s %s\n' "${EPOCHREALTIME/./}" $((f[11] + f[12])) >"$out.new" &&
		mv -f "$out.new" "$out"
	sleep 0.1
done
