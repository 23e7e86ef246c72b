# ALUA metadata files under dbroot: a target port group with
# alua_write_metadata set writes <dbroot>/alua/tpgs_<serial>/<group> after
# each transition (implicit from configfs, explicit from SET TARGET PORT
# GROUPS), a group without it writes nothing, and a LUN with
# alua_tg_pt_write_md set writes <dbroot>/alua/loopback/<wwn>+<tpgt>/lun_<N>
# when its port goes offline and online. The same steps on LIO's tcm_loop
# and on tcm-rs; the files' contents are compared. tcm-rs replaces each
# file atomically: no temporary file is left behind.
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000081
INIT=naa.5001405000000082
DB=/tmp/alua-db
SERIAL=amd-rd0-serial

# The metadata files, each with its contents on one line.
files() {
	echo "== $1"
	(cd $DB/alua && find . -type f | sort | while read -r f; do
		printf '%s: %s\n' "$f" "$(tr '\n' ' ' <"$f")"
	done)
}

exercise() {
	local core=$1 out=/tmp/alua-metadata.$1 rd=$TARGET/core/rd_mcp_0/rd0
	local tpg=$TARGET/loopback/$WWN/tpgt_1
	rm -rf $DB
	expect "$core: dbroot with alua/tpgs_$SERIAL and alua/loopback/$WWN+1" sh -c "
		mkdir -p $DB/pr $DB/alua/tpgs_$SERIAL $DB/alua/loopback/$WWN+1 && echo $DB >$TARGET/dbroot"
	expect "$core: a ramdisk with group west (ID 16) that writes metadata" sh -c "
		mkdir -p $rd && echo rd_pages=256 >$rd/control && echo $SERIAL >$rd/wwn/vpd_unit_serial &&
		echo 1 >$rd/enable && mkdir $rd/alua/west && echo 16 >$rd/alua/west/tg_pt_gp_id &&
		echo 1 >$rd/alua/west/alua_write_metadata"
	expect "$core: LUN 0 in west, writing its port's metadata" sh -c "
		mkdir -p $tpg && echo $INIT >$tpg/nexus && mkdir $tpg/lun/lun_0 &&
		ln -s $rd $tpg/lun/lun_0/rd0 && echo west >$tpg/lun/lun_0/alua_tg_pt_gp &&
		echo 1 >$tpg/lun/lun_0/alua_tg_pt_write_md"
	local disk sg
	disk=$(loop_disk "$WWN" 1 0) || fail "$core: no disk"
	sg=$(sg_of "$disk")
	{
		files "none yet"
		echo 2 >$rd/alua/west/alua_access_state
		files "west standby (implicit)"
		sg_requests "$sg" >/dev/null 2>&1
		sg_stpg --tp=16 --active "$sg" && files "west active/non-optimized (SET TARGET PORT GROUPS)"
		echo 1 >$rd/alua/default_tg_pt_gp/alua_access_state
		files "the default group changed: it writes no metadata"
		echo 0 >$rd/alua/default_tg_pt_gp/alua_access_state
		echo 1 >$tpg/lun/lun_0/alua_tg_pt_offline
		files "LUN 0's port offline"
		echo 0 >$tpg/lun/lun_0/alua_tg_pt_offline
		files "LUN 0's port online"
		echo 0 >$rd/alua/west/alua_write_metadata
		echo 0 >$rd/alua/west/alua_access_state
		files "west active/optimized, no longer written"
	} >"$out" 2>&1
	expect "$core: teardown" sh -c "
		rm $tpg/lun/lun_0/rd0 && rmdir $tpg/lun/lun_0 && echo NULL >$tpg/nexus &&
		rmdir $tpg $TARGET/loopback/$WWN && rmdir $rd/alua/west $rd $TARGET/core/rd_mcp_0"
}

on_both_cores alua-metadata

expect "tcm: west's file after SET TARGET PORT GROUPS" grep -qx \
	"./tpgs_$SERIAL/west: tg_pt_gp_id=16 alua_access_state=0x01 alua_access_status=0x01 " /tmp/alua-metadata.tcm
expect "tcm: the port's file when offline" grep -qx \
	"./loopback/$WWN+1/lun_0: alua_tg_pt_offline=1 alua_tg_pt_status=0x02 " /tmp/alua-metadata.tcm
expect "tcm: no temporary file left" sh -c "! grep -q '\.tmp:' /tmp/alua-metadata.tcm"
