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
	# What targetcli could not clear (a tree it does not know, or one it
	# gave up on), taken down by hand: links first, then the directories
	# from the deepest, nexuses ended on the way.
	t=/sys/kernel/config/target
	find $t -mindepth 3 -type l -delete 2>/dev/null
	for n in $t/*/*/tpgt_*/nexus; do [ -e "$n" ] && echo NULL >"$n" 2>/dev/null; done
	find $t -mindepth 3 -depth -type d 2>/dev/null | while read -r d; do
		case $d in */core/alua | */core/alua/*) continue ;; esac
		rmdir "$d" 2>/dev/null
	done
	find $t -mindepth 2 -maxdepth 2 -type d 2>/dev/null | while read -r d; do
		case $d in */core/alua | */discovery_auth) continue ;; esac
		rmdir "$d" 2>/dev/null
	done
fi
# Disks a test made for its backstores: null_blk's configfs devices, then
# null_blk and scsi_debug themselves, so that the next test loads them
# with its own parameters (not counted as left behind: tests may leave
# them).
for d in /sys/kernel/config/nullb/*/; do
	[ -f "$d/power" ] || continue
	echo 0 >"$d/power" 2>/dev/null
	rmdir "$d" 2>/dev/null
done
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
for m in null_blk scsi_debug; do
	lsmod | grep -q "^$m " || continue
	for _ in $(seq 10); do modprobe -r "$m" 2>/dev/null && break; sleep 0.5; done
done
[ ${#left[@]} = 0 ] && exit 0
printf 'left behind: %s\n' "${left[@]}"
exit 1
