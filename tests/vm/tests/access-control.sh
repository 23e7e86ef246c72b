# Access control through the loopback fabric: node ACLs with mapped LUNs
# (an initiator sees only its mapped LUNs, under its own numbers),
# write-protected mapped LUNs (DATA PROTECT, and a read-only disk on the
# initiator), demo mode for an initiator without an ACL, REPORTED LUNS DATA
# HAS CHANGED when a mapping changes, and the configfs refusals. Two TPGs of
# one loopback target, each with its nexus: initiator A (tpgt_1, whose LUN 0
# is ramdisk rd1) has an ACL that maps that LUN as its LUN 0, read-only,
# and as its LUN 5; initiator B (tpgt_2, LUNs 0 and 1: rd0 and rd1) has
# none. The same steps run on LIO's tcm_loop and on tcm-rs and what the
# initiators see is compared; what LIO cannot do with tcm_loop (a LUN the
# nexus does not see: tcm_loop's unlink of it leaks a port count and the
# nexus can then never end; disks for LUNs above 0: its host scans LUN 0
# only) and what tcm-rs does beyond LIO are checked on tcm-rs alone
# (Documentation/lio-differences.md, "Access control").
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000011
INIT_A=naa.5001405000000012
INIT_B=naa.5001405000000013

# ramdisk NAME PAGES SERIAL: an enabled ramdisk.
ramdisk() {
	local dev=$TARGET/core/rd_mcp_0/$1
	mkdir -p "$dev" && echo "rd_pages=$2" >"$dev/control" &&
		echo "$3" >"$dev/wwn/vpd_unit_serial" && echo 1 >"$dev/enable"
}

# rescan TPGT: asks the SCSI midlayer to scan the target (REPORT LUNS).
rescan() {
	local host
	host=$(cut -d: -f1 "$TARGET/loopback/$WWN/tpgt_$1/address")
	echo "0 $1 -" >"/sys/class/scsi_host/host$host/scan"
}

# luns DEV: the LUN numbers REPORT LUNS lists, in order (LIO lists them
# newest first), one line; through the generic node, as a write-protected
# disk cannot be opened for writing.
luns() {
	local l
	for l in $(sg_luns "$(sg_of "$1")" | grep -oE '^    [0-9a-f]{16}'); do
		printf '%d\n' "0x${l:0:4}"
	done | sort -n | tr '\n' ' '
	echo
}

# The sense key and additional sense of a refused command.
sense_lines() {
	grep -iE 'sense key|additional sense|data protect|write protect' | sed 's/^ *//' | sort -u
}

exercise() {
	local core=$1
	local out=/tmp/acl.$core t1=$TARGET/loopback/$WWN/tpgt_1 t2=$TARGET/loopback/$WWN/tpgt_2
	local acl=$t1/acls/$INIT_A rd=$TARGET/core/rd_mcp_0
	: >"$out"
	expect "$core: a 32 MiB ramdisk" ramdisk rd0 8192 acl-rd0-serial
	expect "$core: a 1 MiB ramdisk" ramdisk rd1 256 acl-rd1-serial
	expect "$core: two TPGs" mkdir -p "$t1" "$t2"
	expect "$core: an ACL for initiator A before its nexus" mkdir "$acl"
	expect "$core: both nexuses" sh -c "echo $INIT_A >$t1/nexus && echo $INIT_B >$t2/nexus"
	expect "$core: tpgt_1 LUN 0 is rd1" sh -c "mkdir $t1/lun/lun_0 && ln -s $rd/rd1 $t1/lun/lun_0/rd1"
	expect "$core: tpgt_2 LUNs 0 and 1 are rd0 and rd1" sh -c "
		mkdir $t2/lun/lun_0 $t2/lun/lun_1 && ln -s $rd/rd0 $t2/lun/lun_0/rd0 && ln -s $rd/rd1 $t2/lun/lun_1/rd1"
	expect "$core: A's ACL maps nothing yet: no disk for tpgt_1" sh -c "
		sleep 0.5; ! ls /sys/class/scsi_device/ | grep -q ':0:1:'"
	local b0 b1
	b0=$(loop_disk "$WWN" 2 0) && b1=$(loop_disk "$WWN" 2 1) || fail "$core: B (demo mode) has no disks"
	pass "$core: B, without an ACL, sees both LUNs ($b0, $b1)"

	expect "$core: A's LUN 0 is the TPG's LUN 0, write-protected" sh -c "
		mkdir $acl/lun_0 && ln -s $t1/lun/lun_0 $acl/lun_0/map && echo 1 >$acl/lun_0/write_protect"
	expect "$core: A's LUN 5 is the same LUN, writable" sh -c "mkdir $acl/lun_5 && ln -s $t1/lun/lun_0 $acl/lun_5/map"
	expect "$core: write_protect shows 1 and 0" sh -c "
		test \$(cat $acl/lun_0/write_protect) = 1 && test \$(cat $acl/lun_5/write_protect) = 0"
	expect "$core: the mapped LUN directories show the links" test -L "$acl/lun_5/map"
	rescan 1
	local a0
	a0=$(loop_disk "$WWN" 1 0) || fail "$core: A's mapped LUN 0 did not become a disk"
	pass "$core: A's mapped LUN 0 is $a0"
	# Pending conditions of the set-up go first.
	sg_requests "$a0" >/dev/null 2>&1 || true
	sg_requests "$b0" >/dev/null 2>&1 || true
	sg_requests "$b1" >/dev/null 2>&1 || true

	{
		echo "A REPORT LUNS: $(luns "$a0")"
		echo "B REPORT LUNS: $(luns "$b0")"
		echo "A LUN 0 serial: $(sg_inq -p 0x80 "$(sg_of "$a0")" | sed -n 's/.*Unit serial number: //p')"
		echo "B LUN 1 serial: $(sg_inq -p 0x80 "$(sg_of "$b1")" | sed -n 's/.*Unit serial number: //p')"
		echo "read-only A0 B1: $(blockdev --getro "$a0") $(blockdev --getro "$b1")"
		echo "A LUN 0 MODE SENSE: $(sg_modes -p 8 "$(sg_of "$a0")" | grep -o 'WP=[01]')"
		echo "B LUN 1 MODE SENSE: $(sg_modes -p 8 "$(sg_of "$b1")" | grep -o 'WP=[01]')"
		echo "== WRITE(10) to A's write-protected LUN 0"
		sg_raw -s 512 -i /tmp/acl512 "$(sg_of "$a0")" 2a 00 00 00 00 00 00 00 01 00 2>&1 | sense_lines
		echo "== READ(10) of it"
		sg_raw -r 512 "$(sg_of "$a0")" 28 00 00 00 00 00 00 00 01 00 2>&1 | sense_lines
	} >>"$out" 2>&1

	expect "$core: a write through A's LUN 0 fails" sh -c "
		head -c 65536 /dev/urandom >/tmp/acl64k &&
		! dd if=/tmp/acl64k of=$a0 bs=64k count=1 oflag=direct status=none 2>/dev/null"
	expect "$core: rd1 is unchanged (B reads it as its LUN 1)" sh -c "
		! dd if=$b1 bs=512 count=1 iflag=direct status=none | cmp -s - /tmp/acl512"
	expect "$core: write protection off again" sh -c "echo 0 >$acl/lun_0/write_protect && test \$(cat $acl/lun_0/write_protect) = 0"
	expect "$core: a write through A's LUN 0 goes through now" sg_raw -s 512 -i /tmp/acl512 "$(sg_of "$a0")" 2a 00 00 00 00 00 00 00 01 00
	expect "$core: it landed on rd1 (B's LUN 1)" sh -c "
		dd if=$b1 bs=512 count=1 iflag=direct status=none | cmp - /tmp/acl512"

	# Changes of a mapping: A's other LUNs get REPORTED LUNS DATA HAS
	# CHANGED (after REPORT LUNS: Linux retries over it until it has sent
	# one), B's do not.
	expect "$core: A's LUN 7 is the TPG's LUN 0 too" sh -c "mkdir $acl/lun_7 && ln -s $t1/lun/lun_0 $acl/lun_7/map"
	{
		echo "A REPORT LUNS after mapping 7: $(luns "$a0")"
		echo "== A LUN 0 after mapping 7"
		sg_raw "$(sg_of "$a0")" 00 00 00 00 00 00 2>&1 | sense_lines
		echo "== B LUN 0 after mapping 7"
		sg_raw "$(sg_of "$b0")" 00 00 00 00 00 00 2>&1 | sense_lines
	} >>"$out" 2>&1
	# The unit attention Linux saw sends a uevent, and what udev runs for
	# it reads the disk: done before the next change, or it takes that
	# change's unit attention before the TEST UNIT READY below.
	udevadm settle
	expect "$core: A's LUN 7 unmapped" sh -c "rm $acl/lun_7/map && rmdir $acl/lun_7"
	{
		echo "A REPORT LUNS after unmapping 7: $(luns "$a0")"
		echo "== A LUN 0 after unmapping 7"
		sg_raw "$(sg_of "$a0")" 00 00 00 00 00 00 2>&1 | sense_lines
	} >>"$out" 2>&1

	# Refusals, the tree unchanged.
	expect_errno EBUSY "$core: rmdir of a LUN an ACL maps" rmdir "$t1/lun/lun_0"
	expect "$core: two mapped LUN directories for one number (lun_8, lun_010)" mkdir "$acl/lun_8" "$acl/lun_010"
	expect "$core: the first links" ln -s "$t1/lun/lun_0" "$acl/lun_8/map"
	expect_errno EINVAL "$core: the second is refused" ln -s "$t1/lun/lun_0" "$acl/lun_010/map"
	expect "$core: the first's write_protect is 0" test "$(cat "$acl/lun_8/write_protect")" = 0
	if [ "$core" = tcm ]; then
		# LIO shows and sets the first's instead.
		expect "tcm: the second's write_protect is empty" test -z "$(cat "$acl/lun_010/write_protect")"
		expect_errno ENODEV "tcm: write_protect of an unlinked mapped LUN" bash -c "echo 1 >$acl/lun_010/write_protect"
	fi
	expect_errno EINVAL "$core: write_protect 2" bash -c "echo 2 >$acl/lun_8/write_protect"
	expect_errno EINVAL "$core: a mapped LUN linked to another TPG's LUN" ln -s "$t2/lun/lun_0" "$acl/lun_010/map"
	expect "$core: they go" sh -c "rm $acl/lun_8/map && rmdir $acl/lun_8 $acl/lun_010"
	expect "$core: A still sees 0 and 5" test "$(luns "$a0")" = "0 5 "

	if [ "$core" = tcm ]; then
		tcm_only "$t1" "$acl" "$b1"
	fi

	expect "$core: teardown" sh -c "
		rm $acl/lun_0/map $acl/lun_5/map && rmdir $acl/lun_0 $acl/lun_5 &&
		rm $t1/lun/lun_0/rd1 $t2/lun/lun_0/rd0 $t2/lun/lun_1/rd1 &&
		echo NULL >$t1/nexus && echo NULL >$t2/nexus && rmdir $acl &&
		rmdir $t1/lun/lun_0 $t2/lun/lun_0 $t2/lun/lun_1 $t1 $t2 $TARGET/loopback/$WWN &&
		rmdir $rd/rd0 $rd/rd1 $rd"
}

# What LIO's tcm_loop cannot do and what tcm-rs does beyond LIO
# (lio-differences.md, "Access control").
tcm_only() {
	local t1=$1 acl=$2 b1=$3 a5 a0
	a5=$(loop_disk "$WWN" 1 5) || fail "tcm: A's mapped LUN 5 did not become a disk"
	local sg0
	sg0=$(sg_of "$(loop_disk "$WWN" 1 0)")
	expect "tcm: A's LUN 0 write-protected again" sh -c "echo 1 >$acl/lun_0/write_protect"
	expect "tcm: A's LUN 5 ($a5) is writable: its writes reach B's LUN 1" sh -c "
		dd if=/tmp/acl64k of=$a5 bs=64k seek=3 oflag=direct status=none &&
		dd if=$b1 bs=64k skip=3 count=1 iflag=direct status=none | cmp - /tmp/acl64k"
	sg_requests "$sg0" >/dev/null 2>&1 || true
	expect "tcm: while A's LUN 0, the same LUN, is not" sh -c "
		sg_raw -s 512 -i /tmp/acl512 $sg0 2a 00 00 00 00 00 00 00 01 00 2>&1 | grep -qi 'data protect'"
	expect "tcm: a LUN of A's TPG that A's ACL does not map" sh -c "
		mkdir $t1/lun/lun_2 && ln -s $TARGET/core/rd_mcp_0/rd0 $t1/lun/lun_2/rd0"
	expect "tcm: A does not see it" sh -c "
		sleep 0.5; ! ls /sys/class/scsi_device/ | grep -q ':0:1:2\$'"
	expect "tcm: A's REPORT LUNS does not list it" test "$(luns "$a5")" = "0 5 "
	expect "tcm: the TPG's LUN 0 unlinked from its device: A loses LUNs 0 and 5" sh -c "
		rm $t1/lun/lun_0/rd1 && ! ls /sys/class/scsi_device/ | grep -q ':0:1:0\$'"
	expect "tcm: A's REPORT LUNS lists none (but LUN 0)" test "$(luns "$a5")" = "0 "
	expect "tcm: the TPG's LUN 0 linked again" ln -s "$TARGET/core/rd_mcp_0/rd1" "$t1/lun/lun_0/rd1"
	expect "tcm: A sees its LUNs again, as configfs still maps them" test "$(luns "$a5")" = "0 5 "
	a0=$(loop_disk "$WWN" 1 0) || fail "tcm: A's LUN 0 did not come back as a disk"
	expect "tcm: A's ACL removed while its nexus lives (mapped LUNs first)" sh -c "
		rm $acl/lun_0/map $acl/lun_5/map && rmdir $acl/lun_0 $acl/lun_5 && rmdir $acl"
	expect "tcm: A falls back to demo mode: the TPG's LUNs 0 and 2" test "$(luns "$a5")" = "0 2 "
	expect "tcm: an ACL made while A is logged in" mkdir "$acl"
	expect "tcm: takes effect at once: nothing mapped" test "$(luns "$a5")" = "0 "
	expect "tcm: LUN 0 is not there (peripheral qualifier 3)" sh -c "sg_inq $(sg_of "$a0") 2>&1 | grep -q 'PQual=3'"
	expect "tcm: mapped again as before" sh -c "
		mkdir $acl/lun_0 $acl/lun_5 && ln -s $t1/lun/lun_0 $acl/lun_0/map && ln -s $t1/lun/lun_0 $acl/lun_5/map"
	expect "tcm: A sees 0 and 5" test "$(luns "$a5")" = "0 5 "
	expect "tcm: the unmapped LUN goes" sh -c "rm $t1/lun/lun_2/rd0 && rmdir $t1/lun/lun_2"
}

head -c 512 /dev/urandom >/tmp/acl512

on_both_cores acl
