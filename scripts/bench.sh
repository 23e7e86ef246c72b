#!/bin/bash
# `make bench`: every benchmark in one VM run on the release kernel
# (tests/bench/all.sh), then, on the host, the plot of the ratios tcm-rs /
# LIO (tests/bench/plot.py) as ratios.png next to the figures in the run
# directory ($TCM_CACHE/vm-runs/...). A run that fails draws nothing; a
# plot that cannot be drawn fails `make bench`.
set -euo pipefail
. "$(dirname "$0")/common.sh"

# The body is a function so that bash has read all of it before it runs:
# editing this file during a run cannot change the run.
main() {
	local rundir
	where=$(mktemp) # global: the EXIT trap runs after main returns
	trap 'rm -f "$where"' EXIT
	# A whole run takes one to two hours under TCG (the configuration
	# plane's targetcli-fb runs alone take most of an hour), far past
	# tests/vm/run's default of 15 minutes, meant for tests.
	"$TCM_ROOT/tests/vm/run" --timeout "${BENCH_TIMEOUT:-14400}" \
		--rundir-file "$where" "$TCM_ROOT/tests/bench/all.sh"
	rundir=$(cat "$where")
	# Debian's python3, which has python3-matplotlib (setup-host.sh), not
	# whichever python3 comes first on the PATH.
	/usr/bin/python3 "$TCM_ROOT/tests/bench/plot.py" "$rundir"
}
main "$@"
exit $?
