#!/bin/bash
# Builds the tcm-rs kernel modules against the pinned kernel (release or
# debug variant), out of the source tree, and prints the output directory.
# Warnings are errors. CLIPPY=1 builds through clippy-driver into a
# separate directory, with clippy's warnings as errors too.
#
#   scripts/modules-build.sh [release|debug]
set -euo pipefail
. "$(dirname "$0")/common.sh"

variant=${1:-release}
kdir=$("$TCM_ROOT/scripts/kernel-build.sh" "$variant")
# One output directory per checkout, so that two checkouts (a CI clone, a
# helper's worktree) never build into each other's objects.
out=$TCM_CACHE/modules/$(basename "$kdir")-$TCM_TREE${CLIPPY:+-clippy}
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9

log "building modules for $variant kernel${CLIPPY:+ with clippy}"
make -s --no-print-directory -C "$kdir" M="$TCM_ROOT" MO="$out" -j"$(nproc)" \
	KCFLAGS=-Werror KRUSTFLAGS=-Dwarnings ${CLIPPY:+CLIPPY=1} modules >&2
echo "$out"
