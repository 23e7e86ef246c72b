#!/bin/bash
# Prints what a test that stopped moving was waiting for, for all.sh's
# watchdog: every blocked task's kernel stack (sysrq w, into the kernel
# log, which the console shows), the block layer's view of each disk
# (requests in flight, and blk-mq's debugfs: requests held per hardware
# queue, dispatch lists, tags, queue state) and the stacks of the test's
# own processes. Changes nothing of the test's state: it only mounts
# debugfs if it is not mounted, and turns sysrq on for the dump.
echo "=== hang report: the blocked tasks' stacks follow in the kernel log"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
for b in /sys/block/*; do
	read -r r w 2>/dev/null <"$b/inflight" || continue
	[ "$r$w" = 00 ] && continue
	echo "--- ${b##*/}: in flight, reads $r, writes $w"
	d=/sys/kernel/debug/block/${b##*/}
	for f in "$d"/state "$d"/requeue_list "$d"/hctx*/state "$d"/hctx*/busy "$d"/hctx*/dispatch \
		"$d"/hctx*/dispatch_busy "$d"/hctx*/tags; do
		[ -s "$f" ] && { echo "$f:"; head -c 4000 "$f"; }
	done
done
for p in "$@"; do
	for t in /proc/"$p"/task/*; do
		[ -r "$t/stack" ] || continue
		echo "--- task ${t##*/} ($(cat "$t/comm" 2>/dev/null), $(awk '{print $3}' "$t/stat" 2>/dev/null)):"
		cat "$t/stack" 2>/dev/null
	done
done
echo 1 >/proc/sys/kernel/sysrq 2>/dev/null
echo w >/proc/sysrq-trigger 2>/dev/null
echo "=== end of hang report"
