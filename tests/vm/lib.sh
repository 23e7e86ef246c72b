# Helpers for VM test scripts. Source it: `. "$TCM_ROOT/tests/vm/lib.sh"`.
# Each check prints what it checked; a failed check exits the test non-zero.

CONFIGFS=/sys/kernel/config
TARGET=$CONFIGFS/target

fail() { echo "FAIL: $*" >&2; exit 1; }
# Each passed check also goes, with the seconds since its test began, to
# steps.txt in the run directory: where a slow test spends its time.
pass() {
	echo "ok: $*"
	[ -z "${TCM_RUN:-}" ] || printf '%s\t%s\t%s\n' "${TCM_TEST:-}" "$SECONDS" "$*" >>"$TCM_RUN/steps.txt"
}

# expect DESCRIPTION COMMAND...: the command must succeed.
expect() {
	local what=$1; shift
	"$@" || fail "$what (command: $*)"
	pass "$what"
}

# expect_errno ERRNO DESCRIPTION COMMAND...: the command must fail, and its
# error message (strerror, as coreutils prints it) must name ERRNO.
expect_errno() {
	local errno=$1 what=$2 out; shift 2
	if out=$("$@" 2>&1); then fail "$what: succeeded, expected $errno"; fi
	case $out in
	*"$(errno_text "$errno")"*) pass "$what ($errno)" ;;
	*) fail "$what: expected $errno, got: $out" ;;
	esac
}

errno_text() {
	case $1 in
	EINVAL) echo "Invalid argument" ;;
	EBUSY) echo "Device or resource busy" ;;
	EEXIST) echo "File exists" ;;
	ENOENT) echo "No such file or directory" ;;
	ENOMEM) echo "Cannot allocate memory" ;;
	EPERM) echo "Operation not permitted" ;;
	ENOTDIR) echo "Not a directory" ;;
	ENOTEMPTY) echo "Directory not empty" ;;
	EOVERFLOW) echo "Value too large for defined data type" ;;
	ENODEV) echo "No such device" ;;
	EFAULT) echo "Bad address" ;;
	ERANGE) echo "Numerical result out of range" ;;
	ENOSYS) echo "Function not implemented" ;;
	EOPNOTSUPP) echo "Operation not supported" ;;
	ENOTBLK) echo "Block device required" ;;
	EACCES) echo "Permission denied" ;;
	EROFS) echo "Read-only file system" ;;
	*) echo "$1" ;;
	esac
}

# Kernel log lines since this test started (tests run in sequence in one
# guest; all.sh marks each start in the log).
# Outside all.sh (make run, a one-off script) that is the whole log.
test_dmesg() {
	if [ -n "${TCM_TEST:-}" ]; then
		dmesg | sed -n "/tcm-rs-test-start: $TCM_TEST\$/,\$p"
	else
		dmesg
	fi
}

# kunit_passed SUITE: the suite ran (at module load) and every case passed.
kunit_passed() {
	local log; log=$(test_dmesg)
	grep -qE "\] ok [0-9]+ $1\$" <<<"$log" ||
		fail "KUnit suite $1 did not pass: $(grep -E "$1|not ok" <<<"$log" | tail -n 5)"
	pass "KUnit suite $1 passed"
}

# targetcli-fb asks D-Bus for tcmu-runner handlers: it needs a system bus.
start_dbus() {
	[ -S /run/dbus/system_bus_socket ] && return 0
	mkdir -p /run/dbus
	dbus-daemon --system --fork || fail "cannot start dbus-daemon"
}
export TARGETCLI_HOME=${TARGETCLI_HOME:-/tmp/targetcli-home}

# Removes the fabric directories (each holds a reference on its fabric
# module); the configuration itself must already be cleared.
remove_fabric_dirs() {
	local f
	for f in "$TARGET"/*/; do
		f=${f%/}
		case ${f##*/} in core) continue ;; esac
		rmdir "$f" || return 1
	done
}

# unload_modules MODULE...: unloads those of them that are loaded, in order.
unload_modules() {
	local m
	for m; do
		if lsmod | grep -q "^$m "; then modprobe -r "$m" || return 1; fi
	done
}

# loop_disk WWN TPGT LUN: the block device of LUN LUN of loopback target
# WWN's tpgt_TPGT (SCSI device host:0:TPGT:LUN), once the SCSI midlayer has
# added it (waits up to 5 s); fails if it does not come.
loop_disk() {
	local host i b
	host=$(cut -d: -f1 "$TARGET/loopback/$1/tpgt_$2/address")
	for i in $(seq 50); do
		for b in /sys/class/scsi_device/"$host:0:$2:$3"/device/block/*; do
			[ -e "$b" ] && { echo "/dev/${b##*/}"; return 0; }
		done
		sleep 0.1
	done
	return 1
}

# drain_ua SG: takes every pending unit attention of SG (a TEST UNIT READY
# that succeeds within six tries).
drain_ua() {
	local i
	for i in 1 2 3 4 5 6; do
		sg_turs "$1" >/dev/null 2>&1 && return 0
	done
	return 1
}

# tree_lines DIR...: every path under DIR... (relative names, sorted), one
# line each: "PATH = VALUE" for a readable file (trailing newlines dropped,
# the others shown as |; a read that fails as "error: <errno text>"),
# "PATH -> TARGET" for a link (its target from /target/ on), and "PATH"
# otherwise. Builtins for the files: a fork costs tens of milliseconds
# under TCG, and a tree has hundreds of attributes; callers filter the
# whole listing with one sed.
tree_lines() {
	local p v err=/tmp/tree_lines.err
	find "$@" | sort | while IFS= read -r p; do
		if [ -L "$p" ]; then
			printf '%s -> %s\n' "$p" "$(readlink "$p" | sed 's|.*/target/||')"
		elif [ -f "$p" ] && [ -r "$p" ]; then
			v=
			IFS= read -rd '' v 2>"$err" <"$p" || true
			if [ -s "$err" ]; then
				IFS= read -r v <"$err"
				v="error: ${v##*: }"
			fi
			while [ "${v%$'\n'}" != "$v" ]; do v=${v%$'\n'}; done
			printf '%s = %s\n' "$p" "${v//$'\n'/|}"
		else
			printf '%s\n' "$p"
		fi
	done
	rm -f "$err"
}

# sg_of DEV: the SCSI generic node of a disk.
sg_of() {
	local d=/sys/block/${1#/dev/}/device/scsi_generic
	echo "/dev/$(ls "$d")"
}

# release_only WHAT: true on the release kernel; on the debug kernel it
# says that WHAT runs on the release kernel only, and is false. For a part
# of a test whose time goes to user space (targetcli-fb's Python under
# TCG) and whose kernel paths other tests take on the debug kernel: its
# lockdep and kmemleak checks add nothing there.
release_only() {
	[ "$TCM_VARIANT" != debug ] && return 0
	echo "skip: $1 (on the release kernel only)"
	return 1
}

# lio_reference: true where a test runs LIO's half, the reference that
# tcm-rs's answers are compared with (the release kernel); false, saying
# so, on the debug kernel, whose checks are for tcm-rs's code.
lio_reference() {
	[ "$TCM_VARIANT" != debug ] && return 0
	[ -n "${lio_reference_said:-}" ] || release_only "LIO's half, and the comparison with it"
	lio_reference_said=1
	return 1
}

# lio_half TITLE MODULE...: a test's LIO half: loads MODULE..., runs the
# test's `exercise lio` and unloads LIO again.
lio_half() {
	echo "--- LIO ($1)"
	shift
	expect "LIO loads" modprobe -a "$@"
	exercise lio
	expect "LIO unloads" lio_unload
}

# Whether a test may run LIO's loopback with a nexus and then unlink LUNs.
# LIO's core_clear_lun_from_tpg() walks an ACL's LUN entries without the RCU
# read lock while it hands each one to call_rcu(), so when a grace period
# ends inside the walk it reads freed memory; the debug kernel's slab
# poisoning makes that an oops now and then (Documentation/lio-differences.md,
# "LIO bugs the suites avoid"). Those LIO halves run on the release kernel;
# the debug kernel checks tcm-rs's half, which is where its checks matter.
lio_loopback_teardown_safe() {
	[ "$TCM_VARIANT" != debug ] && return 0
	echo "skip: the LIO half with a nexus runs on the release kernel only (LIO's core_clear_lun_from_tpg use-after-free)"
	return 1
}

# on_both_cores NAME [FILTER]: runs the test's `exercise lio` on LIO's
# tcm_loop (where lio_loopback_teardown_safe allows) and `exercise tcm` on
# tcm-rs, each of which records what the initiators saw in /tmp/NAME.<core>;
# shows tcm-rs's record, and fails on any difference from LIO's once FILTER
# (a command reading LIO's record: the differences kept on purpose) has
# been applied to it.
on_both_cores() {
	local name=$1 filter=${2:-cat} compare=false
	echo "--- LIO (tcm_loop)"
	if lio_loopback_teardown_safe; then
		expect "LIO loads" modprobe tcm_loop
		exercise lio
		expect "LIO unloads" lio_unload
		compare=true
	fi
	echo "--- tcm-rs (tcm_rs_loop)"
	expect "tcm-rs loads" modprobe tcm_rs_core
	exercise tcm
	expect "tcm-rs unloads" tcm_unload
	echo "--- what tcm-rs's initiators saw"; cat "/tmp/$name.tcm"
	if $compare; then
		diff -u <($filter <"/tmp/$name.lio") "/tmp/$name.tcm" ||
			fail "tcm-rs answers differently from LIO (above)"
		pass "tcm-rs answers as LIO does, but for the differences listed"
	fi
}

# on_each_core: runs the test's `exercise lio` on LIO's tcm_loop (where
# lio_loopback_teardown_safe allows) and `exercise tcm` on tcm-rs, for
# tests whose checks are each core's own, with nothing to compare.
on_each_core() {
	if lio_loopback_teardown_safe; then
		expect "LIO loads" modprobe tcm_loop
		exercise lio
		expect "LIO unloads" lio_unload
	fi
	expect "tcm-rs loads" modprobe tcm_rs_core
	exercise tcm
	expect "tcm-rs unloads" tcm_unload
}

# sense_or_good COMMAND...: "good" when the command succeeds, else the
# sense key and additional sense sg3_utils printed.
sense_or_good() {
	local out
	if out=$("$@" 2>&1); then
		echo good
	else
		echo "$out" | grep -iE 'sense key|additional sense' | sed 's/^ *//' | sort -u
	fi
}

# status_lines: the status and sense lines of sg3_utils' output, sorted.
status_lines() {
	grep -iE 'status|sense key|additional sense|conflict' | sed 's/^ *//' | sort -u
}

# rec TITLE COMMAND...: records the title, the output and the exit status.
rec() {
	local title=$1 rc=0; shift
	echo "== $title"
	"$@" 2>&1 || rc=$?
	echo "exit $rc"
}

# raw TITLE SG CDB...: a command by sg_raw, its status and sense.
raw() {
	local title=$1 sg=$2; shift 2
	echo "== $title"
	sg_raw "$sg" "$@" 2>&1 | status_lines
}

# iscsi_connections_gone PORT...: waits (up to 10 s) until the target has
# closed its side of every iSCSI connection on the ports, and a moment more.
# LIO frees a session only once its connection threads are done: a TPG taken
# down, a module unloaded or a login from the same initiator port before then
# races that (a login with the same ISID reinstates the old session, and
# LIO's Time2Retain timer then takes a softirq-unsafe lock: lockdep reports
# an irq lock inversion in iscsi_target_mod, lio-differences.md).
iscsi_connections_gone() {
	local filter="" port
	for port in "$@"; do
		filter="${filter:+$filter or }sport = :$port"
	done
	for _ in $(seq 50); do
		[ -z "$(ss -Htn state established state close-wait "( $filter )" 2>/dev/null)" ] && break
		sleep 0.2
	done
	sleep 1
}

# Unloads in-tree LIO after a test.
lio_unload() {
	remove_fabric_dirs && unload_modules tcm_loop iscsi_target_mod target_core_pscsi \
		target_core_file target_core_iblock target_core_mod
}

# Unloads tcm-rs after a test.
tcm_unload() {
	remove_fabric_dirs && unload_modules tcm_rs_loop tcm_rs_iscsi tcm_rs_rd tcm_rs_fileio tcm_rs_iblock tcm_rs_core
}
