#!/bin/bash
# Runs every test in tests/vm/tests/ (or the ones named) in this guest, one
# after another, and prints one line per test and a closing count. A test
# with the line "# vm-kernels: release" runs on the release kernel only,
# one with "# vm-kernels: debug" on the debug kernel only.
#
#   tests/vm/run tests/vm/all.sh [NAME...]
cd "$(dirname "$0")/tests" || exit 1
if [ $# -gt 0 ]; then tests=("${@/%/.sh}"); else tests=(*.sh); fi

# A test still running after this many seconds has stopped moving (the
# slowest take about 6 minutes on the debug kernel under TCG): the
# watchdog prints what it waits for (hang-report.sh), kills it and stops
# the suite, whose next tests would find commands stuck in the kernel.
limit=${TCM_TEST_TIMEOUT:-1200}

descendants() { # PID -> PID and every process below it
	local c
	echo "$1"
	for c in $(pgrep -P "$1"); do descendants "$c"; done
}

passed=0 failed=0 skipped=0 failed_names=()
for t in "${tests[@]}"; do
	name=${t%.sh}
	# A test that checks only user space against LIO says so with a line
	# "# vm-kernels: release"; the debug kernel's checks add nothing to it
	# and it is slow there.
	if [ "$TCM_VARIANT" = debug ] && grep -qx '# vm-kernels: release' "$t"; then
		echo "=== $name: skipped on the debug kernel"
		skipped=$((skipped + 1))
		continue
	fi
	# One whose every step (LIO's half included) runs the same on the
	# debug kernel, and whose timing matters to nothing, says "# vm-kernels:
	# debug": the release kernel would repeat it without its checks.
	if [ "$TCM_VARIANT" != debug ] && grep -qx '# vm-kernels: debug' "$t"; then
		echo "=== $name: skipped on the release kernel"
		skipped=$((skipped + 1))
		continue
	fi
	echo "tcm-rs-test-start: $name" >/dev/kmsg
	echo "=== $name"
	t0=$SECONDS
	TCM_TEST=$name bash -e "./$t" &
	pid=$!
	(
		# shellcheck disable=SC2046 # one word per process
		sleep "$limit" && {
			echo "--- $name: still running after $limit s"
			../hang-report.sh $(descendants "$pid")
			kill -KILL $(descendants "$pid") 2>/dev/null
		}
	) &
	watchdog=$!
	wait "$pid"
	rc=$?
	if ! pkill -P "$watchdog" -x sleep; then
		wait "$watchdog"
		echo "--- FAIL $name (still running after $limit s: the hang report is above)"
		failed=$((failed + 1)) failed_names+=("$name")
		echo "the suite stops here: the kernel may have commands stuck in it"
		break
	fi
	wait "$watchdog"
	# A test leaves the guest as it found it; what it left fails it, and is
	# removed so that the next test starts clean.
	../cleanup.sh || rc=1
	if [ $rc = 0 ]; then
		echo "--- PASS $name ($((SECONDS - t0)) s)"
		passed=$((passed + 1))
	else
		echo "--- FAIL $name ($((SECONDS - t0)) s)"
		failed=$((failed + 1)) failed_names+=("$name")
	fi
done
[ $failed = 0 ] || echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
