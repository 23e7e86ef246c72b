#!/bin/bash
# Host side of a VM run: how much CPU the host gives the guest.
#
#   host-cpu.sh RUNDIR
#
# Finds the QEMU process of the run (the one whose command line names
# RUNDIR, which virtme-ng shares with the guest) and, until it exits,
# rewrites RUNDIR/host-cpu ten times a second with one line, "WALL_US
# CPU_TICKS STEAL_TICKS": the host's wall clock in microseconds, the CPU
# time QEMU has had so far, all its threads, in clock ticks (utime and
# stime of /proc/PID/stat; the host's schedstat run times are not always
# kept), and the time the host's own hypervisor has taken from the host's
# CPUs so far, in clock ticks (steal of /proc/stat's cpu line; 0 on a host
# that is not a virtual machine), then VCPU_TICKS: the CPU time of QEMU's
# busiest threads so far, as many as the VM has vCPUs (under TCG those are
# the vCPU threads; QEMU does not name its threads unless asked), so that
# what QEMU spent outside the guest's CPUs (its main loop, 9p, timers)
# shows as the rest.
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
# The VM's vCPUs: QEMU's -smp N or -smp cpus=N, else 1.
vcpus=$(tr '\0' '\n' <"/proc/$pid/cmdline" | awk 'p {sub(/^cpus=/, ""); print $0 + 0; exit} $0 == "-smp" {p = 1}')
[ "${vcpus:-0}" -gt 0 ] || vcpus=1
while read -r stat 2>/dev/null <"/proc/$pid/stat"; do
	# The fields after the command's name, which may hold spaces:
	# utime and stime are the 12th and 13th of them.
	read -r -a f <<<"${stat##*) }"
	total=$((f[11] + f[12]))
	read -r _ _ _ _ _ _ _ _ steal _ </proc/stat
	# The busiest threads: the largest $vcpus of the threads' times.
	threads=()
	for t in /proc/"$pid"/task/*/stat; do
		read -r stat 2>/dev/null <"$t" || continue
		read -r -a f <<<"${stat##*) }"
		threads+=($((f[11] + f[12])))
	done
	busiest=0
	for ((k = 0; k < vcpus; k++)); do
		max=-1 at=-1
		for i in "${!threads[@]}"; do
			[ "${threads[i]}" -gt "$max" ] && max=${threads[i]} at=$i
		done
		[ "$at" -ge 0 ] || break
		busiest=$((busiest + max))
		unset "threads[at]"
	done
	printf '%s %s %s %s\n' "${EPOCHREALTIME/./}" "$total" "${steal:-0}" "$busiest" >"$out.new" &&
		mv -f "$out.new" "$out"
	sleep 0.1
done
