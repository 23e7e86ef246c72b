# ALUA across a logical unit group: two ramdisks in LU group "pair" (ID 5),
# each with a target port group "west" (ID 16) holding its LUN. Initiator A
# sees rd0 through tpgt_1, initiator B rd1 through tpgt_2. A state change
# of one device's west, implicit (configfs) or explicit (SET TARGET PORT
# GROUPS from A), changes the other device's west too (SPC-4 5.15.2.2),
# with ASYMMETRIC ACCESS STATE CHANGED on its nexuses; a third ramdisk with
# a west of its own, left in default_lu_gp, does not follow. Once rd1 has
# moved to an LU group of its own, it no longer follows either. The same
# steps run on LIO's tcm_loop and on tcm-rs and the answers are compared;
# then, on tcm-rs alone, rd1 leaves every LU group (NULL) and changes alone
# (LIO oopses there: lio-differences.md, "LIO bugs the suites avoid").
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000051
INIT_A=naa.5001405000000052
INIT_B=naa.5001405000000053

# The west groups' states, one line.
states() {
	local d
	for d in rd0 rd1 rd2; do
		printf '%s=%s ' "$d" "$(cat "$TARGET/core/rd_mcp_0/$d/alua/west/alua_access_state")"
	done
	echo
}

exercise() {
	local core=$1
	local out=/tmp/alua-lu-groups.$core hba=$TARGET/core/rd_mcp_0 d
	local t1=$TARGET/loopback/$WWN/tpgt_1 t2=$TARGET/loopback/$WWN/tpgt_2
	local pair=$TARGET/core/alua/lu_gps/pair solo=$TARGET/core/alua/lu_gps/solo
	: >"$out"
	for d in rd0 rd1 rd2; do
		expect "$core: $d with target port group west, ID 16" sh -c "
			mkdir -p $hba/$d && echo rd_pages=256 >$hba/$d/control &&
			echo lug-$d-serial >$hba/$d/wwn/vpd_unit_serial && echo 1 >$hba/$d/enable &&
			mkdir $hba/$d/alua/west && echo 16 >$hba/$d/alua/west/tg_pt_gp_id"
	done
	expect "$core: LU group pair, ID 5, with rd0 and rd1, and solo, ID 6" sh -c "
		mkdir $pair $solo && echo 5 >$pair/lu_gp_id && echo 6 >$solo/lu_gp_id &&
		echo pair >$hba/rd0/alua_lu_gp && echo pair >$hba/rd1/alua_lu_gp"
	expect "$core: pair lists them" sh -c "grep -q rd_mcp_0/rd0 $pair/members && grep -q rd_mcp_0/rd1 $pair/members"
	expect "$core: two TPGs with their nexus" sh -c "
		mkdir -p $t1 $t2 && echo 1 >$t1/rtpi && echo 2 >$t2/rtpi &&
		echo $INIT_A >$t1/nexus && echo $INIT_B >$t2/nexus"
	expect "$core: A's LUN 0 is rd0, B's rd1, both in west" sh -c "
		mkdir $t1/lun/lun_0 $t2/lun/lun_0 && ln -s $hba/rd0 $t1/lun/lun_0/rd0 && ln -s $hba/rd1 $t2/lun/lun_0/rd1 &&
		echo west >$t1/lun/lun_0/alua_tg_pt_gp && echo west >$t2/lun/lun_0/alua_tg_pt_gp"
	local a b sga sgb
	a=$(loop_disk "$WWN" 1 0) && b=$(loop_disk "$WWN" 2 0) || fail "$core: no disks"
	sga=$(sg_of "$a") sgb=$(sg_of "$b")
	pass "$core: A's disk $a, B's $b"
	sg_requests "$sga" >/dev/null 2>&1 || true
	sg_requests "$sgb" >/dev/null 2>&1 || true
	{
		echo "== start: $(states)"
		echo "== rd0's west to standby (configfs): $(echo 2 >$hba/rd0/alua/west/alua_access_state && states)"
		echo "== B's READ (the change first)"; sense_or_good sg_raw -r 512 "$sgb" 28 00 00 00 00 00 00 00 01 00
		echo "== B's READ"; sense_or_good sg_raw -r 512 "$sgb" 28 00 00 00 00 00 00 00 01 00
		echo "== B's REPORT TARGET PORT GROUPS"; sg_rtpg -d "$sgb"
		echo "== A's READ (the change first)"; sense_or_good sg_raw -r 512 "$sga" 28 00 00 00 00 00 00 00 01 00
		echo "== A's READ"; sense_or_good sg_raw -r 512 "$sga" 28 00 00 00 00 00 00 00 01 00
		echo "== A sets west active/non-optimized (STPG)"; sense_or_good sg_stpg --tp=16 --active "$sga"
		echo "== after STPG: $(states)"
		echo "== A's TEST UNIT READY"; sense_or_good sg_raw "$sga" 00 00 00 00 00 00
		echo "== B's TEST UNIT READY (the change first)"; sense_or_good sg_raw "$sgb" 00 00 00 00 00 00
		echo "== B's TEST UNIT READY"; sense_or_good sg_raw "$sgb" 00 00 00 00 00 00
		echo "== rd1 moves to solo: $(echo solo >$hba/rd1/alua_lu_gp && cat $hba/rd1/alua_lu_gp | tr '\n' ' ')"
		echo "== rd0's west to unavailable: $(echo 3 >$hba/rd0/alua/west/alua_access_state && states)"
		echo "== B's TEST UNIT READY"; sense_or_good sg_raw "$sgb" 00 00 00 00 00 00
		echo "== rd1's west to standby: $(echo 2 >$hba/rd1/alua/west/alua_access_state && states)"
		echo "== rd0 and rd1 optimized: $(echo 0 >$hba/rd0/alua/west/alua_access_state &&
			echo 0 >$hba/rd1/alua/west/alua_access_state && states)"
	} >>"$out" 2>&1
	if [ "$core" = tcm ]; then
		expect "tcm: rd1 leaves every LU group, and changes alone" sh -c "
			echo NULL >$hba/rd1/alua_lu_gp && echo 3 >$hba/rd1/alua/west/alua_access_state &&
			test \"\$(cat $hba/rd0/alua/west/alua_access_state $hba/rd1/alua/west/alua_access_state | tr '\n' ' ')\" = '0 3 ' &&
			echo 0 >$hba/rd1/alua/west/alua_access_state"
	fi

	expect "$core: teardown" sh -c "
		rm $t1/lun/lun_0/rd0 $t2/lun/lun_0/rd1 && echo NULL >$t1/nexus && echo NULL >$t2/nexus &&
		rmdir $t1/lun/lun_0 $t2/lun/lun_0 $t1 $t2 $TARGET/loopback/$WWN &&
		for d in rd0 rd1 rd2; do rmdir $hba/\$d/alua/west $hba/\$d || exit 1; done &&
		rmdir $pair $solo $hba"
}

on_both_cores alua-lu-groups

expect "tcm: rd1's west followed rd0's, rd2's did not" \
	grep -qx '== rd0.s west to standby (configfs): rd0=2 rd1=2 rd2=0 ' /tmp/alua-lu-groups.tcm
expect "tcm: after rd1 moved to another LU group it no longer followed" \
	grep -qx '== rd0.s west to unavailable: rd0=3 rd1=1 rd2=0 ' /tmp/alua-lu-groups.tcm
