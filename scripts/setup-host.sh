#!/bin/bash
# Installs what building and testing tcm-rs needs on a Debian bookworm host:
# Debian packages (build tools, QEMU and the real SCSI clients the VM tests
# use), rust-src, a pinned bindgen-cli and a pinned virtme-ng. Idempotent: each
# step checks first and does nothing when its part is already in place.
set -euo pipefail
. "$(dirname "$0")/common.sh"

# Build: the kernel's own dependencies, libclang for bindgen.
# VM: QEMU, and the clients that tests drive inside the guest (the guest
# shares this host's root file system read-only, so they come from here).
APT_PACKAGES=(
	build-essential bc bison flex libelf-dev libssl-dev dwarves cpio kmod rsync
	python3 python3-venv libclang-19-dev
	qemu-system-x86
	targetcli-fb python3-rtslib-fb sg3-utils lsscsi fio libiscsi-bin open-iscsi
	iproute2 e2fsprogs dbus tmux busybox-static jq
	# tests/bench/plot.py draws `make bench`'s figures on the host.
	python3-matplotlib
	# tests/bench/profile.sh samples the guest with perf.
	linux-perf
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing Debian packages: ${missing[*]}"
	as_root apt-get update -qq
	# Only the system's own suites are enabled here, so nothing is upgraded
	# from a newer suite. --no-install-recommends keeps QEMU's GUI out.
	apt_install() {
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" >"$TCM_CACHE/apt-install.log" 2>&1
	}
	mkdir -p "$TCM_CACHE"
	# A package script that fails once (seen with debconf on a fresh
	# machine) is retried after letting dpkg finish what it started.
	if ! apt_install; then
		as_root dpkg --configure -a >>"$TCM_CACHE/apt-install.log" 2>&1 || true
		apt_install || { tail -n 30 "$TCM_CACHE/apt-install.log"; die "apt-get install failed"; }
	fi
	# Package scripts may start daemons the host does not want running.
	for svc in iscsid open-iscsi target tgt; do
		as_root systemctl disable --now "$svc" >/dev/null 2>&1 || true
	done
fi

if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	log "adding rust-src"
	rustup component add rust-src
fi

if [ "$(bindgen --version 2>/dev/null)" != "bindgen $BINDGEN_VERSION" ]; then
	log "installing bindgen-cli $BINDGEN_VERSION into $TCM_TOOLS"
	cargo install --quiet --locked --root "$TCM_TOOLS" --force \
		bindgen-cli --version "$BINDGEN_VERSION"
fi

if [ "$(vng --version 2>/dev/null | awk '{print $2}')" != "$VIRTME_NG_VERSION" ]; then
	log "installing virtme-ng $VIRTME_NG_VERSION into $TCM_TOOLS/venv"
	python3 -m venv "$TCM_TOOLS/venv"
	"$TCM_TOOLS/venv/bin/pip" install --quiet "virtme-ng==$VIRTME_NG_VERSION"
fi
log "host set-up complete"
