# ALUA through the loopback fabric: one ramdisk exported through two TPGs
# (two target ports, each with its nexus: initiator A through tpgt_1 in the
# device's default target port group, initiator B through tpgt_2 moved to
# group "west", ID 16). REPORT TARGET PORT GROUPS (sg_rtpg), implicit state
# changes from configfs, explicit ones with SET TARGET PORT GROUPS
# (sg_stpg), what each access state lets through and refuses, the port's
# secondary offline state, and the ASYMMETRIC ACCESS STATE CHANGED unit
# attentions. The same steps run on LIO's tcm_loop and on tcm-rs and the
# answers are compared (Documentation/lio-differences.md, "ALUA").
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000021
INIT_A=naa.5001405000000022
INIT_B=naa.5001405000000023

exercise() {
	local core=$1
	local out=/tmp/alua.$core rd=$TARGET/core/rd_mcp_0/rd0
	local t1=$TARGET/loopback/$WWN/tpgt_1 t2=$TARGET/loopback/$WWN/tpgt_2
	local west=$rd/alua/west
	: >"$out"
	expect "$core: a ramdisk" sh -c "mkdir -p $rd && echo rd_pages=2048 >$rd/control &&
		echo alua-rd0-serial >$rd/wwn/vpd_unit_serial && echo 1 >$rd/enable"
	expect "$core: target port group west, ID 16" sh -c "mkdir $west && echo 16 >$west/tg_pt_gp_id"
	expect "$core: two TPGs with their nexus" sh -c "
		mkdir -p $t1 $t2 && echo $INIT_A >$t1/nexus && echo $INIT_B >$t2/nexus"
	expect "$core: relative target port identifiers 1 and 2" sh -c "
		echo 1 >$t1/rtpi && echo 2 >$t2/rtpi"
	expect "$core: LUN 0 of both is the ramdisk" sh -c "
		mkdir $t1/lun/lun_0 $t2/lun/lun_0 && ln -s $rd $t1/lun/lun_0/rd0 && ln -s $rd $t2/lun/lun_0/rd0"
	expect "$core: tpgt_2's LUN joins west" sh -c "echo west >$t2/lun/lun_0/alua_tg_pt_gp"
	expect "$core: west lists it" grep -q "loopback/$WWN/tpgt_2/lun_0" "$west/members"
	local a b sga sgb
	a=$(loop_disk "$WWN" 1 0) && b=$(loop_disk "$WWN" 2 0) || fail "$core: no disks"
	sga=$(sg_of "$a") sgb=$(sg_of "$b")
	pass "$core: A's disk $a, B's $b"
	sg_requests "$sga" >/dev/null 2>&1 || true
	sg_requests "$sgb" >/dev/null 2>&1 || true
	{
		echo "== INQUIRY TPGS"; sg_inq "$sga" | grep -o 'TPGS=[0-3]'
		echo "== A: REPORT TARGET PORT GROUPS"; sg_rtpg -d "$sga"
		echo "== B: REPORT TARGET PORT GROUPS, extended"; sg_rtpg -e -d "$sgb"
	} >>"$out" 2>&1

	# Implicit changes, from configfs: only the nexuses of west's LUNs are
	# told.
	expect "$core: west to standby" sh -c "echo 2 >$west/alua_access_state"
	{
		echo "== standby: B's READ (the change first)"; sense_or_good sg_raw -r 512 "$sgb" 28 00 00 00 00 00 00 00 01 00
		echo "== standby: B's READ"; sense_or_good sg_raw -r 512 "$sgb" 28 00 00 00 00 00 00 00 01 00
		echo "== standby: B's TEST UNIT READY"; sense_or_good sg_raw "$sgb" 00 00 00 00 00 00
		echo "== standby: B's INQUIRY"; sense_or_good sg_raw -r 36 "$sgb" 12 00 00 00 24 00
		echo "== standby: B's REPORT TARGET PORT GROUPS"; sense_or_good sg_rtpg "$sgb"
		echo "== standby: B's MODE SENSE(6)"; sense_or_good sg_raw -r 64 "$sgb" 1a 00 3f 00 40 00
		echo "== standby: A's READ"; sense_or_good sg_raw -r 512 "$sga" 28 00 00 00 00 00 00 00 01 00
		echo "== standby, seen from A"; sg_rtpg -d "$sga"
		echo "== west's state and status"; cat "$west/alua_access_state" "$west/alua_access_status"
	} >>"$out" 2>&1
	expect "$core: west unavailable" sh -c "echo 3 >$west/alua_access_state"
	{
		echo "== unavailable: B's READ"; sense_or_good sg_raw -r 512 "$sgb" 28 00 00 00 00 00 00 00 01 00
		echo "== unavailable: B's READ"; sense_or_good sg_raw -r 512 "$sgb" 28 00 00 00 00 00 00 00 01 00
		echo "== unavailable: B's TEST UNIT READY"; sense_or_good sg_raw "$sgb" 00 00 00 00 00 00
	} >>"$out" 2>&1

	# Explicit changes, from A: B is told, A (the origin) is not.
	expect "$core: A sets west active/non-optimized (sg_stpg)" sg_stpg --tp=16 --active "$sga"
	{
		echo "== after STPG: A's TEST UNIT READY"; sense_or_good sg_raw "$sga" 00 00 00 00 00 00
		echo "== after STPG: B's READ"; sense_or_good sg_raw -r 512 "$sgb" 28 00 00 00 00 00 00 00 01 00
		echo "== after STPG: B's READ"; sense_or_good sg_raw -r 512 "$sgb" 28 00 00 00 00 00 00 00 01 00
		echo "== after STPG"; sg_rtpg -d "$sga"
		echo "== west's state and status"; cat "$west/alua_access_state" "$west/alua_access_status"
		echo "== STPG to a group that does not exist"; sense_or_good sg_stpg --tp=99 --standby "$sga"
		echo "== STPG to transitioning"; sense_or_good sg_stpg --tp=16 --state=15 "$sga"
	} >>"$out" 2>&1
	expect "$core: A sets the default group standby and west optimized" sg_stpg --tp=0,16 --state=s,ao "$sga"
	{
		echo "== A in standby: A's READ"; sense_or_good sg_raw -r 512 "$sga" 28 00 00 00 00 00 00 00 01 00
		echo "== B's READ (the change first)"; sense_or_good sg_raw -r 512 "$sgb" 28 00 00 00 00 00 00 00 01 00
		echo "== B's READ"; sense_or_good sg_raw -r 512 "$sgb" 28 00 00 00 00 00 00 00 01 00
		echo "== both changes"; sg_rtpg -d "$sgb"
	} >>"$out" 2>&1
	expect "$core: the default group active/optimized again" sh -c "
		echo 0 >$rd/alua/default_tg_pt_gp/alua_access_state"
	sg_requests "$sga" >/dev/null 2>&1 || true

	# The port's secondary state.
	expect "$core: tpgt_2's port offline" sh -c "echo 1 >$t2/lun/lun_0/alua_tg_pt_offline"
	{
		echo "== offline port: B's READ"; sense_or_good sg_raw -r 512 "$sgb" 28 00 00 00 00 00 00 00 01 00
		echo "== offline port: B's INQUIRY"; sense_or_good sg_raw -r 36 "$sgb" 12 00 00 00 24 00
		echo "== offline port: A's READ"; sense_or_good sg_raw -r 512 "$sga" 28 00 00 00 00 00 00 00 01 00
	} >>"$out" 2>&1
	expect "$core: tpgt_2's port online" sh -c "echo 0 >$t2/lun/lun_0/alua_tg_pt_offline"
	expect "$core: B reads again" sh -c "
		sg_requests $sgb >/dev/null 2>&1; dd if=$b of=/dev/null bs=4k count=64 iflag=direct status=none"

	expect "$core: teardown" sh -c "
		rm $t1/lun/lun_0/rd0 $t2/lun/lun_0/rd0 && echo NULL >$t1/nexus && echo NULL >$t2/nexus &&
		rmdir $t1/lun/lun_0 $t2/lun/lun_0 $t1 $t2 $TARGET/loopback/$WWN &&
		rmdir $west $rd $TARGET/core/rd_mcp_0"
}

on_both_cores alua
