# The configuration plane: building N ramdisk LUNs (default 1000) of one
# iSCSI target with A node ACLs (default 2) one shell command at a time,
# and restoring them from a saveconfig.json, with targetcli-fb and with
# targetcli-rs, against in-tree LIO and against tcm-rs, in one VM run.
# Prints the times and the ratios; writes the figures to config-plane.json
# in the run directory.
# An ACL maps at most 256 LUNs (mapped LUNs 0 to 255: rtslib-fb refuses
# others, so targetcli-fb could not restore the file): with N <= 256 every
# LUN is mapped into every ACL; with more, there are at least N / 256 ACLs
# (rounded up) and LUN i is mapped, as mapped LUN i % 256, into ACL
# i / 256 + 1 alone.
# An iSCSI target with no session logged in costs nothing on the initiator
# side, so the figures are the configuration plane's alone (a loopback
# target would have the initiator scan every LUN as a disk).
. "$TCM_ROOT/tests/vm/lib.sh"

N=${BENCH_LUNS:-1000}
A=${BENCH_ACLS:-2}
# The tools to time (both by default).
TOOLS=${BENCH_TOOLS:-targetcli-fb targetcli-rs}
# targetcli-fb builds no more LUNs than this (0.3 s a storage object and
# 0.75 s a LUN at 100 LUNs under TCG, and more with every object: hours
# for 1000); its restore runs at any size.
FB_BUILD_MAX=${BENCH_FB_BUILD_MAX:-256}
MAXMAP=256
if [ "$N" -gt $MAXMAP ]; then
	[ "$A" -ge $(((N + MAXMAP - 1) / MAXMAP)) ] || A=$(((N + MAXMAP - 1) / MAXMAP))
	MAPPED=$N # mapped LUNs in all
else
	MAPPED=$((N * A))
fi
acl() { echo "iqn.1994-05.com.example:initiator$1"; }
IQN=iqn.2003-01.org.tcm-rs:config-plane
TPG=$TARGET/iscsi/$IQN/tpgt_1
work=$(mktemp -d /tmp/config-plane.XXXXXX)
start_dbus
results=()

# The configuration as shell commands, the same for both tools.
{
	for i in $(seq 0 $((N - 1))); do
		echo "/backstores/ramdisk create name=rd$i size=1M nullio=true"
	done
	echo "/iscsi create $IQN"
	for a in $(seq 1 "$A"); do
		echo "/iscsi/$IQN/tpg1/acls create $(acl "$a") add_mapped_luns=false"
	done
	for i in $(seq 0 $((N - 1))); do
		echo "/iscsi/$IQN/tpg1/luns create /backstores/ramdisk/rd$i add_mapped_luns=false"
		if [ "$N" -le $MAXMAP ]; then
			for a in $(seq 1 "$A"); do
				echo "/iscsi/$IQN/tpg1/acls/$(acl "$a") create $i lun$i"
			done
		else
			echo "/iscsi/$IQN/tpg1/acls/$(acl $((i / MAXMAP + 1))) create $((i % MAXMAP)) lun$i"
		fi
	done
} >"$work/build.cmds"
# targetcli-fb reads them from its standard input, as typed at its prompt;
# it must not save the configuration as it exits.
{ echo "set global auto_save_on_exit=false"; cat "$work/build.cmds"; echo exit; } >"$work/build.fb"

# in_place CORE TOOL VERB: the whole configuration is in place, as TOOL
# VERB (built, restored) it.
in_place() {
	expect "$1: $2 $3 $N LUNs" test "$(ls -d $TPG/lun/lun_* | wc -l)" = "$N"
	expect "$1: and $A ACLs with $MAPPED mapped LUNs in all" \
		test "$(ls -d $TPG/acls/*/lun_* | wc -l)" = "$MAPPED"
}

seconds() { # COMMAND... -> elapsed seconds; the command's output only if it fails
	local start end
	start=$(date +%s.%N)
	"$@" >"$work/out" 2>&1 || { cat "$work/out" >&2; fail "$*"; }
	end=$(date +%s.%N)
	printf '%.2f' "$(echo "$end - $start" | bc)"
}

# build CORE TOOL: times TOOL's build of the configuration on CORE, one
# command at a time from the list in one process (what an administrator's
# script costs), and checks it; leaves it in place. Sets
# build_${CORE}_${TOOL} (fb or rs) to the seconds; fails (and leaves it
# "null") if BENCH_TOOLS leaves TOOL out or the build is too big for
# targetcli-fb.
build() {
	local v=build_${1}_${2#targetcli-} t
	eval "$v=null"
	[[ " $TOOLS " == *" $2 "* ]] || return 1
	if [ "$2" = targetcli-fb ] && [ "$N" -gt "$FB_BUILD_MAX" ]; then
		echo "$1: no targetcli-fb build of $N LUNs (more than BENCH_FB_BUILD_MAX=$FB_BUILD_MAX)"
		return 1
	fi
	if [ "$2" = targetcli-fb ]; then
		t=$(seconds bash -c "targetcli <$work/build.fb")
	else
		t=$(seconds targetcli-rs --batch "$work/build.cmds")
	fi
	echo "$1: $2 built $N LUNs, $A ACLs and $MAPPED mapped LUNs ($(wc -l <"$work/build.cmds") commands) in $t s"
	in_place "$1" "$2" built
	eval "$v=$t"
}

# save_once CORE: saves the configuration built on CORE for the restores,
# unless one was saved already.
save_once() {
	[ -f "$work/config.json" ] ||
		expect "$1: targetcli-rs saves the configuration" \
			bash -c "targetcli-rs saveconfig $work/config.json >/dev/null"
}

# clear CORE: clears the configuration (with targetcli-rs).
clear() {
	expect "$1: clear" bash -c "targetcli-rs clearconfig confirm=true >/dev/null"
}

# restore CORE TOOL: times TOOL's restore on CORE, checks and clears; sets
# restore_${CORE}_${TOOL} (fb or rs) to the seconds, "null" if BENCH_TOOLS
# leaves TOOL out.
restore() {
	local v=restore_${1}_${2#targetcli-} t
	eval "$v=null"
	[[ " $TOOLS " == *" $2 "* ]] || return 0
	if [ "$2" = targetcli-fb ]; then
		t=$(seconds targetcli restoreconfig "$work/config.json")
		in_place "$1" "$2" restored
		expect "$1: clear" bash -c "targetcli clearconfig confirm=True >/dev/null"
	else
		t=$(seconds targetcli-rs restoreconfig "$work/config.json")
		in_place "$1" "$2" restored
		clear "$1"
	fi
	eval "$v=$t"
}

val() { eval echo "\$$1"; } # NAME -> the value of the variable NAME
secs() { if [ "$1" = null ]; then echo -; else echo "$1 s"; fi; } # seconds or null, shown

ratio() { # A B -> A / B, or "-" when either is missing
	if [ "$1" = null ] || [ "$2" = null ]; then echo -; else printf '%.2f' "$(echo "$1 / $2" | bc -l)"; fi
}

# bench CORE: each tool's build, then each tool's restore, on CORE. The
# first build of all (on LIO) is saved for the restores.
bench() {
	local c=$1 tool step fb rs
	for tool in targetcli-rs targetcli-fb; do
		build "$c" $tool || continue
		save_once "$c"
		clear "$c"
	done
	if [ ! -f "$work/config.json" ]; then # no build was timed
		expect "$c: targetcli-rs builds the configuration (untimed)" \
			bash -c "targetcli-rs --batch $work/build.cmds >/dev/null"
		save_once "$c"
		clear "$c"
	fi
	restore "$c" targetcli-fb
	restore "$c" targetcli-rs
	for step in build restore; do
		fb=$(val "${step}_${c}_fb") rs=$(val "${step}_${c}_rs")
		printf '%-8s %-7s of %s LUNs, %s ACLs, %s mapped LUNs: targetcli-fb %s, targetcli-rs %s (fb / rs %s)\n' \
			"$c" "$step" "$N" "$A" "$MAPPED" "$(secs "$fb")" "$(secs "$rs")" "$(ratio "$fb" "$rs")"
	done
	results+=("$(printf '{"core":"%s","luns":%s,"acls":%s,"mapped_luns":%s,"build_targetcli_fb_s":%s,"build_targetcli_rs_s":%s,"restore_targetcli_fb_s":%s,"restore_targetcli_rs_s":%s}' \
		"$c" "$N" "$A" "$MAPPED" "$(val build_${c}_fb)" "$(val build_${c}_rs)" \
		"$(val restore_${c}_fb)" "$(val restore_${c}_rs)")")
}

expect "LIO loads" modprobe target_core_mod
bench lio
expect "LIO unloads" lio_unload
expect "tcm_rs_core loads" modprobe tcm_rs_core
bench tcm
expect "tcm-rs unloads" tcm_unload

# shellcheck disable=SC2154 # set by build and restore through eval
{
	echo "tcm-rs / LIO build time: with targetcli-fb $(ratio "$build_tcm_fb" "$build_lio_fb"), with targetcli-rs $(ratio "$build_tcm_rs" "$build_lio_rs")"
	echo "tcm-rs / LIO restore time: with targetcli-fb $(ratio "$restore_tcm_fb" "$restore_lio_fb"), with targetcli-rs $(ratio "$restore_tcm_rs" "$restore_lio_rs")"
}
printf '[%s]\n' "$(IFS=,; echo "${results[*]}")" >"${TCM_RUN:-$work}/config-plane.json"
echo "figures: ${TCM_RUN:-$work}/config-plane.json"
