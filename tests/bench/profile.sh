# Where one data-path configuration's time goes: perf's cpu-clock
# sampling of the whole guest (a software event: it works under TCG, where
# no hardware counter exists) while fio runs one workload of
# data-path.sh on one of its configurations.
#
#   tests/vm/run tests/bench/profile.sh CONFIG WORKLOAD [SECONDS]
#
# CONFIG and WORKLOAD are names from targets.sh (tcm-rs-fileio,
# randread-4k-qd32-2jobs, ...); SECONDS of sampling (default 4), from
# half a second after fio's I/O began. Prints fio's IOPS (over its whole
# run: the sampling and perf's start and end around it), the interrupts
# that grew, each
# kernel module's share of the samples, and the symbols with the most
# samples, alone and with their callees; writes
# perf.data and the guest's kallsyms into the run directory, for
# `perf report -i perf.data --kallsyms kallsyms` on the host. Samples
# taken with interrupts off land where they are turned on again
# (`_raw_spin_unlock_irqrestore`); perf itself costs fio about a third of
# its IOPS: compare profiles with each other, not with data-path.sh.
. "$TCM_ROOT/tests/bench/targets.sh"

[ $# -ge 2 ] || fail "usage: profile.sh CONFIG WORKLOAD [SECONDS]"
config=$(printf '%s\n' "${configs[@]}" | awk -v n="$1" '$1 == n') || true
[ -n "$config" ] || fail "no configuration $1 in targets.sh"
workload=$(printf '%s\n' "${workloads[@]}" | awk -v n="$2" '$1 == n') || true
[ -n "$workload" ] || fail "no workload $2 in targets.sh"
seconds=${3:-4}
command -v perf >/dev/null || fail "perf is not installed (Debian's linux-perf)"
read -r _ core store params <<<"$config"
read -r _ rw bs qd jobs batch sync <<<"$workload"
dir=${TCM_RUN:-/tmp}

config_start "$core" "$store" "$params"
dev=$(disk_of "$store")
fio_args=(--name=p --filename="$dev" --direct=1 --ioengine=libaio --rw="$rw" --bs="$bs"
	--iodepth="$qd" --iodepth_batch_submit="$batch" --iodepth_batch_complete_max="$batch"
	--numjobs="$jobs" ${sync:+--sync="$sync"} --group_reporting --time_based --size=48M --offset_increment=0)
# perf starts half a second after fio's I/O has begun, and fio runs until
# perf is done (stopped then with SIGINT, its figures written as at its
# end), so that fio's start (the dynamic linking of its many engines'
# libraries) and its end stay out of the profile however long each takes:
# on a loaded host fio's start took more than a second, and perf's own
# start more than fio's whole run had left. Its I/O is told from udev's
# (which reads a disk again after it is opened for writing) by its
# number: a thousand I/Os, a tenth of a second of it.
disk_ios() { awk '{print $1 + $5}' "/sys/block/${dev#/dev/}/stat"; }
udevadm settle
ios0=$(disk_ios)
fio "${fio_args[@]}" --runtime=600 --output=/tmp/profile.fio &
fio_pid=$!
for _ in $(seq 600); do
	[ $(($(disk_ios) - ios0)) -ge 1000 ] && break
	kill -0 "$fio_pid" 2>/dev/null || break
	sleep 0.1
done
[ $(($(disk_ios) - ios0)) -ge 1000 ] && kill -0 "$fio_pid" 2>/dev/null ||
	fail "fio did not get going on $dev within 60 s"
sleep 0.5
cat /proc/interrupts >/tmp/profile.irq0
ios_before=$(disk_ios)
# Recorded in the guest's /tmp, then copied: perf maps its output file.
perf record -q -a -g -e cpu-clock -F 2000 -o /tmp/perf.data -- sleep "$seconds" || fail "perf record"
ios_sampled=$(($(disk_ios) - ios_before))
cat /proc/interrupts >/tmp/profile.irq1
# fio's exit status after SIGINT is not 0: its figures say it ran.
kill -INT "$fio_pid"
wait "$fio_pid" || true
grep -q IOPS /tmp/profile.fio || fail "fio"
cp /tmp/perf.data "$dir/perf.data" && cat /proc/kallsyms >"$dir/kallsyms" || fail "no room for perf.data in $dir"

echo "=== $1, $2: fio under perf"
grep -E 'IOPS|cpu  ' /tmp/profile.fio
# fio's IOPS covers its whole run, perf's start and end included, which
# weigh on the two cores differently; what the samples were spent on is
# the I/Os completed while perf sampled.
samples=$(perf report -i /tmp/perf.data -n --no-children --sort cpu --stdio -g none 2>/dev/null |
	awk '$1 ~ /%$/ {n += $2} END {print n + 0}')
echo "=== I/Os completed while sampling: $ios_sampled ($((ios_sampled / seconds))/s)," \
	"samples (all CPUs, $samples) per 1000 I/Os: $(awk -v s="$samples" -v n="$ios_sampled" \
	'BEGIN {if (n > 0) printf "%.0f", s * 1000 / n; else print "?"}')"
echo "=== interrupts that grew by more than 1000 (all CPUs)"
paste -d' ' <(awk 'NR > 1 {s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print $1, s}' /tmp/profile.irq0) \
	<(awk 'NR > 1 {s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s}' /tmp/profile.irq1) |
	awk '$3 - $2 > 1000 {print "  " $1, $3 - $2}'
echo "=== samples by kernel module (the target cores' and fabrics' share)"
perf report -i /tmp/perf.data --no-children --sort dso --stdio -g none 2>/dev/null |
	grep -E '\[[a-z0-9_]+\] *$' | grep -vE '\[(kernel\.[a-z]+|vdso|vsyscall)\]' ||
	echo "  (no module's code was sampled)"
echo "=== samples by symbol, alone"
perf report -i /tmp/perf.data --no-children --sort sym --stdio -g none --percent-limit 0.5 2>/dev/null |
	grep -v '^#' | grep -v '^$' | head -50
echo "=== samples by symbol, with what it calls"
perf report -i /tmp/perf.data --children --sort sym --stdio -g none --percent-limit 2 2>/dev/null |
	grep -v '^#' | grep -v '^$' | head -60
echo "perf.data and kallsyms: $dir"
# Unloaded only now: perf report finds the modules' symbols in kallsyms.
config_stop "$core" "$store"
