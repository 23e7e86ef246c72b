# targetcli-rs's scenarios, shared by the VM tests that run them against
# one core each (targetcli-rs-lio.sh on in-tree LIO, targetcli-rs-tcm.sh on
# tcm-rs), with Debian's targetcli-fb as the reference: a configuration
# built with targetcli-rs saves to the same JSON as targetcli-fb saves;
# files restore to the same configfs trees both ways (whole, per target,
# per storage object); diff restores converge; bad input and failing
# restores change nothing.
#
# Source it after lib.sh, then run `targetcli_rs_scenario CORE` (lio or
# tcm) with the core loaded (or, for lio, not yet: targetcli-rs loads it).
# What a core cannot do is said where it is skipped.

start_dbus
RS=targetcli-rs
IQN=iqn.2003-01.org.linux-iscsi.tcmrs:sn.0123456789ab
INIT=iqn.1994-05.com.example:client1
LOOP=naa.5001405000000001
LOOP2=naa.5001405000000002

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
			-o -path '*/discovery_auth/*' -o -name write_protect -o -name enable -o -name udev_path \
			-o -name vpd_unit_serial -o -name alua_tg_pt_gp \) -exec grep -sH '' {} + | sort
	)
}

# expect_msg DESCRIPTION TEXT COMMAND...: the command fails, saying TEXT.
expect_msg() {
	local what=$1 want=$2 out; shift 2
	if out=$("$@" 2>&1); then fail "$what: succeeded"; fi
	case $out in *"$want"*) pass "$what: $out" ;; *) fail "$what: expected '$want', got: $out" ;; esac
}

# same_tree DESCRIPTION EXPECTED: the live tree is EXPECTED (a snapshot).
same_tree() {
	local now; now=$(snapshot)
	if [ "$now" != "$2" ]; then
		diff -u <(echo "$2") <(echo "$now") | head -40
		fail "$1: the tree differs (above: - expected, + live)"
	fi
	pass "$1"
}

# same_as_fb DESCRIPTION ARGS...: queues a comparison for
# same_as_fb_run: `targetcli-rs ARGS` prints what `targetcli ARGS`
# (targetcli-fb) prints, byte for byte on standard output; on an error both
# fail and say the same (targetcli-rs puts "Error: " in front, as
# targetcli-fb's shell does). ARGS are words without blanks or wildcards.
fb_whats=() fb_commands=()
same_as_fb() {
	fb_whats+=("$1")
	shift
	fb_commands+=("$*")
}

# same_as_fb_run: runs the queued targetcli-fb commands in one process
# (targetcli-fb-batch.py: one Python start, not one per command), then
# each with targetcli-rs, and compares. The commands compared change
# nothing, or set what is set already, so that targetcli-fb's all running
# first makes no difference.
same_as_fb_run() {
	local i what args fbrc rsrc fb=$work/fb-batch
	printf '%s\n' "${fb_commands[@]}" |
		python3 "$TCM_ROOT/tests/vm/targetcli-fb-batch.py" "$fb" >"$work/fb-batch.log" 2>&1 ||
		{ cat "$work/fb-batch.log"; fail "targetcli-fb's commands did not run"; }
	for i in "${!fb_commands[@]}"; do
		what=${fb_whats[$i]}
		read -ra args <<<"${fb_commands[$i]}"
		fbrc=$(cat "$fb/$i.rc") rsrc=0
		$RS "${args[@]}" >"$work/rs.out" 2>"$work/rs.err" || rsrc=$?
		# Python's warnings (rtslib-fb's about its dbroot) are no output.
		sed -i '/^Warning: Could not load preferences file/d' "$fb/$i.out"
		sed -i '/UserWarning: /d; /^  warn(/d' "$fb/$i.err"
		sed -i 's/^Error: //' "$work/rs.err"
		if { [ "$fbrc" = 0 ] && [ $rsrc != 0 ]; } || { [ "$fbrc" != 0 ] && [ $rsrc = 0 ]; }; then
			cat "$fb/$i.err" "$work/rs.err"
			fail "$what: targetcli-fb exits $fbrc, targetcli-rs $rsrc"
		fi
		diff -u "$fb/$i.out" "$work/rs.out" || fail "$what: the outputs differ (- targetcli-fb, + targetcli-rs)"
		if [ "$fbrc" != 0 ]; then
			diff -u "$fb/$i.err" "$work/rs.err" || fail "$what: the errors differ (- targetcli-fb, + targetcli-rs)"
		fi
		[ -s "$work/rs.out" ] || [ -s "$work/rs.err" ] || fail "$what: both printed nothing"
		sed 's/^/    /' "$work/rs.out" "$work/rs.err" | head -12
		pass "$what"
	done
	fb_whats=() fb_commands=()
}

# The block device for /backstores/block: a null_blk disk (1 GiB, no
# memory behind it; nothing here reads or writes it).
BDEV=/dev/nullb0
block_device_up() {
	expect "null_blk gives a disk" modprobe null_blk nr_devices=1 gb=1
	local i
	for i in $(seq 50); do [ -b $BDEV ] && break; sleep 0.1; done
	expect "$BDEV is there" test -b $BDEV
}
block_device_down() {
	unload_modules null_blk
}

targetcli_rs_scenario() {
	local core=$1
	work=$(mktemp -d /tmp/targetcli-rs-$core.XXXXXX)
	block_device_up

	echo "--- $core: build with targetcli-rs"
	expect "targetcli-rs creates a ramdisk" $RS /backstores/ramdisk create name=rd0 size=16M
	expect "targetcli-rs creates a fileio object with its file" $RS /backstores/fileio create f0 "$work/f0.img" 8M
	expect "the backing file has the size asked" test "$(stat -c %s "$work/f0.img")" = 8388608
	expect "targetcli-rs creates a nullio ramdisk" $RS /backstores/ramdisk create name=rdnull size=1M nullio=true
	expect "targetcli-rs creates a ramdisk for a second target" $RS /backstores/ramdisk create name=rd1 size=2M
	expect "targetcli-rs creates a block object on $BDEV" $RS /backstores/block create name=b0 dev=$BDEV
	expect "the block object is on $BDEV" test "$(cat "$TARGET"/core/iblock_*/b0/udev_path)" = $BDEV
	expect "targetcli-rs creates a loopback target" $RS /loopback create $LOOP
	expect "targetcli-rs maps a loopback LUN" $RS /loopback/$LOOP/luns create /backstores/ramdisk/rd0
	expect "targetcli-rs creates a second loopback target" $RS /loopback create $LOOP2
	expect "it exports the block object" $RS /loopback/$LOOP2/luns create /backstores/block/b0
	expect "and a ramdisk as LUN 1" $RS /loopback/$LOOP2/luns create /backstores/ramdisk/rd1 lun=1
	expect "the second target has a nexus" test -n "$(cat "$TARGET/loopback/$LOOP2/tpgt_1/nexus")"
	expect "targetcli-rs sets iSCSI discovery authentication" \
		$RS /iscsi set discovery_auth enable=1 userid=disc-user password=disc-secret
	expect "the discovery credentials reached configfs" \
		test "$(cat "$TARGET/iscsi/discovery_auth/userid")" = disc-user
	expect "targetcli-rs creates an iSCSI target" $RS /iscsi create $IQN
	expect "the iSCSI target has a default portal" test -d "$TARGET/iscsi/$IQN/tpgt_1/np/0.0.0.0:3260"
	expect "targetcli-rs creates an iSCSI LUN" $RS /iscsi/$IQN/tpg1/luns create /backstores/fileio/f0
	expect "targetcli-rs creates a second iSCSI LUN" $RS /iscsi/$IQN/tpg1/luns create /backstores/ramdisk/rdnull lun=3
	expect "targetcli-rs creates an ACL with mapped LUNs" $RS /iscsi/$IQN/tpg1/acls create $INIT
	expect "the ACL maps both LUNs" test -L "$TARGET/iscsi/$IQN/tpgt_1/acls/$INIT/lun_3/$(ls "$TARGET/iscsi/$IQN/tpgt_1/acls/$INIT/lun_3" | grep -v write_protect | head -1)"
	expect "targetcli-rs adds a read-only mapped LUN" $RS /iscsi/$IQN/tpg1/acls/$INIT create mapped_lun=7 tpg_lun_or_backstore=0 write_protect=true
	# A storage object given for a mapped LUN is found among the TPG's LUNs
	# (through the object's ALUA members, whose lines both cores write).
	expect "a mapped LUN given a storage object the TPG exports" \
		$RS /iscsi/$IQN/tpg1/acls/$INIT create mapped_lun=9 tpg_lun_or_backstore=/backstores/ramdisk/rdnull
	expect "maps the LUN that exports it, LUN 3" \
		sh -c "readlink '$TARGET/iscsi/$IQN/tpgt_1/acls/$INIT/lun_9/'* | grep -q '/lun/lun_3\$'"
	expect "and makes no LUN" test "$(ls "$TARGET/iscsi/$IQN/tpgt_1/lun")" = "$(printf 'lun_0\nlun_3')"
	expect "targetcli-rs deletes that mapped LUN" $RS /iscsi/$IQN/tpg1/acls/$INIT delete 9
	expect "targetcli-rs sets a TPG attribute" $RS /iscsi/$IQN/tpg1 set attribute default_cmdsn_depth=32
	expect "targetcli-rs sets a TPG parameter" $RS /iscsi/$IQN/tpg1 set parameter MaxRecvDataSegmentLength=65536
	expect "targetcli-rs sets ACL CHAP" $RS /iscsi/$IQN/tpg1/acls/$INIT set auth userid=joe password=secret123
	expect "targetcli-rs sets a storage object attribute" $RS /backstores/ramdisk/rd0 set attribute emulate_caw=0
	expect "the attribute reached configfs" test "$(cat "$TARGET"/core/rd_mcp_*/rd0/attrib/emulate_caw)" = 0
	expect "get reads it back" sh -c "$RS /backstores/ramdisk/rd0 get attribute emulate_caw | grep -qx 'emulate_caw=0 '"
	expect "targetcli-rs sets a block object attribute" $RS /backstores/block/b0 set attribute is_nonrot=1
	expect "targetcli-rs sets a fileio object attribute" $RS /backstores/fileio/f0 set attribute max_unmap_lba_count=8192

	# What get, set and ls print is targetcli-rs's own code over the same
	# configfs attributes on either core: compared on tcm-rs only, the
	# product (targetcli-fb's Python takes seconds to start under TCG).
	if [ "$core" = tcm ]; then
		echo "--- $core: get and set print what targetcli-fb prints"
		same_as_fb "get attribute NAME" /backstores/ramdisk/rd0 get attribute block_size
		same_as_fb "get attribute NAME NAME (one read-only)" /backstores/ramdisk/rd0 get attribute emulate_caw hw_block_size
		same_as_fb "get attribute: the group with descriptions" /backstores/ramdisk/rd0 get attribute
		same_as_fb "get attribute of a block object" /backstores/block/b0 get attribute
		same_as_fb "get attribute of a loopback target (its TPG)" /loopback/$LOOP get attribute
		same_as_fb "get parameter of a loopback target: unknown group" /loopback/$LOOP get parameter
		same_as_fb "set auth on a backstore: unknown group" /backstores/ramdisk/rd0 set auth userid=x
		same_as_fb "get of an unknown attribute" /backstores/ramdisk/rd0 get attribute nope
		same_as_fb "set of an unknown attribute" /backstores/ramdisk/rd0 set attribute nope=1
		same_as_fb "set of a read-only attribute" /backstores/ramdisk/rd0 set attribute hw_block_size=4096
		same_as_fb "set attribute without values lists the writable ones" /backstores/ramdisk/rd0 set attribute
		same_as_fb "set attribute reports the value read back" /backstores/ramdisk/rd0 set attribute emulate_caw=0
		same_as_fb "get alua of a LUN" /loopback/$LOOP/luns/lun0 get alua
		same_as_fb "get discovery_auth" /iscsi get discovery_auth
		same_as_fb "ls draws the tree as targetcli-fb does" ls
		same_as_fb "ls PATH depth=N" ls /backstores depth=1
		same_as_fb "get parameter of an iSCSI TPG" /iscsi/$IQN/tpg1 get parameter
		same_as_fb "get attribute of an iSCSI TPG" /iscsi/$IQN/tpg1 get attribute
		same_as_fb "get auth of an iSCSI TPG" /iscsi/$IQN/tpg1 get auth
		same_as_fb "get parameter of an iSCSI target" /iscsi/$IQN get parameter
		same_as_fb "get attribute of an ACL" /iscsi/$IQN/tpg1/acls/$INIT get attribute
		same_as_fb "get auth of an ACL" /iscsi/$IQN/tpg1/acls/$INIT get auth
		same_as_fb "get parameter NAME of an iSCSI TPG" /iscsi/$IQN/tpg1 get parameter MaxRecvDataSegmentLength AuthMethod
		same_as_fb_run
		# targetcli-fb ends this list without a newline; targetcli-rs ends
		# its line, so that a shell's prompt does not follow on it.
		expect "get lists the groups as targetcli-fb does" \
			test "$($RS /loopback/$LOOP get)" = "$(targetcli /loopback/$LOOP get | grep -v '^Warning: Could not load')"
	else
		echo "skip: what get, set and ls print is compared with targetcli-fb's on tcm-rs (targetcli-rs-tcm)"
	fi

	sleep 1
	dev=$(lsscsi | awk '/LIO-ORG/ && /rd0/ {print $NF; exit}')
	expect "the loopback LUN is a disk ($dev)" test -b "$dev"
	dev=$(lsscsi | awk '/LIO-ORG/ && /b0/ {print $NF; exit}')
	expect "the block object's LUN is a disk ($dev)" test -b "$dev"

	expect "ls shows the tree with summaries" sh -c "$RS ls >$work/ls.txt"
	cat "$work/ls.txt"
	expect "ls: ramdisk summary" grep -qE 'o- rd0 \.+ \[\(16\.0MiB\) activated\]' "$work/ls.txt"
	expect "ls: fileio summary" grep -qE "o- f0 \.+ \[$work/f0.img \(8\.0MiB\) write-back (de)?activated\]" "$work/ls.txt"
	expect "ls: block summary" grep -qE "o- b0 \.+ \[$BDEV \(1\.0GiB\) write-thru activated\]" "$work/ls.txt"
	expect "ls: loopback LUN summary" grep -qE 'o- lun1 \.+ \[ramdisk/rd1 \(default_tg_pt_gp\)\]' "$work/ls.txt"
	expect "ls: iSCSI TPG summary" grep -qE 'o- tpg1 \.+ \[no-gen-acls, no-auth\]' "$work/ls.txt"
	expect "ls: mapped LUN summary" grep -qE 'o- mapped_lun7 \.+ \[lun0 fileio/f0 \(ro\)\]' "$work/ls.txt"
	expect "ls --json is JSON" sh -c "$RS --json ls /backstores | jq -e '.children | length == 4' >/dev/null"

	echo "--- $core: save with both tools: the same file"
	expect "targetcli-fb saves" targetcli saveconfig "$work/fb.json"
	expect "targetcli-rs saves" $RS saveconfig "$work/rs.json"
	if ! diff -u "$work/fb.json" "$work/rs.json"; then fail "targetcli-rs's saveconfig differs from targetcli-fb's"; fi
	pass "targetcli-rs's saveconfig is byte-identical to targetcli-fb's"
	expect "the saved file is private" test "$(stat -c %a "$work/rs.json")" = 600
	expect "the file has every storage object" test "$(jq '.storage_objects | length' "$work/rs.json")" = 5
	expect "and the discovery settings" test "$(jq -r '.fabric_modules[0].discovery_userid' "$work/rs.json")" = disc-user
	live=$(snapshot)

	echo "--- $core: bad input is refused with a clear message and changes nothing"
	expect_msg "deleting a used storage object names its user" "in use by LUN 0 of loopback/$LOOP/tpg1" \
		$RS /backstores/ramdisk delete rd0
	expect_msg "a bad size is refused" "invalid size" $RS /backstores/ramdisk create name=rd9 size=12Q
	expect_msg "a duplicate name is refused" "already exists" $RS /backstores/ramdisk create name=rd0 size=1M
	expect_msg "a storage object is exported once per TPG" "exported once per TPG" \
		$RS /loopback/$LOOP2/luns create /backstores/ramdisk/rd1
	expect_msg "a bad WWN is refused" "expected naa" $RS /loopback create iqn.2003-01.org.x:y
	expect_msg "an unknown attribute is refused" "Unknown parameter no_such in group 'attribute'." $RS /backstores/ramdisk/rd0 set attribute no_such=1
	expect_msg "a refused value names the attribute" "the kernel refused" $RS /backstores/ramdisk/rd0 set attribute block_size=3
	expect_msg "a block object on a missing device is refused" "/dev/nonexistent" \
		$RS /backstores/block create name=b9 dev=/dev/nonexistent
	if [ "$core" = tcm ]; then
		# tcm-rs has no pscsi backstore: targetcli-rs asks for tcm-rs's
		# module by its alias and says so (LIO's would not load next to it).
		expect_msg "a backstore tcm-rs does not have is refused, naming the module asked for" \
			"tcm_rs_backstore_pscsi" $RS /backstores/pscsi create name=p0 dev=$BDEV
		expect "LIO's core was not tried" sh -c "! dmesg | grep -q 'while registering subsystem target'"
	fi
	expect_msg "clearconfig needs confirm=true" "confirm=true" $RS clearconfig
	expect_msg "an unknown path is refused" "does not exist" $RS /backstores/ramdisk/nope ls
	sed 's#/backstores/ramdisk/rd0#/backstores/ramdisk/ghost#' "$work/fb.json" >"$work/dangling.json"
	expect_msg "a file with a dangling LUN is refused before any change" "ghost" \
		$RS restoreconfig "$work/dangling.json" clear_existing=true
	expect_msg "restoring over existing objects without clear_existing is refused" "already exists" \
		$RS restoreconfig "$work/fb.json"
	same_tree "bad input left the tree as it was" "$live"
	# Exported by another target's TPG of the same tag, at the same LUN
	# number as this TPG's LUN 0: that is no reason to refuse it here.
	expect "a storage object another TPG exports gets a LUN here too" \
		$RS /loopback/$LOOP2/luns create /backstores/ramdisk/rd0 lun=2
	expect "that LUN links to it" test "$(basename "$(readlink "$TARGET/loopback/$LOOP2/tpgt_1/lun/lun_2/"*)")" = rd0
	# Its users are found through its ALUA group's members, each checked
	# by its link: both LUNs are named.
	expect_msg "deleting it names the first target's LUN" "LUN 0 of loopback/$LOOP/tpg1" \
		$RS /backstores/ramdisk delete rd0
	expect_msg "and the second target's" "LUN 2 of loopback/$LOOP2/tpg1" \
		$RS /backstores/ramdisk delete rd0
	expect "targetcli-rs deletes that LUN" $RS /loopback/$LOOP2/luns delete lun=2
	same_tree "and the tree is as it was" "$live"

	# A failing step rolls back: the second object cannot be made (the
	# kernel refuses block_size=3), so the first one must go again.
	jq '.storage_objects = [{"plugin":"ramdisk","name":"ok1","size":1048576,"alua_tpgs":[]},
		{"plugin":"ramdisk","name":"bad1","size":1048576,"alua_tpgs":[],"attributes":{"block_size":3}}] | .targets = [] | .fabric_modules = []' \
		"$work/fb.json" >"$work/failing.json"
	expect_msg "a restore that fails says where" "restore stopped at" $RS restoreconfig "$work/failing.json"
	same_tree "a failed restore left nothing behind" "$live"

	echo "--- $core: clearconfig, restores, round trips"
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
	same_tree "targetcli-fb restores targetcli-rs's file to the same tree" "$by_fb"
	expect "targetcli-rs saves what targetcli-fb restored" $RS saveconfig "$work/rs3.json"
	if ! diff -u <(grep -v '"wwn": "naa' "$work/rs.json") <(grep -v '"wwn": "naa' "$work/rs3.json"); then
		fail "targetcli-rs -> targetcli-fb -> targetcli-rs is not a round trip"
	fi
	pass "targetcli-rs's file comes back through targetcli-fb"

	echo "--- $core: restore one target, one storage object"
	expect "delete the second loopback target" $RS /loopback delete $LOOP2
	expect "delete its block object" $RS /backstores/block delete b0
	expect_msg "a target whose storage object is missing is refused" "b0" \
		$RS restoreconfig "$work/fb.json" target=$LOOP2
	expect "restoreconfig storage_object=b0" $RS restoreconfig "$work/fb.json" storage_object=b0
	expect "b0 is back" test -d "$(echo "$TARGET"/core/iblock_*/b0)"
	expect "and only b0: the target is still gone" test ! -e "$TARGET/loopback/$LOOP2"
	expect "restoreconfig target=$LOOP2" $RS restoreconfig "$work/fb.json" target=$LOOP2
	same_tree "the target and the object restored one at a time give back the whole tree" "$by_fb"
	expect "targetcli-fb deletes the target and b0 in turn" sh -c \
		"printf '%s\n' '/loopback delete $LOOP2' '/backstores/block delete b0' | targetcli >/dev/null"
	# rtslib-fb checks every object of the file, not only the one asked
	# for, against the live tree: it needs clear_existing=true (which then
	# clears only the named object or target) while others exist.
	expect "targetcli-fb restores b0 from targetcli-rs's file" \
		targetcli restoreconfig "$work/rs.json" storage_object=b0 clear_existing=true
	expect "targetcli-fb restores the target from targetcli-rs's file" \
		targetcli restoreconfig "$work/rs.json" target=$LOOP2 clear_existing=true
	same_tree "targetcli-fb's per-object restores of targetcli-rs's file give the same tree" "$by_fb"

	echo "--- $core: diff restore: change things, then converge back to the file"
	expect "drift: an attribute" $RS /backstores/ramdisk/rd0 set attribute emulate_caw=1
	expect "drift: an extra object" $RS /backstores/ramdisk create name=extra size=1M
	expect "drift: a loopback LUN removed" $RS /loopback/$LOOP2/luns delete lun=1
	expect "drift: a block attribute" $RS /backstores/block/b0 set attribute is_nonrot=0
	local counts="(1 created, 2 changed, 1 removed)"
	expect "drift: an iSCSI LUN removed" $RS /iscsi/$IQN/tpg1/luns delete lun=3 force=true
	expect "drift: an extra portal" $RS /iscsi/$IQN/tpg1/portals create 127.0.0.1 3261
	# LUN 3 and its mapping back, the portal gone.
	counts="(3 created, 2 changed, 2 removed)"
	expect "restoreconfig diff=true converges" sh -c "$RS restoreconfig $work/fb.json diff=true | tee $work/diff.txt"
	expect "the diff restore only touched what differed $counts" grep -qF "$counts" "$work/diff.txt"
	same_tree "diff restore converged to the file's tree" "$by_fb"
	expect "a second diff restore changes nothing" sh -c "$RS restoreconfig $work/fb.json diff=true | tee $work/diff2.txt"
	expect "(nothing to do)" grep -qF "(0 created, 0 changed, 0 removed)" "$work/diff2.txt"

	echo "--- $core: the default file, batch mode"
	# Default save file with rotating backups (targetcli-fb's behaviour).
	if [ -d /etc/rtslib-fb-target ]; then savedir=/etc/rtslib-fb-target; else savedir=/etc/target; fi
	expect "saveconfig to the default file" $RS saveconfig
	expect "a second save with a change backs the first up" sh -c "$RS /backstores/ramdisk create name=more size=1M && $RS saveconfig"
	expect "the backup is a gzip of the previous file" sh -c "zcat \$(ls $savedir/backup/saveconfig-*-json.gz | tail -1) | jq -e '.storage_objects | length >= 1' >/dev/null"

	# Batch mode stops at the first error and says which line.
	printf '%s\n' "/backstores/ramdisk create name=bt1 size=1M" "/backstores/ramdisk create name=bt1 size=1M" \
		"/backstores/ramdisk create name=bt2 size=1M" >"$work/batch.txt"
	expect_msg "batch stops at the failing line" "batch.txt:2" $RS --batch "$work/batch.txt"
	expect "the line after the error did not run" test ! -d "$(ls -d "$TARGET"/core/rd_mcp_*/bt2 2>/dev/null || echo /nonexistent)"

	expect "clean up" $RS clearconfig confirm=true
	# O_EXCL on a block device fails with EBUSY while something claims it.
	expect "the block device is no longer claimed" python3 -c "import os; os.open('$BDEV', os.O_RDONLY | os.O_EXCL)"
	block_device_down
	# $work (the saved files, f0's backing file) is the caller's to remove.
	rm -rf "$savedir/saveconfig.json" "$savedir"/backup/saveconfig-*-json.gz
}
