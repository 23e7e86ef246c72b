# targetcli-rs's sessions, ALUA groups, bookmarks and refresh against
# in-tree LIO, with Debian's targetcli-fb as the reference: a real iSCSI
# session (libiscsi's iscsi-perf) must be listed exactly as targetcli-fb
# lists it, ALUA settings made by targetcli-rs must read back the same
# through targetcli-fb, and the shell's bookmarks and refresh must work on
# the live tree.
# vm-kernels: release
. "$TCM_ROOT/tests/vm/lib.sh"

start_dbus
perf=
cleanup() {
	[ -z "$perf" ] || kill "$perf" 2>/dev/null || true
	wait 2>/dev/null || true
	targetcli-rs clearconfig confirm=true >/dev/null 2>&1 || true
	lio_unload >/dev/null 2>&1 || true
}
trap cleanup EXIT
work=$(mktemp -d /tmp/targetcli-rs-features.XXXXXX)
export TARGETCLI_HOME=$work/home
RS=targetcli-rs
IQN=iqn.2003-01.org.linux-iscsi.tcmrs:sn.feature0001
INIT=iqn.1994-05.com.example:perf1

# same DESCRIPTION COMMAND...: targetcli-fb and targetcli-rs print the same
# for the same command line (blank lines and trailing blanks aside).
same() {
	local what=$1; shift
	targetcli "$@" 2>/dev/null | sed 's/[[:space:]]*$//; /^$/d; /^Warning: Could not load preferences file/d' >"$work/fb.out"
	$RS "$@" 2>/dev/null | sed 's/[[:space:]]*$//; /^$/d' >"$work/rs.out"
	diff -u "$work/fb.out" "$work/rs.out" || fail "$what: the outputs differ (- targetcli-fb, + targetcli-rs)"
	[ -s "$work/rs.out" ] || fail "$what: both printed nothing"
	sed 's/^/    /' "$work/rs.out"
	pass "$what"
}

# until_true SECONDS DESCRIPTION COMMAND...: the command succeeds within the time.
until_true() {
	local end=$((SECONDS + $1)) what=$2; shift 2
	until "$@"; do
		[ $SECONDS -lt $end ] || fail "$what (command: $*)"
		sleep 0.5
	done
	pass "$what"
}

# The piped shells below must not save over the system's file on exit.
expect "targetcli-rs turns off saving on exit" $RS set global auto_save_on_exit=false
expect "targetcli-rs creates a large nullio ramdisk" $RS /backstores/ramdisk create rdn 64G nullio=true
expect "targetcli-rs creates an iSCSI target" $RS /iscsi create $IQN
expect "targetcli-rs exports the ramdisk" $RS /iscsi/$IQN/tpg1/luns create /backstores/ramdisk/rdn
expect "targetcli-rs creates the initiator's ACL" $RS /iscsi/$IQN/tpg1/acls create $INIT

# Sessions.
same "no sessions: both say so" sessions
expect "targetcli-rs says so too" sh -c "$RS sessions | grep -qx '(no open sessions)'"
iscsi-perf -i $INIT "iscsi://127.0.0.1/$IQN/0" >"$work/perf.out" 2>&1 &
perf=$!
until_true 60 "the initiator logs in (targetcli-rs sees the session)" \
	sh -c "$RS sessions | grep -q 'session-state: LOGGED_IN'"
same "sessions lists the session as targetcli-fb does" sessions
same "sessions detail shows the ACL, LUNs and connection as targetcli-fb does" sessions detail
sid=$($RS --json sessions | jq -r '.sessions[0].id')
same "sessions list SID selects the session" sessions list "$sid"
expect "the JSON names the initiator" sh -c "$RS --json sessions | jq -e '.sessions[0].node_wwn == \"$INIT\"' >/dev/null"
out=$($RS sessions list 999 2>&1) && fail "an unknown sid succeeded: $out"
expect "an unknown sid is an error that says what to do" grep -q 'see `sessions`' <<<"$out"
kill "$perf"; wait "$perf" 2>/dev/null || true; perf=
until_true 60 "the session ends when the initiator goes" \
	sh -c "$RS sessions | grep -qx '(no open sessions)'"

# ALUA target port groups.
SO=/backstores/ramdisk/rdn
expect "targetcli-rs creates an ALUA group" $RS $SO/alua create ao 2
expect "the group has its id" test "$(cat "$TARGET"/core/rd_mcp_*/rdn/alua/ao/tg_pt_gp_id)" = 2
expect "targetcli-rs sets its state and preference" $RS $SO/alua/ao set alua alua_access_state=1 preferred=1
same "targetcli-fb reads the state targetcli-rs set" $SO/alua/ao get alua alua_access_state
same "targetcli-fb reads the preference targetcli-rs set" $SO/alua/ao get alua preferred
same "access type reads as targetcli-fb's number" $SO/alua/ao get alua alua_access_type
same "the group's status line is targetcli-fb's" $SO/alua/ao status
expect "targetcli-rs moves the LUN into the group" $RS /iscsi/$IQN/tpg1/luns/lun0 set alua alua_tg_pt_gp_name=ao
same "targetcli-fb sees the LUN in the group" /iscsi/$IQN/tpg1/luns/lun0 get alua alua_tg_pt_gp_name
expect "targetcli-fb's tree names the group" sh -c "targetcli ls /iscsi/$IQN/tpg1/luns | grep -q '(ao)'"
targetcli saveconfig "$work/fb.json" >/dev/null
$RS saveconfig "$work/rs.json" >/dev/null
expect "both tools save the ALUA group the same" cmp "$work/fb.json" "$work/rs.json"
out=$($RS $SO/alua/ao set alua alua_access_state=standby 2>&1) && fail "a state name was accepted: $out"
expect "a bad state says which numbers there are" grep -q '2 Standby' <<<"$out"
out=$($RS $SO/alua delete default_tg_pt_gp 2>&1) && fail "default_tg_pt_gp was deleted: $out"
expect "the kernel's group is refused with the reason" grep -q 'cannot be deleted' <<<"$out"
expect "targetcli-rs moves the LUN back" $RS /iscsi/$IQN/tpg1/luns/lun0 set alua alua_tg_pt_gp_name=default_tg_pt_gp
expect "targetcli-rs deletes the group" $RS $SO/alua delete ao
expect "the group is gone" test ! -e "$(echo "$TARGET"/core/rd_mcp_*/rdn)/alua/ao"

# Bookmarks, kept across sessions, and @name as a path.
printf '%s\n' "cd /iscsi/$IQN/tpg1" "bookmarks add t" >"$work/in1"
$RS <"$work/in1" >"$work/out1" 2>&1
expect "bookmarks add reports the path" grep -qx "Bookmarked /iscsi/$IQN/tpg1 as t." "$work/out1"
printf '%s\n' "@t ls" "bookmarks go t" "pwd" "bookmarks show" "bookmarks del t" "cd @t" >"$work/in2"
$RS <"$work/in2" >"$work/out2" 2>&1 || true
expect "@t ls lists the bookmarked TPG in a new session" grep -q '^o- tpg1 ' "$work/out2"
expect "bookmarks go moves there" grep -qx "/iscsi/$IQN/tpg1" "$work/out2"
expect "a deleted bookmark is an error naming it" grep -q 'bookmark t does not exist' "$work/out2"

# refresh: the current node removed by another tool, under a running shell.
mkfifo "$work/fifo"
$RS <"$work/fifo" >"$work/out3" 2>&1 &
shell=$!
exec 3>"$work/fifo"
echo "cd /iscsi/$IQN/tpg1/portals/0.0.0.0:3260" >&3
echo "pwd" >&3
until_true 30 "the shell is at the portal" grep -qx "/iscsi/$IQN/tpg1/portals/0.0.0.0:3260" "$work/out3"
expect "targetcli-fb deletes the portal" targetcli /iscsi/$IQN/tpg1/portals delete 0.0.0.0 3260
printf '%s\n' "ls" "refresh" "pwd" >&3
exec 3>&-
wait "$shell" || true
expect "a command at the removed node points to refresh" grep -q 'refresh' "$work/out3"
expect "refresh says where it moved" grep -q 'no longer exists; now at' "$work/out3"
expect "the shell is at the portals node after refresh" grep -qx "/iscsi/$IQN/tpg1/portals" "$work/out3"

expect "targetcli-rs clears" $RS clearconfig confirm=true
