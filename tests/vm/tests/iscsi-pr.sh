# Persistent reservations over iSCSI between two sessions of one initiator
# name with different ISIDs (tests/vm/iscsi-raw-pr.py), on LIO's
# iscsi_target_mod and on tcm-rs: each session is an initiator port of its
# own (`<name>,i,0x<ISID>`) with its own key, READ FULL STATUS gives their
# TransportIDs with the ISID, a Write Exclusive reservation of one refuses
# the other's writes, and the device's pr/ files and the mapped LUN's
# port_ident name the ports as LIO does. The two cores' answers are
# compared line by line.
. "$TCM_ROOT/tests/vm/lib.sh"

IQN=iqn.2003-01.org.linux-iscsi.tcmrs:sn.pr0000000001
INIT=iqn.2026-12.org.tcm-rs:pr-isid

exercise() {
	local core=$1 T=$TARGET/iscsi/$IQN/tpgt_1 dev=$TARGET/core/rd_mcp_0/rd0
	expect "$core: a ramdisk" sh -c "mkdir -p $dev && echo rd_pages=4096 >$dev/control && echo 1 >$dev/enable"
	expect "$core: the target, LUN 0 the ramdisk, an ACL, a portal" sh -c "mkdir -p $T &&
		echo 0 >$T/attrib/authentication && mkdir $T/lun/lun_0 && ln -s $dev $T/lun/lun_0/rd0 &&
		mkdir $T/acls/$INIT $T/acls/$INIT/lun_0 && ln -s $T/lun/lun_0 $T/acls/$INIT/lun_0/map &&
		mkdir $T/np/127.0.0.1:3260 && echo 1 >$T/enable"
	expect "$core: two ISIDs of one initiator are two ports" sh -c \
		"python3 $TCM_ROOT/tests/vm/iscsi-raw-pr.py $IQN $INIT $dev $T/acls/$INIT/lun_0 $([ $core = lio ] && echo lio) |
		tee /tmp/iscsi-pr.$core"
	# The logouts' connections go before the TPG does.
	iscsi_connections_gone 3260
	expect "$core: teardown" sh -c "echo 0 >$T/enable &&
		rm $T/acls/$INIT/lun_0/map && rmdir $T/acls/$INIT/lun_0 $T/acls/$INIT &&
		rm $T/lun/lun_0/rd0 && rmdir $T/lun/lun_0 $T/np/127.0.0.1:3260 $T $TARGET/iscsi/$IQN &&
		rmdir $dev $TARGET/core/rd_mcp_0"
}

if lio_reference; then
	lio_half "target_core_mod, iscsi_target_mod" target_core_mod
fi

echo "--- tcm-rs (tcm_rs_core, tcm_rs_iscsi)"
expect "tcm-rs loads" modprobe tcm_rs_core
exercise tcm
expect "tcm-rs unloads" tcm_unload

# LIO lets the other port write under the reservation (its ISID bug,
# iscsi-raw-pr.py); tcm-rs's conflict is checked by the script.
other_port_write() { grep -v '^WRITE from the other port' "$1"; }
if lio_reference; then
	diff -u <(other_port_write /tmp/iscsi-pr.lio) <(other_port_write /tmp/iscsi-pr.tcm) ||
		fail "tcm-rs answers differently from LIO (above: - LIO, + tcm-rs)"
	pass "tcm-rs answers as LIO does, but for LIO's ISID bug"
fi
