# I_T nexus loss through the loopback fabric: `transport_status` offline
# loses the nexus (LIO's tcm_loop establishes I_T NEXUS LOSS OCCURRED on
# the session's LUNs; tcm-rs does it through the core's I_T NEXUS RESET).
# One ramdisk seen by two initiators through two TPGs: A loses its nexus,
# B does not. What both see is compared with LIO; tcm-rs also releases an
# SPC-2 reservation the lost nexus held, where LIO keeps it
# (lio-differences.md, "Task management").
#
# tcm_loop constraints (access-control.sh): LUNs are linked after the
# nexus and unlinked before it ends; the LIO half runs on the release
# kernel only.
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000041
INIT_A=naa.5001405000000042
INIT_B=naa.5001405000000043

# outcome TITLE SG CDB...: a command by sg_raw, its status and sense.
outcome() {
	local title=$1 sg=$2; shift 2
	echo "== $title"
	sg_raw "$sg" "$@" 2>&1 | grep -iE 'status|sense key|additional sense|conflict' | sed 's/^ *//' | sort -u
}

tur() { outcome "$1 TEST UNIT READY" "$2" 00 00 00 00 00 00; }

exercise() {
	local core=$1
	local out=/tmp/nexus-loss.$core t1=$TARGET/loopback/$WWN/tpgt_1 t2=$TARGET/loopback/$WWN/tpgt_2
	local rd=$TARGET/core/rd_mcp_0
	expect "$core: a ramdisk" sh -c "
		mkdir -p $rd/rd0 && echo rd_pages=256 >$rd/rd0/control && echo 1 >$rd/rd0/enable"
	expect "$core: two TPGs with a nexus each" sh -c "
		mkdir -p $t1 $t2 && echo 1 >$t1/rtpi && echo 2 >$t2/rtpi &&
		echo $INIT_A >$t1/nexus && echo $INIT_B >$t2/nexus"
	expect "$core: LUN 0 of both is the ramdisk" sh -c "
		mkdir $t1/lun/lun_0 $t2/lun/lun_0 && ln -s $rd/rd0 $t1/lun/lun_0/rd0 && ln -s $rd/rd0 $t2/lun/lun_0/rd0"
	local da db a b
	da=$(loop_disk "$WWN" 1 0) && db=$(loop_disk "$WWN" 2 0) || fail "$core: no disks"
	a=$(sg_of "$da") b=$(sg_of "$db")
	expect "$core: no unit attention left from the set-up on A" drain_ua "$a"
	expect "$core: nor on B" drain_ua "$b"
	{
		tur "A before" "$a"
		outcome "A RESERVE(6)" "$a" 16 00 00 00 00 00
		echo "== A's transport offline: $(echo offline >$t1/transport_status && cat $t1/transport_status)"
		tur "A while offline" "$a"
		echo "== A's transport online: $(echo online >$t1/transport_status && cat $t1/transport_status)"
		tur "A after the nexus loss" "$a"
		tur "A again" "$a"
		tur "B (its nexus was not lost)" "$b"
		# LIO keeps A's SPC-2 reservation: B's commands conflict there.
		outcome "B READ(10)" "$b" -r 512 28 00 00 00 00 00 00 00 01 00
		outcome "A RELEASE(6)" "$a" 17 00 00 00 00 00
		echo "== A's transport offline twice, online"
		echo offline >$t1/transport_status && echo offline >$t1/transport_status &&
			echo online >$t1/transport_status
		tur "A after two losses" "$a"
		tur "A again" "$a"
	} >"$out" 2>&1
	expect "$core: teardown" sh -c "
		rm $t1/lun/lun_0/rd0 $t2/lun/lun_0/rd0 && echo NULL >$t1/nexus && echo NULL >$t2/nexus &&
		rmdir $t1/lun/lun_0 $t2/lun/lun_0 $t1 $t2 $TARGET/loopback/$WWN &&
		rmdir $rd/rd0 $rd"
}

# tcm-rs releases the SPC-2 reservation of a lost nexus (SPC-2 7.21.1):
# B's commands are GOOD where LIO's B conflicts.
lio_filter() {
	sed '/^== B (its nexus/,/^== A RELEASE/s/Reservation Conflict/Good/'
}

on_both_cores nexus-loss lio_filter

expect "tcm: A sees I_T NEXUS LOSS OCCURRED once after going offline" sh -c "
	sed -n '/^== A after the nexus loss/,/^== A again/p' /tmp/nexus-loss.tcm | grep -qi 'nexus loss occurred' &&
	! sed -n '/^== A again/,/^== B/p' /tmp/nexus-loss.tcm | grep -qi 'unit attention'"
expect "tcm: B's nexus saw nothing" sh -c "
	! sed -n '/^== B (its nexus/,/^== B READ/p' /tmp/nexus-loss.tcm | grep -qi 'unit attention'"
expect "tcm: A's SPC-2 reservation went with its nexus" sh -c "
	! sed -n '/^== B READ(10)/,/^== A RELEASE/p' /tmp/nexus-loss.tcm | grep -qi 'conflict'"
