# Task attributes (SIMPLE, ORDERED, HEAD OF QUEUE, ACA) over iSCSI, on LIO's
# iscsi_target_mod and on tcm-rs: one session spoken PDU by PDU
# (tests/vm/iscsi-raw-order.py) sends commands back to back to an iblock LUN
# on a null_blk disk whose every I/O takes a second, and the order of the
# answers shows that an ORDERED command waits for every command before it
# and holds every command after it, that HEAD OF QUEUE passes them, and that
# ACA is refused; plain reads pend in the disk meanwhile, and SYNCHRONIZE
# CACHE runs from the core's own queue (`may_defer` 2). The two cores'
# answers are compared (within a run of SIMPLE commands the order is the
# disk's, so the script prints such runs sorted).
. "$TCM_ROOT/tests/vm/lib.sh"

IQN=iqn.2003-01.org.linux-iscsi.tcmrs:sn.order00000001
INIT=iqn.2026-12.org.tcm-rs:task-attributes
NULLB=$CONFIGFS/nullb

build() {
	local core=$1 T=$TARGET/iscsi/$IQN/tpgt_1 dev=$TARGET/core/iblock_0/slow
	expect "$core: an iblock device on the slow disk" sh -c "mkdir -p $dev &&
		echo udev_path=/dev/slowb >$dev/control && echo 1 >$dev/enable"
	expect "$core: the target, LUN 0 the device, an ACL, a portal" sh -c "mkdir -p $T &&
		echo 0 >$T/attrib/authentication && mkdir $T/lun/lun_0 && ln -s $dev $T/lun/lun_0/slow &&
		mkdir $T/acls/$INIT $T/acls/$INIT/lun_0 && ln -s $T/lun/lun_0 $T/acls/$INIT/lun_0/map &&
		mkdir $T/np/127.0.0.1:3260 && echo 1 >$T/enable"
}

teardown() {
	local T=$TARGET/iscsi/$IQN/tpgt_1
	echo 0 >$T/enable &&
		rm $T/acls/$INIT/lun_0/map && rmdir $T/acls/$INIT/lun_0 $T/acls/$INIT &&
		rm $T/lun/lun_0/slow && rmdir $T/lun/lun_0 $T/np/127.0.0.1:3260 $T $TARGET/iscsi/$IQN &&
		rmdir $TARGET/core/iblock_0/slow $TARGET/core/iblock_0
}

exercise() {
	local core=$1
	build "$core"
	expect "$core: the commands end in the order their attributes ask" sh -c \
		"python3 $TCM_ROOT/tests/vm/iscsi-raw-order.py $IQN $INIT 3260 | tee /tmp/task-attributes.$core"
	# The logout's connection goes before the TPG does.
	iscsi_connections_gone 3260
	expect "$core: teardown" teardown
}

expect "null_blk loads without disks" modprobe null_blk nr_devices=0
expect "a null_blk disk that completes every I/O after 1 s" sh -c "
	mkdir $NULLB/slowb && echo 16 >$NULLB/slowb/size && echo 1 >$NULLB/slowb/memory_backed &&
	echo 2 >$NULLB/slowb/irqmode && echo 1000000000 >$NULLB/slowb/completion_nsec &&
	echo 1 >$NULLB/slowb/power && test -b /dev/slowb"

if lio_reference; then
	lio_half "target_core_mod, iscsi_target_mod" target_core_mod target_core_iblock
fi

echo "--- tcm-rs (tcm_rs_core, tcm_rs_iscsi)"
expect "tcm-rs loads" modprobe tcm_rs_core
exercise tcm
expect "tcm-rs unloads" tcm_unload

expect "the disk goes" sh -c "echo 0 >$NULLB/slowb/power && rmdir $NULLB/slowb && modprobe -r null_blk"
if lio_reference; then
	diff -u /tmp/task-attributes.lio /tmp/task-attributes.tcm ||
		fail "tcm-rs answers in another order than LIO (above: - LIO, + tcm-rs)"
	pass "tcm-rs answers in the order LIO does"
fi
