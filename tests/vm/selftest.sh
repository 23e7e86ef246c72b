#!/bin/bash
# Checks the harness itself: a guest that produces a kernel WARNING must make
# tests/vm/run fail and quote the report, even though the script exits 0.
set -uo pipefail
. "$(dirname "$0")/../../scripts/common.sh"

out=$("$TCM_ROOT/tests/vm/run" --debug-kernel "$TCM_ROOT/tests/vm/selftest/warning.sh" 2>&1)
rc=$?
if [ $rc = 0 ]; then
	echo "$out" | tail -n 30
	die "harness self-test: a kernel WARNING did not fail the run"
fi
grep -q 'FAIL: kernel WARNING report' <<<"$out" ||
	{ echo "$out" | tail -n 30; die "harness self-test: the WARNING was not quoted"; }
grep -q 'lkdtm_WARNING' <<<"$out" ||
	{ echo "$out" | tail -n 30; die "harness self-test: the quote lacks the warning's location"; }
log "harness self-test: a provoked WARNING fails the run and is quoted"
