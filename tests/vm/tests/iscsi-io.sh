# iSCSI normal sessions with I/O, the same steps on LIO's iscsi_target_mod
# and on tcm-rs: a target with a ramdisk LUN and a fileio LUN built through
# configfs, open-iscsi's discovery and login, the disks appearing, sg_inq and
# sg_readcap, fio with crc32c verify (4k at QD 1 and 32, 128k and 1M
# sequential, which need R2Ts past FirstBurstLength and MaxBurstLength),
# ext4 made, filled, checked and fsck'd, logout and the nexus gone; a
# session spoken PDU by PDU (tests/vm/iscsi-raw-normal.py: login, INQUIRY,
# a write through immediate data and R2Ts read back, NOP-Out with ping data,
# task management, malformed PDUs ending only their connection, logout);
# libiscsi's iscsi-test-cu on a few suites. What the initiators saw is
# compared between the cores; IOPS are printed for both.
. "$TCM_ROOT/tests/vm/lib.sh"

IQN=iqn.2003-01.org.linux-iscsi.tcmrs:sn.io0000000001
# open-iscsi's initiator name (the host's, shared with the guest).
INIT=$(sed -n 's/^InitiatorName=//p' /etc/iscsi/initiatorname.iscsi)
[ -n "$INIT" ] || fail "no InitiatorName in /etc/iscsi/initiatorname.iscsi"
LIBISCSI1=iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-test
LIBISCSI2=iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-test-2
PY=/usr/bin/python3
IMG=/tmp/iscsi-io-f0.img
MNT=/tmp/iscsi-io-mnt
iscsid_pid=

cleanup() {
	iscsiadm -m node -T $IQN -p 127.0.0.1:3260 --logout >/dev/null 2>&1 || true
	umount $MNT 2>/dev/null || true
	[ -z "$iscsid_pid" ] || kill "$iscsid_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -f $IMG
}
trap cleanup EXIT

# An initiator's ACL with LUN 0 (and 1 if asked) mapped.
acl() {
	local T=$1 name=$2 l
	mkdir $T/acls/$name || return 1
	shift 2
	for l; do
		mkdir $T/acls/$name/lun_$l && ln -s $T/lun/lun_$l $T/acls/$name/lun_$l/map || return 1
	done
}

build() {
	local core=$1 T=$TARGET/iscsi/$IQN/tpgt_1
	expect "$core: a ramdisk of 64 MiB" sh -c "mkdir -p $TARGET/core/rd_mcp_0/rd0 &&
		echo rd_pages=16384 >$TARGET/core/rd_mcp_0/rd0/control && echo 1 >$TARGET/core/rd_mcp_0/rd0/enable"
	rm -f $IMG
	expect "$core: a fileio device of 64 MiB" sh -c "mkdir -p $TARGET/core/fileio_0/f0 &&
		echo fd_dev_name=$IMG,fd_dev_size=67108864 >$TARGET/core/fileio_0/f0/control &&
		echo 1 >$TARGET/core/fileio_0/f0/enable"
	expect "$core: the target and its TPG, authentication off" sh -c "mkdir -p $T &&
		echo 0 >$T/attrib/authentication"
	expect "$core: LUN 0 the ramdisk, LUN 1 the file" sh -c "mkdir $T/lun/lun_0 $T/lun/lun_1 &&
		ln -s $TARGET/core/rd_mcp_0/rd0 $T/lun/lun_0/rd0 && ln -s $TARGET/core/fileio_0/f0 $T/lun/lun_1/f0"
	expect "$core: ACLs: open-iscsi's initiator (LUNs 0 and 1), libiscsi's (LUN 0)" sh -c \
		"$(declare -f acl); acl $T $INIT 0 1 && acl $T $LIBISCSI1 0 && acl $T $LIBISCSI2 0"
	expect "$core: a portal, the TPG enabled" sh -c "mkdir $T/np/127.0.0.1:3260 && echo 1 >$T/enable"
}

teardown() {
	local T=$TARGET/iscsi/$IQN/tpgt_1 a
	echo 0 >$T/enable
	for a in $T/acls/*; do
		rm -f $a/lun_*/map
		rmdir $a/lun_* $a
	done
	rm -f $T/lun/lun_*/rd0 $T/lun/lun_*/f0
	rmdir $T/lun/lun_* $T/np/* $T $TARGET/iscsi/$IQN
	rmdir $TARGET/core/rd_mcp_0/rd0 $TARGET/core/rd_mcp_0 $TARGET/core/fileio_0/f0 $TARGET/core/fileio_0
}

# iscsi_disk LUN: the block device of LUN of the session (waits up to 20 s).
iscsi_disk() {
	local i b
	for i in $(seq 200); do
		for b in /sys/class/iscsi_session/session*/device/target*/*:0:0:"$1"/block/*; do
			[ -e "$b" ] && { echo "/dev/${b##*/}"; return 0; }
		done
		sleep 0.1
	done
	return 1
}

# fio_verify CORE LABEL FIO-ARGS...: a verified fio job; prints its IOPS.
fio_verify() {
	local core=$1 label=$2 out; shift 2
	out=/tmp/fio-$core-$label.json
	expect "$core: fio $label with crc32c verify" fio --name="$label" --ioengine=libaio --direct=1 \
		--verify=crc32c --verify_fatal=1 --verify_state_save=0 --output-format=json --output="$out" "$@"
	echo "fio $core $label: write IOPS $(jq '.jobs[0].write.iops | floor' "$out")," \
		"verify-read IOPS $(jq '.jobs[0].read.iops | floor' "$out")" | tee -a /tmp/iscsi-io-perf
}

exercise() {
	local core=$1 out=/tmp/iscsi-io.$1 rd f0 sg T=$TARGET/iscsi/$IQN/tpgt_1
	: >"$out"
	build "$core"
	expect "$core: discovery finds the target" sh -c \
		"iscsiadm -m discovery -t st -p 127.0.0.1:3260 | grep -q '127.0.0.1:3260,1 $IQN'"
	expect "$core: another initiator's login is refused (no ACL)" bash -c \
		"! iscsi-inq -i iqn.1994-05.com.example:stranger iscsi://127.0.0.1:3260/$IQN/0 >/dev/null 2>&1"
	expect "$core: login" iscsiadm -m node -T $IQN -p 127.0.0.1:3260 --login
	rd=$(iscsi_disk 0) || fail "$core: no disk for LUN 0"
	f0=$(iscsi_disk 1) || fail "$core: no disk for LUN 1"
	pass "$core: the disks appear: $rd (ramdisk), $f0 (fileio)"
	lsscsi | grep -E "LIO-ORG|TCM" || true
	expect "$core: the nexus is in the core (scsi_att_intr_port/indx readable)" \
		cat $T/acls/$INIT/lun_0/statistics/scsi_att_intr_port/indx
	sg=$(sg_of "$rd")
	{
		rec "sg_inq LUN 0" sh -c "sg_inq $sg | grep -E 'Vendor|Product|PQual|Peripheral device type'"
		rec "sg_readcap LUN 0" sg_readcap "$sg"
		rec "sg_readcap LUN 1" sg_readcap "$(sg_of "$f0")"
		rec "negotiated" sh -c "iscsiadm -m session -P 2 | grep -E 'InitialR2T|ImmediateData|FirstBurstLength|MaxBurstLength|MaxRecvDataSegmentLength|DataDigest|HeaderDigest|ErrorRecoveryLevel|MaxOutstandingR2T'"
	} >>"$out"
	fio_verify "$core" rd-4k-qd1 --filename="$rd" --rw=randwrite --bs=4k --iodepth=1 --size=4M
	fio_verify "$core" rd-4k-qd32 --filename="$rd" --rw=randwrite --bs=4k --iodepth=32 --size=16M
	fio_verify "$core" rd-128k-seq --filename="$rd" --rw=write --bs=128k --iodepth=4 --size=48M
	fio_verify "$core" rd-1m-seq --filename="$rd" --rw=write --bs=1M --iodepth=4 --size=64M
	fio_verify "$core" file-4k-qd32 --filename="$f0" --rw=randwrite --bs=4k --iodepth=32 --size=8M
	fio_verify "$core" file-1m-seq --filename="$f0" --rw=write --bs=1M --iodepth=4 --size=48M
	expect "$core: fio 4k random reads, QD 32, 5 s" fio --name=randread --filename="$rd" --ioengine=libaio \
		--direct=1 --rw=randread --bs=4k --iodepth=32 --size=32M --runtime=5 --time_based \
		--output-format=json --output=/tmp/fio-$core-randread.json
	echo "fio $core rd-4k-randread-qd32: read IOPS $(jq '.jobs[0].read.iops | floor' /tmp/fio-$core-randread.json)" |
		tee -a /tmp/iscsi-io-perf
	mkdir -p $MNT
	expect "$core: mkfs.ext4 on the fileio LUN" mkfs.ext4 -q -F "$f0"
	expect "$core: mount, files written" sh -c "mount $f0 $MNT && for i in 1 2 3; do
		dd if=/dev/urandom of=$MNT/file\$i bs=1M count=4 status=none || exit 1; done &&
		(cd $MNT && sha256sum file1 file2 file3 >/tmp/iscsi-io.sums) && umount $MNT"
	expect "$core: fsck finds the file system clean" fsck.ext4 -fn "$f0"
	expect "$core: the files read back the same after a remount" sh -c \
		"echo 3 >/proc/sys/vm/drop_caches && mount $f0 $MNT && (cd $MNT && sha256sum -c --quiet /tmp/iscsi-io.sums) && umount $MNT"
	expect "$core: logout" iscsiadm -m node -T $IQN -p 127.0.0.1:3260 --logout
	expect "$core: the nexus is gone" bash -c "for i in \$(seq 50); do
		cat $T/acls/$INIT/lun_0/statistics/scsi_att_intr_port/indx >/dev/null 2>&1 || exit 0; sleep 0.1; done; exit 1"
	expect "$core: a session PDU by PDU, malformed PDUs ending only their connection" bash -o pipefail -c \
		"$PY $TCM_ROOT/tests/vm/iscsi-raw-normal.py $IQN $INIT 3260 $([ $core = lio ] && echo lenient) 2>/tmp/iscsi-raw-timing.$core | tee /tmp/iscsi-raw-normal.$core;
		 rc=\$?; grep -v '^timing:' /tmp/iscsi-raw-timing.$core >&2; exit \$rc"
	sed -n "s/^timing:/raw $core:/p" /tmp/iscsi-raw-timing.$core | tee -a /tmp/iscsi-io-perf
	cat /tmp/iscsi-raw-normal.$core >>"$out"
	local suites="SCSI.TestUnitReady SCSI.Inquiry SCSI.ReadCapacity10 SCSI.ReadCapacity16 SCSI.Read10 SCSI.Write10
		SCSI.Read16 SCSI.Write16"
	# After libiscsi's iSCSI suites (CmdSN outside the window, DataSN, TMF)
	# LIO's TPG does not come down: the guest hangs in the teardown (not
	# investigated yet; lio-differences.md). They run on tcm-rs only.
	[ "$core" = lio ] || suites="$suites iSCSI.iSCSIResiduals iSCSI.iSCSIcmdsn iSCSI.iSCSIdatasn iSCSI.iSCSITMF"
	local failed
	for t in $suites; do
		timeout 120 iscsi-test-cu -d -n -t $t iscsi://127.0.0.1:3260/$IQN/0 >/tmp/cu-$core-$t.log 2>&1 || true
		echo "iscsi-test-cu $t: $(grep -E '^ +tests ' /tmp/cu-$core-$t.log | sed 's/  */ /g')" | tee -a "$out"
		grep -E 'FAILED|had failures' /tmp/cu-$core-$t.log | sed 's/^ */    /' | tee -a "$out" || true
		[ "$core" = tcm ] || continue
		# tcm-rs's known failures, each explained in lio-differences.md:
		# Read10Invalid wants GOOD for a READ sent as a write, and
		# iSCSIDataSnInvalid (which LIO fails too) a failure for a write
		# whose data reaches the target in no Data-Out PDU.
		failed=$(sed -n 's/^Suite [^,]*, Test \([^ ]*\) had failures:$/\1/p' /tmp/cu-$core-$t.log |
			grep -v -x -E 'Read10Invalid|iSCSIDataSnInvalid' | tr '\n' ' ')
		expect "$core: iscsi-test-cu $t runs" grep -q -E '^ +tests ' /tmp/cu-$core-$t.log
		expect "$core: iscsi-test-cu $t: no failure but the known ones${failed:+ (failed: $failed)}" test -z "$failed"
	done
	# Let the last connections go before the TPG is taken down (LIO frees
	# a session late, iscsi-discovery.sh).
	iscsi_connections_gone 3260
	expect "$core: teardown" teardown
}

expect "iscsid starts" sh -c "setsid iscsid -f >/tmp/iscsid.log 2>&1 & echo \$! >/tmp/iscsid.pid"
iscsid_pid=$(cat /tmp/iscsid.pid)
: >/tmp/iscsi-io-perf

# LIO's half runs when asked for (`tests/vm/run tests/vm/tests/iscsi-io.sh
# lio`, release kernel): in the suite it hung twice in LIO's TPG teardown
# after iscsi-test-cu on a loaded host (lio-differences.md, "LIO bugs the
# suites avoid"), and a hung guest fails the whole suite.
if [ "$TCM_VARIANT" != debug ] && [ "${1:-}" = lio ]; then
	echo "--- LIO (target_core_mod, iscsi_target_mod)"
	expect "LIO loads" modprobe -a target_core_mod target_core_file
	exercise lio
	expect "LIO unloads" lio_unload
else
	echo "skip: LIO's half runs on request, on the release kernel (tests/vm/tests/iscsi-io.sh lio)"
fi

echo "--- tcm-rs (tcm_rs_core, tcm_rs_iscsi)"
expect "tcm-rs loads" modprobe tcm_rs_core
exercise tcm
expect "tcm-rs unloads" tcm_unload

echo "--- IOPS (TCG; compare within this run only)"
cat /tmp/iscsi-io-perf
echo "--- what tcm-rs's initiators saw"
cat /tmp/iscsi-io.tcm
if [ -f /tmp/iscsi-io.lio ]; then
	# The malformed PDUs are sent to tcm-rs only (one oopses LIO).
	if ! diff -u <(grep -v -E '^malformed:|^    \[FAILED\]' /tmp/iscsi-io.lio) \
		<(grep -v -E '^malformed:|^tcm-rs: |^iscsi-test-cu iSCSI\.|^    \[FAILED\]' /tmp/iscsi-io.tcm); then
		fail "tcm-rs answers differently from LIO (above: - LIO, + tcm-rs)"
	fi
	pass "tcm-rs answers as LIO does"
fi
