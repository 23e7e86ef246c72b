# APTPL (Activate Persist Through Power Loss): registrations and the
# reservation survive a restart of the target, through the file the kernel
# writes under dbroot and the `pr/res_aptpl_metadata` writes rtslib-fb
# makes when it configures the storage object again.
#
# One ramdisk exported by two TPGs of a loopback target (tpgt_1, RTPI 1,
# nexus of initiator A; tpgt_2, RTPI 2, nexus of initiator B), as in
# pr.sh. A and B register with APTPL and A reserves (Write Exclusive);
# the file `<dbroot>/pr/aptpl_<serial>` is recorded. Then every module is
# unloaded (the "power loss"), loaded again, and the ramdisk made again
# with the same unit serial:
#   1. by Debian's targetcli-fb `restoreconfig` (rtslib-fb reads the file
#      and writes each registration to res_aptpl_metadata), then the TPGs,
#      nexuses and LUNs by hand (rtslib does not save a loopback nexus);
#   2. unloaded again, and the same with targetcli-rs `restoreconfig`.
# Each time READ KEYS, READ RESERVATION, the pr/ files and what B's WRITE
# gets must show A's reservation and both keys again. Then REGISTER
# without APTPL clears the file. The same steps run on LIO's tcm_loop and
# on tcm-rs and the records (the file's bytes included) are compared.
#
# dbroot: rtslib-fb sets it to /etc/rtslib-fb-target before it creates a
# storage object, so the kernel writes there in this test too. In the VM
# /etc is an overlay in memory (the host's root is shared read-only), so
# nothing reaches the host; `pr/` is made here and removed at the end, as
# LIO does not make it (neither does tcm-rs).
#
# tcm-rs only: the file is replaced atomically. A stale
# `aptpl_<serial>.tmp` never shows in the file, and when the new text
# cannot be written (the .tmp name taken by a directory) REGISTER fails
# with NOT READY, LOGICAL UNIT COMMUNICATION FAILURE, as LIO's failed
# write, and the file keeps the previous state byte for byte.
#
# tcm-rs only, last: a record waits for its LUN mapping, and an ACL's
# mapped LUN is one, with no session (as LIO's
# core_dev_add_initiator_node_lun_acl).
#
# tcm_loop constraints as in pr.sh: LUNs linked after the nexus, unlinked
# before it ends, the LIO half on the release kernel only.
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000051
INIT_A=naa.5001405000000052
INIT_B=naa.5001405000000053
SERIAL=aptpl-rd0-serial
DB=/etc/rtslib-fb-target
FILE=$DB/pr/aptpl_$SERIAL
T1=$TARGET/loopback/$WWN/tpgt_1
T2=$TARGET/loopback/$WWN/tpgt_2
work=$(mktemp -d /tmp/pr-aptpl.XXXXXX)

start_dbus
made_pr=false
[ -d $DB/pr ] || { mkdir -p $DB/pr && made_pr=true; }
cleanup() {
	rm -rf "$work" "$FILE" "$FILE.tmp"
	! $made_pr || rmdir $DB/pr
}
trap cleanup EXIT

# The storage object as targetcli-fb saves it, and nothing else.
cat >"$work/so.json" <<EOF
{
  "fabric_modules": [],
  "storage_objects": [
    {
      "attributes": {},
      "name": "rd0",
      "nullio": false,
      "plugin": "ramdisk",
      "size": 1048576,
      "wwn": "$SERIAL"
    }
  ],
  "targets": []
}
EOF

# The APTPL file, its NUL bytes shown.
file_rec() {
	echo "== $FILE ($1)"
	if [ -f "$FILE" ]; then sed 's/\x0/<NUL>/g' "$FILE"; echo; else echo "(no file)"; fi
}

# The ramdisk's directory, whoever made it (targetcli picks the HBA).
rd_dir() {
	local d
	for d in "$TARGET"/core/rd_mcp_*/rd0; do [ -d "$d" ] && { echo "$d"; return 0; }; done
	return 1
}

pr_files() {
	local f rd
	rd=$(rd_dir)
	echo "== pr/ ($1)"
	for f in res_aptpl_active res_aptpl_metadata res_holder res_pr_all_tgt_pts \
		res_pr_holder_tg_port res_pr_registered_i_pts res_pr_type res_type; do
		echo "$f: $(tr -d '\0' <"$rd/pr/$f")"
	done
}

# The two TPGs with their nexuses, then LUN 0 of each linked to the
# ramdisk; sets A and B to the sg nodes of the two disks.
fabric_up() {
	local core=$1 rd da db
	rd=$(rd_dir) || fail "$core: no ramdisk"
	expect "$core: two TPGs, RTPIs 1 and 2, both nexuses" sh -c "
		mkdir -p $T1 $T2 && echo 1 >$T1/rtpi && echo 2 >$T2/rtpi &&
		echo $INIT_A >$T1/nexus && echo $INIT_B >$T2/nexus && mkdir $T1/lun/lun_0 $T2/lun/lun_0"
	expect "$core: LUN 0 of both TPGs is the ramdisk" sh -c "
		ln -s $rd $T1/lun/lun_0/rd0 && ln -s $rd $T2/lun/lun_0/rd0"
	da=$(loop_disk "$WWN" 1 0) && db=$(loop_disk "$WWN" 2 0) || fail "$core: no disks"
	A=$(sg_of "$da") B=$(sg_of "$db")
	sg_requests "$A" >/dev/null 2>&1 || true
	sg_requests "$B" >/dev/null 2>&1 || true
}

fabric_down() {
	local core=$1 rd
	rd=$(rd_dir)
	expect "$core: teardown" sh -c "
		rm $T2/lun/lun_0/rd0 && echo NULL >$T2/nexus && rm $T1/lun/lun_0/rd0 && echo NULL >$T1/nexus &&
		rmdir $T1/lun/lun_0 $T2/lun/lun_0 $T1 $T2 $TARGET/loopback/$WWN && rmdir $rd && rmdir ${rd%/rd0}"
}

# The power loss: every module of the core out, then the core back.
restart() {
	case $1 in
	lio) expect "lio: every module unloaded" lio_unload && expect "lio: loaded again" modprobe tcm_loop ;;
	tcm) expect "tcm: every module unloaded" tcm_unload && expect "tcm: loaded again" modprobe tcm_rs_core ;;
	esac
}

# What the initiators see after a restore.
check_restored() {
	rec "A READ KEYS" sg_persist --in --read-keys "$A"
	rec "B READ RESERVATION" sg_persist --in --read-reservation "$B"
	rec "A REPORT CAPABILITIES" sg_persist --in --report-capabilities "$A"
	raw "B WRITE(10) under A's Write Exclusive" "$B" -s 512 -i /tmp/pr-aptpl512 2a 00 00 00 00 00 00 00 01 00
	raw "A WRITE(10)" "$A" -s 512 -i /tmp/pr-aptpl512 2a 00 00 00 00 00 00 00 01 00
	pr_files "$1"
}

exercise() {
	local core=$1 out rd
	out=/tmp/pr-aptpl.$core
	rm -f "$FILE" "$FILE.tmp"
	expect "$core: dbroot is $DB" sh -c "echo $DB >$TARGET/dbroot"
	rd=$TARGET/core/rd_mcp_0/rd0
	expect "$core: a ramdisk with serial $SERIAL" sh -c "
		mkdir -p $rd && echo rd_pages=256 >$rd/control &&
		echo $SERIAL >$rd/wwn/vpd_unit_serial && echo 1 >$rd/enable"
	expect_errno EINVAL "$core: dbroot cannot change while a device is enabled" \
		bash -c "echo /tmp >$TARGET/dbroot"
	fabric_up "$core"
	{
		rec "A REGISTER 0xa1 APTPL" sg_persist --out --register --param-sark=0xa1 --param-aptpl "$A"
		file_rec "A registered"
		rec "B REGISTER 0xb1 APTPL" sg_persist --out --register --param-sark=0xb1 --param-aptpl "$B"
		rec "A RESERVE type 1" sg_persist --out --reserve --param-rk=0xa1 --prout-type=1 "$A"
		file_rec "A holds type 1, B registered"
		check_restored "before the restart"
	} >"$out" 2>&1
	expect "$core: the file names A's reservation" grep -q "res_holder=1" "$FILE"
	expect_errno EINVAL "$core: res_aptpl_metadata refused while the device is exported" \
		bash -c "echo initiator_node=$INIT_A,sa_res_key=1,target_node=$WWN >$rd/pr/res_aptpl_metadata"
	cp "$FILE" "$work/file.$core"
	if [ "$core" = tcm ]; then
		expect "tcm: no .tmp file is left" test ! -e "$FILE.tmp"
		echo garbage >"$FILE.tmp"
		expect "tcm: RELEASE with a stale .tmp file" \
			sg_persist --out --release --param-rk=0xa1 --prout-type=1 "$A"
		expect "tcm: the stale .tmp became the new file, not garbage" sh -c "
			test ! -e $FILE.tmp && ! grep -q garbage $FILE && grep -q res_holder=0 $FILE"
		cp "$FILE" "$work/released"
		mkdir "$FILE.tmp"
		local o
		o=$(sg_persist --out --register --param-rk=0xa1 --param-sark=0xa2 --param-aptpl "$A" 2>&1) &&
			fail "tcm: REGISTER succeeded with the file unwritable: $o"
		expect "tcm: REGISTER fails with NOT READY when the file cannot be written ($o)" \
			grep -qi "not ready" <<<"$o"
		expect "tcm: the file keeps the previous state" cmp "$FILE" "$work/released"
		expect "tcm: the log says why" sh -c "dmesg | grep -q 'could not update APTPL metadata'"
		rmdir "$FILE.tmp"
		expect "tcm: written again once possible" sh -c "
			sg_persist --out --reserve --param-rk=0xa2 --prout-type=1 $A >/dev/null && grep -q sa_res_key=162 $FILE"
		# Back to the state the other core has.
		cp "$work/file.$core" "$FILE"
	fi
	fabric_down "$core"
	restart "$core"

	echo "--- $core: restored by targetcli-fb"
	expect "$core: targetcli-fb restoreconfig" sh -c "targetcli restoreconfig $work/so.json >/dev/null"
	expect "$core: dbroot is rtslib's" test "$(cat $TARGET/dbroot)" = $DB
	rd=$(rd_dir)
	expect "$core: the ramdisk has its serial" test "$(cat $rd/wwn/vpd_unit_serial)" = "T10 VPD Unit Serial Number: $SERIAL"
	expect_errno EINVAL "$core: res_aptpl_metadata refuses a record without sa_res_key" \
		bash -c "echo initiator_node=$INIT_A,target_node=$WWN >$rd/pr/res_aptpl_metadata"
	expect_errno EINVAL "$core: res_aptpl_metadata refuses a holder without a type" \
		bash -c "echo initiator_node=$INIT_A,sa_res_key=1,res_holder=1,target_node=$WWN >$rd/pr/res_aptpl_metadata"
	fabric_up "$core"
	check_restored "restored by targetcli-fb" >>"$out" 2>&1
	file_rec "after the targetcli-fb restore" >>"$out"
	fabric_down "$core"
	restart "$core"

	echo "--- $core: restored by targetcli-rs"
	expect "$core: dbroot is $DB" sh -c "echo $DB >$TARGET/dbroot"
	expect "$core: targetcli-rs restoreconfig" sh -c "targetcli-rs restoreconfig $work/so.json >/dev/null"
	fabric_up "$core"
	{
		check_restored "restored by targetcli-rs"
		rec "A REGISTER without APTPL" sg_persist --out --register --param-rk=0xa1 --param-sark=0xa1 "$A"
		file_rec "APTPL off"
		pr_files "APTPL off"
	} >>"$out" 2>&1
	fabric_down "$core"
}

# Where tcm-rs answers differently on purpose (lio-differences.md).
lio_filter() {
	cat
}

head -c 512 /dev/urandom >/tmp/pr-aptpl512

on_both_cores pr-aptpl lio_filter

# tcm-rs's own checks on its record, whatever LIO does.
expect "tcm: the file is LIO's text with a NUL after it" sh -c "
	tail -c 1 $work/file.tcm | od -An -tx1 | grep -q 00 &&
	head -n 1 $work/file.tcm | grep -qx 'PR_REG_START: 0'"
for how in targetcli-fb targetcli-rs; do
	expect "tcm: A's reservation is back after the restore by $how" sh -c "
		sed -n '/^== pr\/ (restored by $how)/,/^==/p' /tmp/pr-aptpl.tcm | grep -qx 'res_pr_type: SPC-3 Reservation Type: Write Exclusive Access'"
	expect "tcm: both keys are back after the restore by $how" sh -c "
		sed -n '/^== pr\/ (restored by $how)/,/^==/p' /tmp/pr-aptpl.tcm | grep -q 'Key: 0x00000000000000a1' &&
		sed -n '/^== pr\/ (restored by $how)/,/^==/p' /tmp/pr-aptpl.tcm | grep -q 'Key: 0x00000000000000b1'"
done
expect "tcm: B's WRITE conflicts after the restore" sh -c "
	sed -n '/^== B WRITE(10) under/,/^==/p' /tmp/pr-aptpl.tcm | grep -ci 'reservation conflict' | grep -qx 3"
expect "tcm: REGISTER without APTPL clears the file" sh -c "
	sed -n '/^== .* (APTPL off)/,/^==/p' /tmp/pr-aptpl.tcm | grep -qx 'No Registrations or Reservations'"

# tcm-rs: a registration waits for its LUN mapping, and an ACL's mapped LUN
# is one (LIO's core_dev_add_initiator_node_lun_acl), with no session at
# all. The file from the first run, the ramdisk by targetcli-rs, then
# tpgt_1 with its LUN and an ACL for A mapping it (no nexus: that order is
# fine on tcm-rs, see lio-differences.md).
echo "--- tcm-rs: restored through an ACL's mapped LUN"
expect "tcm-rs loads" modprobe tcm_rs_core
expect "tcm: the first run's file and dbroot" sh -c "
	cp $work/file.tcm $FILE && echo $DB >$TARGET/dbroot"
expect "tcm: targetcli-rs restoreconfig" sh -c "targetcli-rs restoreconfig $work/so.json >/dev/null"
rd=$(rd_dir)
expect "tcm: tpgt_1, RTPI 1, LUN 0 is the ramdisk" sh -c "
	mkdir -p $T1 && echo 1 >$T1/rtpi && mkdir $T1/lun/lun_0 && ln -s $rd $T1/lun/lun_0/rd0"
expect "tcm: nothing restored before a mapping" grep -qx None "$rd/pr/res_pr_registered_i_pts"
expect "tcm: an ACL for A with LUN 0 mapped" sh -c "
	mkdir -p $T1/acls/$INIT_A/lun_0 && ln -s $T1/lun/lun_0 $T1/acls/$INIT_A/lun_0/map"
expect "tcm: A's registration and reservation are back, B's waits" sh -c "
	grep -q 'Node: $INIT_A Key: 0x00000000000000a1' $rd/pr/res_pr_registered_i_pts &&
	! grep -q $INIT_B $rd/pr/res_pr_registered_i_pts &&
	grep -qx 'SPC-3 Reservation: loopback Initiator: $INIT_A' $rd/pr/res_holder"
expect "tcm: teardown" sh -c "
	rm $T1/acls/$INIT_A/lun_0/map && rmdir $T1/acls/$INIT_A/lun_0 $T1/acls/$INIT_A &&
	rm $T1/lun/lun_0/rd0 && rmdir $T1/lun/lun_0 $T1 $TARGET/loopback/$WWN && rmdir $rd ${rd%/rd0}"
expect "tcm-rs unloads" tcm_unload
