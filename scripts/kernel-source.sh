#!/bin/bash
# Fetches Debian's linux-source-$KERNEL_SERIES package and unpacks it into the
# cache, without changing the installed system: apt runs with a private
# sources list, list directory and archive directory under the cache, so the
# host's apt state never sees the newer suite. Prints the source tree's path.
set -euo pipefail
. "$(dirname "$0")/common.sh"

APT_DIR=$TCM_CACHE/apt
SRC_ROOT=$TCM_CACHE/src
mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/archives/partial" "$SRC_ROOT"

# The mirror is whatever this machine's own Debian sources use.
mirror() {
	local uri
	uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1=="deb" && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
	fi
	[ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list*"
	echo "${uri%/}"
}

APT_OPTS=(
	-o "Dir::Etc::SourceList=$APT_DIR/sources.list"
	-o "Dir::Etc::SourceParts=$APT_DIR/sources.list.d"
	-o "Dir::State::Lists=$APT_DIR/lists"
	-o "Dir::Cache::Archives=$APT_DIR/archives"
	-o "Dir::Cache::pkgcache=$APT_DIR/pkgcache.bin"
	-o "Dir::Cache::srcpkgcache=$APT_DIR/srcpkgcache.bin"
	-o "Debug::NoLocking=1"
	-o "APT::Sandbox::User=root"
)

deb=$(ls "$APT_DIR"/linux-source-"$KERNEL_SERIES"_*.deb 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$deb" ]; then
	log "fetching linux-source-$KERNEL_SERIES from $KERNEL_SUITE"
	mkdir -p "$APT_DIR/sources.list.d"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(mirror) $KERNEL_SUITE main" \
		>"$APT_DIR/sources.list"
	apt-get "${APT_OPTS[@]}" -qq update
	(cd "$APT_DIR" && apt-get "${APT_OPTS[@]}" -qq download "linux-source-$KERNEL_SERIES")
	deb=$(ls "$APT_DIR"/linux-source-"$KERNEL_SERIES"_*.deb | sort -V | tail -n1)
fi

# The package version (e.g. 7.3.4-1~bpo12+1) names the unpacked tree, so a new
# upload gets a new tree and new kernel builds.
version=$(dpkg-deb -f "$deb" Version)
tree=$SRC_ROOT/linux-source-$version
if [ ! -f "$tree/.tcm-unpacked" ]; then
	log "unpacking linux-source $version"
	rm -rf "$tree" "$tree.tmp"
	mkdir -p "$tree.tmp"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO --wildcards "./usr/src/linux-source-$KERNEL_SERIES.tar.xz" |
		tar -xJ -C "$tree.tmp" --strip-components=1
	touch "$tree.tmp/.tcm-unpacked"
	mv "$tree.tmp" "$tree"
fi
echo "$tree"
