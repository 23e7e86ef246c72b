# libiscsi's SCSI conformance suites (iscsi-test-cu's SCSI family: 215
# tests of SPC and SBC commands, data-loss tests included) through the
# loopback fabric's /dev/sgN, which iscsi-test-cu drives with SG_IO: on LIO's
# tcm_loop and on tcm-rs, each with a 64 MiB ramdisk whose WRITE SAME limit
# is raised from LIO's default of 0 (WRITE SAME refused) to 65535 blocks, and
# a dbroot of its own so that persistent reservations with APTPL can write
# their file. tcm-rs must pass every test; where LIO ran (the release
# kernel), the tests LIO fails are listed (lio-differences.md).
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000001
INITIATOR=naa.5001405000000002

exercise() {
	local core=$1 db=/tmp/loop-conformance-db.$1 hba=$TARGET/core/rd_mcp_0 tpg=$TARGET/loopback/$WWN/tpgt_1 disk sg
	expect "$core: a dbroot with pr/" sh -c "mkdir -p $db/pr && echo $db >$TARGET/dbroot"
	expect "$core: a ramdisk of 64 MiB, WRITE SAME up to 65535 blocks" sh -c "
		mkdir -p $hba/rd0 && echo rd_pages=16384 >$hba/rd0/control && echo 1 >$hba/rd0/enable &&
		echo 65535 >$hba/rd0/attrib/max_write_same_len"
	expect "$core: served as LUN 0 over loopback, with a nexus" sh -c "
		mkdir -p $tpg/lun/lun_0 && echo $INITIATOR >$tpg/nexus && ln -s $hba/rd0 $tpg/lun/lun_0/rd0"
	disk=$(loop_disk "$WWN" 1 0) || fail "$core: no SCSI disk"
	sg=$(sg_of "$disk")
	expect "$core: nothing pending on $sg" drain_ua "$sg"
	# iscsi-test-cu's exit status says nothing of the tests: its summary
	# and the failed tests' names do.
	timeout 600 iscsi-test-cu -d -n -t SCSI "$sg" >/tmp/loop-conformance-$core.log 2>&1 || true
	expect "$core: iscsi-test-cu ran the SCSI suites" grep -q -E '^ +tests ' /tmp/loop-conformance-$core.log
	echo "$core: iscsi-test-cu SCSI: $(grep -E '^ +tests ' /tmp/loop-conformance-$core.log | sed 's/  */ /g')"
	sed -n 's/^Suite \([^,]*\), Test \([^ ]*\) had failures:$/\1.\2/p' /tmp/loop-conformance-$core.log |
		sort -u >/tmp/loop-conformance.$core
	sed 's/^/failed: /' /tmp/loop-conformance.$core
	expect "$core: teardown" sh -c "rm $tpg/lun/lun_0/rd0 && rmdir $tpg/lun/lun_0 &&
		echo NULL >$tpg/nexus && rmdir $tpg $TARGET/loopback/$WWN && rmdir $hba/rd0 $hba"
}

on_each_core
expect "tcm-rs passes every test" test ! -s /tmp/loop-conformance.tcm
if [ -f /tmp/loop-conformance.lio ]; then
	echo "--- the tests LIO fails (lio-differences.md)"
	cat /tmp/loop-conformance.lio
fi
