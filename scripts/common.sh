# Shared settings for the tcm-rs scripts. Source it; do not run it.
#
# Everything heavy (kernel source, kernel builds, tool installs, VM logs) lives
# in the cache directory outside the repository, so a fresh clone reuses it and
# `git clean` never throws it away.

TCM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TCM_CACHE=${TCM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tcm-rs}
# Per-checkout build directories (modules, cargo) are named by this hash of
# the checkout's path, so that checkouts sharing the cache never mix.
TCM_TREE=$(printf %s "$TCM_ROOT" | sha256sum | cut -c1-8)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$TCM_CACHE/cargo-target-$TCM_TREE}

# The pinned kernel: Debian's linux-source package from this suite.
KERNEL_SERIES=7.3
KERNEL_SUITE=trixie-backports

# Pinned user-space tools.
BINDGEN_VERSION=0.71.1
VIRTME_NG_VERSION=1.42

# Tools installed by `cargo install` and pip land here, not in the system.
TCM_TOOLS=$TCM_CACHE/tools
export PATH=$TCM_TOOLS/bin:$TCM_TOOLS/venv/bin:$HOME/.cargo/bin:$PATH

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}
