# The LBA dependent ALUA state: one ramdisk (2048 blocks) exported through
# two TPGs, initiator A's port in the default target port group, B's in
# group west (ID 16). With an LBA map written and west LBA dependent, B's
# reads and writes run or are refused (NOT READY, STANDBY or UNAVAILABLE)
# by the state the map gives west for each LBA they touch, ranges looked up
# in order; with a segment multiplier, by the LBA's place in the repeating
# segment pattern. A command without data runs; A, active/optimized,
# reaches every block. The same steps on LIO's tcm_loop and on tcm-rs, the
# answers compared.
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000091
INIT_A=naa.5001405000000092
INIT_B=naa.5001405000000093

# read10 SG LBA BLOCKS / write10 SG LBA BLOCKS: one command, its sense_or_good.
read10() {
	echo "== READ(10) of $3 at $2 through ${1##*/}"
	sense_or_good sg_raw -r $(($3 * 512)) "$1" 28 00 $(printf '%02x %02x %02x %02x' \
		$(($2 >> 24 & 255)) $(($2 >> 16 & 255)) $(($2 >> 8 & 255)) $(($2 & 255))) 00 00 $(printf '%02x' "$3") 00
}
write10() {
	echo "== WRITE(10) of 1 at $2 through ${1##*/}"
	sense_or_good sg_raw -s 512 -i /tmp/alua-lba.512 "$1" 2a 00 $(printf '%02x %02x %02x %02x' \
		$(($2 >> 24 & 255)) $(($2 >> 16 & 255)) $(($2 >> 8 & 255)) $(($2 & 255))) 00 00 01 00
}

exercise() {
	local core=$1 out=/tmp/alua-lba.$1 rd=$TARGET/core/rd_mcp_0/rd0
	local t1=$TARGET/loopback/$WWN/tpgt_1 t2=$TARGET/loopback/$WWN/tpgt_2
	expect "$core: a ramdisk of 2048 blocks with group west (ID 16)" sh -c "
		mkdir -p $rd && echo rd_pages=256 >$rd/control && echo lba-rd0-serial >$rd/wwn/vpd_unit_serial &&
		echo 1 >$rd/enable && mkdir $rd/alua/west && echo 16 >$rd/alua/west/tg_pt_gp_id"
	expect "$core: two TPGs with their nexus, B's LUN in west" sh -c "
		mkdir -p $t1 $t2 && echo 1 >$t1/rtpi && echo 2 >$t2/rtpi &&
		echo $INIT_A >$t1/nexus && echo $INIT_B >$t2/nexus &&
		mkdir $t1/lun/lun_0 $t2/lun/lun_0 && ln -s $rd $t1/lun/lun_0/rd0 && ln -s $rd $t2/lun/lun_0/rd0 &&
		echo west >$t2/lun/lun_0/alua_tg_pt_gp"
	local da db a b
	da=$(loop_disk "$WWN" 1 0) && db=$(loop_disk "$WWN" 2 0) || fail "$core: no disks"
	a=$(sg_of "$da") b=$(sg_of "$db")
	expect "$core: an LBA map of three ranges, 1024 and up unmapped" sh -c "
		printf '256 0\n0 255 16:O 0:S\n256 511 16:S 0:O\n512 1023 16:U 0:A\n' >$rd/lba_map"
	expect "$core: west implicit-only and LBA dependent" sh -c "
		echo 1 >$rd/alua/west/alua_access_type && echo 4 >$rd/alua/west/alua_access_state"
	sg_requests "$a" >/dev/null 2>&1 || true
	sg_requests "$b" >/dev/null 2>&1 || true
	sg_requests "$b" >/dev/null 2>&1 || true
	{
		echo "== west: $(cat $rd/alua/west/alua_access_state) $(cat $rd/alua/west/alua_support_lba_dependent)"
		read10 "$b" 0 8
		read10 "$b" 300 1
		read10 "$b" 600 1
		read10 "$b" 250 10
		read10 "$b" 1500 1
		write10 "$b" 100
		write10 "$b" 700
		echo "== TEST UNIT READY through ${b##*/}"; sense_or_good sg_raw "$b" 00 00 00 00 00 00
		read10 "$a" 300 1
		read10 "$a" 1500 1
		echo "== B's REPORT TARGET PORT GROUPS"; sg_rtpg -d "$b"
	} >"$out" 2>&1
	expect "$core: a map with a segment multiplier: 64-block segments, four to the pattern" sh -c "
		printf '64 4\n0 63 16:O 0:O\n64 127 16:S 0:O\n128 191 16:U 0:O\n192 255 16:A 0:O\n' >$rd/lba_map"
	{
		read10 "$b" 10 1
		read10 "$b" 70 1
		read10 "$b" 300 1
		read10 "$b" 330 1
		read10 "$b" 450 1
		read10 "$b" 1990 1
		read10 "$b" 60 8
	} >>"$out" 2>&1
	expect "$core: teardown" sh -c "
		echo 0 >$rd/alua/west/alua_access_state &&
		rm $t1/lun/lun_0/rd0 $t2/lun/lun_0/rd0 && echo NULL >$t1/nexus && echo NULL >$t2/nexus &&
		rmdir $t1/lun/lun_0 $t2/lun/lun_0 $t1 $t2 $TARGET/loopback/$WWN &&
		rmdir $rd/alua/west $rd $TARGET/core/rd_mcp_0"
}

head -c 512 /dev/urandom >/tmp/alua-lba.512
on_both_cores alua-lba

expect "tcm: B reads a block the map gives west as active/optimized" sh -c "
	sed -n '/^== READ(10) of 8 at 0 through/,/^==/p' /tmp/alua-lba.tcm | grep -qx good"
expect "tcm: B's read of a standby block is refused" sh -c "
	sed -n '/^== READ(10) of 1 at 300 through/,/^==/p' /tmp/alua-lba.tcm | grep -qi standby"
expect "tcm: B's read past the map is refused as unavailable" sh -c "
	sed -n '/^== READ(10) of 1 at 1500/,/^==/p' /tmp/alua-lba.tcm | grep -qi unavailable"
