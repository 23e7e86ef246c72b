#!/bin/bash
# Every test tier of tcm-rs, in order; `make test` runs them all.
#
#   scripts/test.sh [static] [host] [modules] [vm]
#
#   static   rustfmt on every crate; clippy -D warnings on the host crates
#   host     cargo test (unit and property tests of the shared protocol code);
#            the tests of tests/bench/plot.py
#   modules  the kernel modules build with no warnings against the release
#            and debug kernels, and clippy-clean (make CLIPPY=1); so do the
#            fabric modules tcm_mod_builder generates, one per protocol
#   vm       the VM suite (KUnit, configfs, real clients) on the debug kernel
#            (lockdep, kmemleak, SLUB debugging) and on the release kernel,
#            the plot of the release run's bench-smoke figures, APTPL across
#            a VM reboot (two boots), and the harness's own self-test
#
# Every step runs even when an earlier one failed; the closing line counts them.
set -uo pipefail
. "$(dirname "$0")/common.sh"
cd "$TCM_ROOT"

# The body is a function so that bash has read all of it before it runs:
# editing this file during a run cannot change the run.
main() {
tiers=("$@")
[ ${#tiers[@]} -gt 0 ] || tiers=(static host modules vm)

passed=0 failed=0 failed_steps=()
step() {
	local what=$1; shift
	log "$what"
	local t0=$SECONDS
	if "$@"; then
		passed=$((passed + 1))
		log "$what: ok ($((SECONDS - t0)) s)"
	else
		failed=$((failed + 1)) failed_steps+=("$what")
		log "$what: FAILED ($((SECONDS - t0)) s)"
	fi
}

# plot_smoke FILE: draws the figures of the bench-smoke test of the run
# whose directory FILE names.
# shellcheck disable=SC2317 # run through step
plot_smoke() {
	local rundir; rundir=$(cat "$1")
	[ -n "$rundir" ] || { echo "no VM run directory" >&2; return 1; }
	/usr/bin/python3 tests/bench/plot.py "$rundir/bench-smoke"
}

kernel_rust_files() { git ls-files -- 'target_core/*.rs' 'backstores/*.rs' 'fabrics/*.rs' 'sdk/*.rs'; }

for tier in "${tiers[@]}"; do
	case $tier in
	static)
		step "rustfmt (host crates)" cargo fmt --all --check
		step "rustfmt (kernel crates)" rustfmt --check --edition 2021 $(kernel_rust_files)
		step "clippy (host crates)" cargo clippy --workspace --all-targets --quiet -- -D warnings
		;;
	host)
		step "cargo test" cargo test --workspace --quiet
		# tests/bench/plot.py on sample figures, with Debian's python3
		# (python3-matplotlib); no bytecode left in the repository.
		step "plot.py tests" env PYTHONDONTWRITEBYTECODE=1 \
			/usr/bin/python3 -m unittest discover -s tests/bench -p 'test_*.py'
		;;
	modules)
		step "modules, release kernel, no warnings" scripts/modules-build.sh release
		step "modules, debug kernel, no warnings" scripts/modules-build.sh debug
		step "modules, clippy clean" env CLIPPY=1 scripts/modules-build.sh release
		# One module per protocol from tcm_mod_builder, in a scratch tree
		# under the cache; the VM test tcm-mod-builder loads them.
		step "generated fabric modules, release kernel" scripts/modbuilder-build.sh release
		step "generated fabric modules, debug kernel" scripts/modbuilder-build.sh debug
		step "generated fabric modules, clippy clean" env CLIPPY=1 scripts/modbuilder-build.sh release
		;;
	vm)
		# The suites take about 1300 s (debug) and 1900 s (release) on an
		# idle machine; all.sh stops a test that hangs long before this.
		step "VM suite, debug kernel" tests/vm/run --debug-kernel --timeout 3000 tests/vm/all.sh
		release_run=$(mktemp)
		step "VM suite, release kernel" tests/vm/run --timeout 3600 --rundir-file "$release_run" tests/vm/all.sh
		# The bench-smoke test left its figures in the run directory.
		step "plot of the bench smoke's figures" plot_smoke "$release_run"
		rm -f "$release_run"
		step "APTPL across a VM reboot" tests/vm/aptpl-reboot
		step "VM harness self-test" tests/vm/selftest.sh
		;;
	*) die "unknown tier '$tier' (static, host, modules, vm)" ;;
	esac
done

[ $failed = 0 ] || log "failed: ${failed_steps[*]}"
echo "steps: $passed passed, $failed failed"
[ $failed = 0 ]
}
main "$@"
exit $?
