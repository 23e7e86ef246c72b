#!/bin/bash
# Brings the guest back to a clean target state after a test: reports what a
# test left behind (configfs objects, loaded target modules) and removes it.
# Exits 1 if anything was left.
left=()
if [ -d /sys/kernel/config/target/core ]; then
	# HBAs under core/ and WWNs under each fabric; alua/ and discovery_auth/
	# are default groups that always exist.
	objs=$(find /sys/kernel/config/target -mindepth 2 -maxdepth 2 -type d 2>/dev/null |
		grep -vE '/target/core/alua$|/discovery_auth$')
	[ -n "$objs" ] && left+=("configfs objects: $(echo $objs | head -c 300)")
	TARGETCLI_HOME=${TARGETCLI_HOME:-/tmp/targetcli-home} targetcli clearconfig confirm=true >/dev/null 2>&1
fi
mods=$(lsmod | awk 'NR>1 && $1 ~ /^(target_core|tcm_|iscsi_target_mod|tcm_rs)/ {print $1}')
if [ -n "$mods" ]; then
	left+=("modules: $(echo $mods)")
	for f in /sys/kernel/config/target/*/; do
		case $f in */core/) ;; *) rmdir "$f" 2>/dev/null ;; esac
	done
	for _ in 1 2 3; do
		for m in $(lsmod | awk 'NR>1 && $1 ~ /^(tcm_loop|iscsi_target_mod|target_core_|tcm_rs_)/ {print $1}'); do
			modprobe -r "$m" 2>/dev/null
		done
	done
fi
[ ${#left[@]} = 0 ] && exit 0
printf 'left behind: %s\n' "${left[@]}"
exit 1
