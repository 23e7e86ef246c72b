# targetcli-rs against in-tree LIO, with Debian's targetcli-fb as the
# reference: a configuration built with targetcli-rs saves to the same JSON
# as targetcli-fb saves; files restore to the same configfs trees both
# ways; diff restores converge; bad input changes nothing.
# vm-kernels: release
. "$TCM_ROOT/tests/vm/lib.sh"

start_dbus
# Leave the guest clean however the test ends.
cleanup() {
	targetcli-rs clearconfig confirm=true >/dev/null 2>&1 || true
	for f in loopback iscsi; do [ ! -d "$TARGET/$f" ] || rmdir "$TARGET/$f" 2>/dev/null || true; done
	modprobe -r tcm_loop iscsi_target_mod target_core_file target_core_iblock target_core_pscsi target_core_mod 2>/dev/null || true
}
trap cleanup EXIT
work=$(mktemp -d /tmp/targetcli-rs.XXXXXX)
RS=targetcli-rs
IQN=iqn.2003-01.org.linux-iscsi.tcmrs:sn.0123456789ab
INIT=iqn.1994-05.com.example:client1
LOOP=naa.5001405000000001

# The configfs tree as text: every object, link target and setting value,
# less what is random per creation (the loopback nexus) or counts I/O.
snapshot() {
	(
		cd "$TARGET" || exit 1
		prune=(\( -name statistics -o -name fabric_statistics -o -name pr -o -name alua \) -prune -o)
		# Structure and link targets, in one process (TCG is slow).
		find . "${prune[@]}" -printf '%p %l\n' | sed 's# /sys/kernel/config/target/# #; s#\.\./##g' | sort
		# Setting values.
		find . "${prune[@]}" -type f \( -path '*/attrib/*' -o -path '*/param/*' -o -path '*/auth/*' \
			-o -name write_protect -o -name enable -o -name udev_path -o -name vpd_unit_serial \
			-o -name alua_tg_pt_gp \) -exec grep -sH '' {} + | sort
	)
}

expect "targetcli-rs creates a ramdisk" $RS /backstores/ramdisk create name=rd0 size=16M
expect "targetcli-rs creates a fileio object with its file" $RS /backstores/fileio create f0 "$work/f0.img" 8M
expect "the backing file has the size asked" test "$(stat -c %s "$work/f0.img")" = 8388608
expect "targetcli-rs creates a nullio ramdisk" $RS /backstores/ramdisk create name=rdnull size=1M nullio=true
expect "targetcli-rs creates a loopback target" $RS /loopback create $LOOP
expect "targetcli-rs maps a loopback LUN" $RS /loopback/$LOOP/luns create /backstores/ramdisk/rd0
expect "targetcli-rs creates an iSCSI target" $RS /iscsi create $IQN
expect "the iSCSI target has a default portal" test -d "$TARGET/iscsi/$IQN/tpgt_1/np/0.0.0.0:3260"
expect "targetcli-rs creates an iSCSI LUN" $RS /iscsi/$IQN/tpg1/luns create /backstores/fileio/f0
expect "targetcli-rs creates a second iSCSI LUN" $RS /iscsi/$IQN/tpg1/luns create /backstores/ramdisk/rdnull lun=3
expect "targetcli-rs creates an ACL with mapped LUNs" $RS /iscsi/$IQN/tpg1/acls create $INIT
expect "the ACL maps both LUNs" test -L "$TARGET/iscsi/$IQN/tpgt_1/acls/$INIT/lun_3/$(ls "$TARGET/iscsi/$IQN/tpgt_1/acls/$INIT/lun_3" | grep -v write_protect | head -1)"
expect "targetcli-rs adds a read-only mapped LUN" $RS /iscsi/$IQN/tpg1/acls/$INIT create mapped_lun=7 tpg_lun_or_backstore=0 write_protect=true
expect "targetcli-rs sets a TPG attribute" $RS /iscsi/$IQN/tpg1 set attribute default_cmdsn_depth=32
expect "targetcli-rs sets a TPG parameter" $RS /iscsi/$IQN/tpg1 set parameter MaxRecvDataSegmentLength=65536
expect "targetcli-rs sets ACL CHAP" $RS /iscsi/$IQN/tpg1/acls/$INIT set auth userid=joe password=secret123
expect "targetcli-rs sets a storage object attribute" $RS /backstores/ramdisk/rd0 set attribute emulate_caw=0
expect "the attribute reached configfs" test "$(cat "$TARGET"/core/rd_mcp_*/rd0/attrib/emulate_caw)" = 0
expect "get reads it back" sh -c "$RS /backstores/ramdisk/rd0 get attribute emulate_caw | grep -qx emulate_caw=0"

sleep 1
dev=$(lsscsi | awk '/LIO-ORG/ && /rd0/ {print $NF; exit}')
expect "the loopback LUN is a disk ($dev)" test -b "$dev"

expect "ls shows the tree with summaries" sh -c "$RS ls >$work/ls.txt"
cat "$work/ls.txt"
expect "ls: ramdisk summary" grep -qE 'o- rd0 \.+ \[\(16\.0MiB\) activated\]' "$work/ls.txt"
expect "ls: fileio summary" grep -qE "o- f0 \.+ \[$work/f0.img \(8\.0MiB\) write-back activated\]" "$work/ls.txt"
expect "ls: iSCSI TPG summary" grep -qE 'o- tpg1 \.+ \[no-gen-acls, no-auth\]' "$work/ls.txt"
expect "ls: mapped LUN summary" grep -qE 'o- mapped_lun7 \.+ \[lun0 fileio/f0 \(ro\)\]' "$work/ls.txt"
expect "ls --json is JSON" sh -c "$RS --json ls /backstores | jq -e '.children | length == 4' >/dev/null"

# Save with both tools: the same file.
expect "targetcli-fb saves" targetcli saveconfig "$work/fb.json"
expect "targetcli-rs saves" $RS saveconfig "$work/rs.json"
if ! diff -u "$work/fb.json" "$work/rs.json"; then fail "targetcli-rs's saveconfig differs from targetcli-fb's"; fi
pass "targetcli-rs's saveconfig is byte-identical to targetcli-fb's"
expect "the saved file is private" test "$(stat -c %a "$work/rs.json")" = 600
live=$(snapshot)

# Bad input is refused with a clear message and changes nothing.
expect_msg() {
	local what=$1 want=$2 out; shift 2
	if out=$("$@" 2>&1); then fail "$what: succeeded"; fi
	case $out in *"$want"*) pass "$what: $out" ;; *) fail "$what: expected '$want', got: $out" ;; esac
}
expect_msg "deleting a used storage object names its user" "in use by LUN 0 of loopback/$LOOP/tpg1" \
	$RS /backstores/ramdisk delete rd0
expect_msg "a bad size is refused" "invalid size" $RS /backstores/ramdisk create name=rd9 size=12Q
expect_msg "a duplicate name is refused" "already exists" $RS /backstores/ramdisk create name=rd0 size=1M
expect_msg "a bad WWN is refused" "expected naa" $RS /loopback create iqn.2003-01.org.x:y
expect_msg "an unknown attribute is refused" "does not exist" $RS /backstores/ramdisk/rd0 set attribute no_such=1
expect_msg "a refused value names the attribute" "the kernel refused" $RS /backstores/ramdisk/rd0 set attribute block_size=3
expect_msg "clearconfig needs confirm=true" "confirm=true" $RS clearconfig
expect_msg "an unknown path is refused" "does not exist" $RS /backstores/ramdisk/nope ls
sed 's#/backstores/ramdisk/rd0#/backstores/ramdisk/ghost#' "$work/fb.json" >"$work/dangling.json"
expect_msg "a file with a dangling LUN is refused before any change" "ghost" \
	$RS restoreconfig "$work/dangling.json" clear_existing=true
expect_msg "restoring over existing objects without clear_existing is refused" "already exists" \
	$RS restoreconfig "$work/fb.json"
[ "$(snapshot)" = "$live" ] || fail "bad input changed the tree: $(diff <(echo "$live") <(snapshot))"
pass "bad input left the tree as it was"

# A failing step rolls back: the second object cannot be made (the
# kernel refuses block_size=3), so the first one must go again.
jq '.storage_objects = [{"plugin":"ramdisk","name":"ok1","size":1048576,"alua_tpgs":[]},
	{"plugin":"ramdisk","name":"bad1","size":1048576,"alua_tpgs":[],"attributes":{"block_size":3}}] | .targets = [] | .fabric_modules = []' \
	"$work/fb.json" >"$work/failing.json"
expect_msg "a restore that fails says where" "restore stopped at" $RS restoreconfig "$work/failing.json"
[ "$(snapshot)" = "$live" ] || fail "a failed restore left objects behind: $(diff <(echo "$live") <(snapshot))"
pass "a failed restore left nothing behind"

# clearconfig empties the tree.
expect "targetcli-rs clears" $RS clearconfig confirm=true
expect "no storage object is left" test -z "$(ls "$TARGET/core" | grep -v '^alua$')"
expect "no target is left" test -z "$(ls "$TARGET/iscsi" "$TARGET/loopback" | grep -E '^(iqn|naa)')"

# targetcli-fb's file restored by targetcli-rs, and by targetcli-fb: the same tree.
expect "targetcli-rs restores targetcli-fb's file" $RS restoreconfig "$work/fb.json"
by_rs=$(snapshot)
expect "targetcli-rs's restore saves back to the same file" $RS saveconfig "$work/rs2.json"
if ! diff -u <(grep -v '"wwn": "naa' "$work/fb.json") <(grep -v '"wwn": "naa' "$work/rs2.json"); then
	fail "save after restore differs"
fi
pass "save after restore matches the original file"
expect "targetcli-fb clears" targetcli clearconfig confirm=true
expect "targetcli-fb restores the same file" targetcli restoreconfig "$work/fb.json"
by_fb=$(snapshot)
if ! diff -u <(echo "$by_fb") <(echo "$by_rs"); then fail "the trees restored by targetcli-fb and targetcli-rs differ"; fi
pass "targetcli-rs and targetcli-fb restore identical trees"
[ "$by_rs" = "$live" ] || echo "note: restored tree differs from the built one only in: $(diff <(echo "$live") <(echo "$by_rs") | head -5)"

# The reverse: targetcli-rs's file restored by targetcli-fb.
expect "targetcli-fb clears again" targetcli clearconfig confirm=true
expect "targetcli-fb restores targetcli-rs's file" targetcli restoreconfig "$work/rs.json"
[ "$(snapshot)" = "$by_fb" ] || fail "targetcli-fb's restore of targetcli-rs's file differs: $(diff <(echo "$by_fb") <(snapshot) | head)"
pass "targetcli-fb restores targetcli-rs's file to the same tree"

# Diff restore: change things, then converge back to the file.
expect "drift: an attribute" $RS /backstores/ramdisk/rd0 set attribute emulate_caw=1
expect "drift: an extra object" $RS /backstores/ramdisk create name=extra size=1M
expect "drift: a LUN removed" $RS /iscsi/$IQN/tpg1/luns delete lun=3 force=true
expect "drift: an extra portal" $RS /iscsi/$IQN/tpg1/portals create 127.0.0.1 3261
expect "restoreconfig diff=true converges" sh -c "$RS restoreconfig $work/fb.json diff=true | tee $work/diff.txt"
expect "the diff restore only touched what differed (LUN 3 and its mapping back, emulate_caw, extra object and portal gone)" grep -q "(2 created, 1 changed, 2 removed)" "$work/diff.txt"
if ! diff -u <(echo "$by_fb") <(snapshot); then fail "diff restore did not converge"; fi
pass "diff restore converged to the file's tree"

# Default save file with rotating backups (targetcli-fb's behaviour).
if [ -d /etc/rtslib-fb-target ]; then savedir=/etc/rtslib-fb-target; else savedir=/etc/target; fi
expect "saveconfig to the default file" $RS saveconfig
expect "a second save with a change backs the first up" sh -c "$RS /backstores/ramdisk create name=more size=1M && $RS saveconfig"
expect "the backup is a gzip of the previous file" sh -c "zcat \$(ls $savedir/backup/saveconfig-*-json.gz | tail -1) | jq -e '.storage_objects | length >= 1' >/dev/null"

# Batch mode stops at the first error and says which line.
printf '%s\n' "/backstores/ramdisk create name=b1 size=1M" "/backstores/ramdisk create name=b1 size=1M" \
	"/backstores/ramdisk create name=b2 size=1M" >"$work/batch.txt"
expect_msg "batch stops at the failing line" "batch.txt:2" $RS --batch "$work/batch.txt"
expect "the line after the error did not run" test ! -d "$(ls -d "$TARGET"/core/rd_mcp_*/b2 2>/dev/null || echo /nonexistent)"

expect "clean up" $RS clearconfig confirm=true
rm -rf "$work" "$savedir/saveconfig.json" "$savedir"/backup/saveconfig-*-json.gz
# Fabric directories hold their modules: remove them before unloading.
for f in loopback iscsi; do [ ! -d "$TARGET/$f" ] || rmdir "$TARGET/$f"; done
expect "LIO unloads" modprobe -r tcm_loop iscsi_target_mod target_core_file target_core_iblock target_core_pscsi target_core_mod
