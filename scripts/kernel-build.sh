#!/bin/bash
# Builds the pinned test kernel (release or debug variant) into the cache and
# prints the build directory. A build is keyed by the kernel source version,
# the hash of the config fragments and the rustc version; one that exists is
# reused as is.
#
#   scripts/kernel-build.sh [release|debug]
set -euo pipefail
. "$(dirname "$0")/common.sh"

# The body is a function so that bash has read all of it before it runs:
# editing this file during a run cannot change the run.
main() {
variant=${1:-release}
fragments=("$TCM_ROOT/tests/kernel/base.config")
case $variant in
release) ;;
debug) fragments+=("$TCM_ROOT/tests/kernel/debug.config") ;;
*) die "unknown kernel variant '$variant' (release or debug)" ;;
esac

src=$("$TCM_ROOT/scripts/kernel-source.sh")
srcver=$(basename "$src")
cfghash=$(cat "${fragments[@]}" | sha256sum | cut -c1-12)
rustver=$(rustc --version | awk '{print $2}')
key="$srcver-$variant-$cfghash-rustc$rustver"
out=$TCM_CACHE/kbuild/$key

if [ -f "$out/.tcm-built" ]; then
	echo "$out"
	exit 0
fi

# One build of a given kernel at a time; a second caller waits for the first.
mkdir -p "$TCM_CACHE/kbuild"
exec 9>"$TCM_CACHE/kbuild/.$key.lock"
flock 9
if [ -f "$out/.tcm-built" ]; then
	echo "$out"
	exit 0
fi

log "building kernel $key (several minutes the first time)"
mkdir -p "$out"
kmake() { make -C "$src" O="$out" LLVM= CC=gcc "$@"; }

kmake -s rustavailable >&2 || die "the Rust toolchain does not meet the kernel's needs (run scripts/setup-host.sh)"
kmake -s allnoconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${fragments[@]}" >"$out/merge.log" 2>&1
kmake -s olddefconfig >/dev/null

# Every option the fragments name must have the value they give it.
bad=0
while IFS= read -r line; do
	case $line in CONFIG_*) ;; *) continue ;; esac
	opt=${line%%=*} val=${line#*=}
	if [ "$val" = n ]; then
		grep -qx "# $opt is not set" "$out/.config" || grep -qx "$opt=n" "$out/.config" ||
			! grep -q "^$opt=" "$out/.config" || { echo "config: $opt should be unset" >&2; bad=1; }
	else
		grep -qx "$line" "$out/.config" || { echo "config: $line did not stick ($(grep "^$opt=" "$out/.config" || echo unset))" >&2; bad=1; }
	fi
done < <(cat "${fragments[@]}")
[ $bad = 0 ] || die "kernel config fragments do not apply cleanly; see above"

kmake -j"$(nproc)" -s bzImage modules >&2
# Modules are installed into the build tree so that the VM can load the
# in-tree LIO modules and scsi_debug with modprobe.
kmake -s modules_install INSTALL_MOD_PATH="$out/modroot" INSTALL_MOD_STRIP=1 DEPMOD=/sbin/depmod >&2
touch "$out/.tcm-built"
echo "$out"
}
main "$@"
exit $?
