# Real I/O through the SCSI stack: a ramdisk LUN served over the loopback
# fabric becomes a disk (/dev/sdX, /dev/sgN) that sg3_utils, dd, fio with
# verify and mkfs/fsck use. The same steps run against LIO's tcm_loop and
# against tcm-rs; the SCSI answers (INQUIRY and its VPD pages, READ
# CAPACITY, REPORT LUNS, MODE SENSE, the sense data of refused commands)
# are compared, and every difference not listed in
# Documentation/lio-differences.md fails the test.
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000001
INITIATOR=naa.5001405000000002
SERIAL=5ae0ab8c-7d3e-4b3c-9d0e-6f7a8b9c0d1e

# ramdisk NAME PAGES: an enabled ramdisk with a fixed serial.
ramdisk() {
	local dev=$TARGET/core/rd_mcp_0/$1
	mkdir -p "$dev" && echo "rd_pages=$2" >"$dev/control" &&
		echo "$SERIAL" >"$dev/wwn/vpd_unit_serial" && echo 1 >"$dev/enable"
}

# The SCSI answers a person compares, with what varies between runs (the
# device node names) left out.
answers() {
	local dev=$1 sg
	sg=$(sg_of "$dev")
	echo "== standard INQUIRY"; sg_inq -H "$dev"
	for p in 0x00 0x80 0x83 0x86 0xb0 0xb1 0xb2 0xb3; do
		echo "== VPD $p"; sg_inq -H -p $p "$dev"
	done
	echo "== VPD 0x99 (none)"; sg_inq -p 0x99 "$dev" 2>&1 | grep -i 'illegal\|invalid\|not supported'
	echo "== READ CAPACITY(16)"; sg_readcap -l -H "$dev"
	echo "== READ CAPACITY(10)"; sg_readcap -H "$dev"
	echo "== REPORT LUNS"; sg_luns -H "$dev"
	echo "== MODE SENSE(10) all pages"; sg_modes -a -H "$dev" 2>&1 | grep -v '^  *$' | sed -n '2,$p'
	echo "== TEST UNIT READY"; sg_turs "$dev" && echo good
	echo "== SYNCHRONIZE CACHE"; sg_sync "$dev" && echo good
	# The status, sense key and additional sense of refused commands (the
	# sense-key-specific field, which LIO leaves out, is checked apart).
	echo "== READ(16) beyond the end"; sg_raw -r 512 "$sg" 88 00 00 00 00 00 00 01 00 00 00 00 00 01 00 00 2>&1 | sense_lines
	echo "== WRITE(10) transfer length 0"; sg_raw "$sg" 2a 00 00 00 00 00 00 00 00 00 2>&1 | sense_lines
	echo "== unsupported operation code (READ BUFFER)"; sg_raw -r 64 "$sg" 3c 00 00 00 00 00 00 00 40 00 2>&1 | sense_lines
	echo "== WRITE(10) with FUA when the write cache is off"; sg_raw -s 512 -i /tmp/zero512 "$sg" 2a 08 00 00 00 00 00 00 01 00 2>&1 | sense_lines
	echo "== READ(10) with a transfer length past the end"; sg_raw -r 1024 "$sg" 28 00 00 00 ff ff 00 00 02 00 2>&1 | sense_lines
}

# Commands LIO refuses or answers differently (GET LBA STATUS, MODE SELECT
# of WCE, VERIFY with data), and the rest of the block command set, on
# tcm-rs.
block_commands() {
	local dev=$1 sg=$2
	head -c 512 /dev/urandom >/tmp/block512
	expect "tcm: sg_opcodes lists what the engine executes" sh -c "
		sg_opcodes $dev >/tmp/opcodes &&
		grep -q 'Write same(16)' /tmp/opcodes && grep -q 'Mode select(10)' /tmp/opcodes &&
		grep -q 'Verify(16)' /tmp/opcodes && grep -q 'Report supported operation codes' /tmp/opcodes &&
		grep -qi 'compare and write' /tmp/opcodes &&
		grep -qi 'report target port groups' /tmp/opcodes && grep -qi 'set target port groups' /tmp/opcodes &&
		grep -qi 'persistent reserve in' /tmp/opcodes && grep -qi 'persistent reserve out' /tmp/opcodes &&
		grep -qi 'reserve(6)' /tmp/opcodes && grep -qi 'release(10)' /tmp/opcodes &&
		! grep -qi 'unmap' /tmp/opcodes"
	expect "tcm: sg_opcodes for one command" sh -c "sg_opcodes --opcode=0x8a $dev | grep -q 'Write(16)'"
	local attrib=$TARGET/core/rd_mcp_0/rd0/attrib
	expect "tcm: WRITE SAME is refused while max_write_same_len is 0, as LIO's ramdisk" sh -c \
		"sg_write_same --16 --lba=100 --num=300 --in=/tmp/block512 $dev 2>&1 | grep -qi 'illegal request'"
	expect "tcm: max_write_same_len set" sh -c "echo 65535 >$attrib/max_write_same_len"
	expect "tcm: WRITE SAME(16) of 300 blocks" sg_write_same --16 --lba=100 --num=300 --in=/tmp/block512 "$dev"
	expect "tcm: every block of the range holds the pattern" sh -c "
		for i in 100 101 250 399; do dd if=$dev bs=512 skip=\$i count=1 iflag=direct status=none | cmp -s - /tmp/block512 || exit 1; done &&
		! dd if=$dev bs=512 skip=400 count=1 iflag=direct status=none | cmp -s - /tmp/block512"
	expect "tcm: WRITE SAME with UNMAP is refused (no thin provisioning)" \
		sh -c "sg_write_same --unmap --lba=0 --num=8 --in=/tmp/block512 $dev 2>&1 | grep -qi 'illegal request'"
	expect "tcm: VERIFY with BYTCHK=3 matches the written range" \
		sg_verify --ebytchk=3 --ndo=512 --lba=100 --count=300 --in=/tmp/block512 "$dev"
	head -c 512 /dev/urandom >/tmp/other512
	expect "tcm: VERIFY with other data is a MISCOMPARE" sh -c \
		"sg_verify --ebytchk=3 --ndo=512 --lba=100 --count=4 --in=/tmp/other512 $dev 2>&1 | grep -qi miscompare"
	expect "tcm: VERIFY with BYTCHK=1 of the blocks read back" sh -c "
		dd if=$dev bs=512 skip=90 count=20 iflag=direct status=none >/tmp/range &&
		sg_verify --ebytchk=1 --ndo=10240 --lba=90 --count=20 --in=/tmp/range $dev"
	expect "tcm: WRITE AND VERIFY(10) writes" sh -c "
		sg_raw -s 512 -i /tmp/other512 $sg 2e 00 00 00 00 0a 00 00 01 00 >/dev/null 2>&1 &&
		dd if=$dev bs=512 skip=10 count=1 iflag=direct status=none | cmp - /tmp/other512"
	expect "tcm: GET LBA STATUS: every block is mapped" sh -c \
		"sg_get_lba_status --lba=5 $dev | grep -qi 'mapped'"
	local a=$TARGET/core/rd_mcp_0/rd0/attrib/emulate_write_cache
	expect "tcm: MODE SELECT sets WCE (caching page byte 2, bit 2)" sh -c "
		sg_wr_mode --page=8 --contents=0,0,4 --mask=0,0,4 $dev && test \$(cat $a) = 1 &&
		sg_wr_mode --page=8 --contents=0,0,0 --mask=0,0,4 $dev && test \$(cat $a) = 0"
	expect "tcm: MODE SELECT refuses a change of an unchangeable field (RCD)" sh -c "
		sg_wr_mode --force --page=8 --contents=8,12,1,0,0,0,0,0,0,0,0,0,20,0,0,0,0,0,0,0 $dev >/tmp/wr_mode.err 2>&1
		test \$? != 0 && grep -qi 'illegal request' /tmp/wr_mode.err"
	expect "tcm: the write cache flag follows emulate_write_cache" sh -c "
		echo 1 >$a && test \"\$(sg_modes -p 8 -r $dev | od -An -tx1 -j 18 -N 1 | tr -d ' ')\" = 04 && echo 0 >$a"
	expect "tcm: SYNCHRONIZE CACHE(16) of a range" sg_sync --16 --lba=0 --count=64 "$dev"
}

sense_lines() { grep -i 'status\|sense key:\|additional sense'; }

# caw_counter DEV: three workers each add 1 to a counter in block 3000 ten
# times, by COMPARE AND WRITE of the value they read (retried on a
# MISCOMPARE), while writes go to other blocks: a lost update would show
# in the total.
caw_counter() {
	local dev=$1 w
	printf '%-512s' 0 >/tmp/caw-0 && dd if=/tmp/caw-0 of="$dev" bs=512 seek=3000 oflag=direct status=none || return 1
	dd if=/dev/urandom of="$dev" bs=4k seek=1024 count=2048 oflag=direct status=none &
	for w in 1 2 3; do
		(
			n=0
			while [ $n -lt 10 ]; do
				dd if="$dev" bs=512 skip=3000 count=1 iflag=direct status=none >/tmp/caw-old.$w || exit 1
				v=$(tr -d ' ' </tmp/caw-old.$w)
				printf '%-512s' $((v + 1)) >/tmp/caw-new.$w
				sg_compare_and_write --quiet --in=/tmp/caw-old.$w --inw=/tmp/caw-new.$w --lba=3000 "$dev"
				case $? in
				0) n=$((n + 1)) ;;
				14) ;;
				*) exit 1 ;;
				esac
			done
		) &
	done
	local rc=0
	for job in $(jobs -p); do wait "$job" || rc=1; done
	[ $rc = 0 ] && test "$(dd if="$dev" bs=512 skip=3000 count=1 iflag=direct status=none | tr -d ' ')" = 30
}

exercise() {
	local core=$1 tpg=$TARGET/loopback/$WWN/tpgt_1 dev
	expect "$core: a 32 MiB ramdisk" ramdisk rd0 8192
	expect "$core: a second ramdisk" ramdisk rd1 256
	expect "$core: a loopback TPG" mkdir -p "$tpg"
	expect "$core: the TPG has an address" grep -qE '^[0-9]+:0:1$' "$tpg/address"
	expect "$core: a nexus" sh -c "echo $INITIATOR >$tpg/nexus"
	expect "$core: LUN 0 linked" sh -c "mkdir $tpg/lun/lun_0 && ln -s $TARGET/core/rd_mcp_0/rd0 $tpg/lun/lun_0/rd0"
	dev=$(loop_disk "$WWN" 1 0) || fail "$core: LUN 0 did not become a SCSI disk"
	pass "$core: LUN 0 is the SCSI disk $dev"
	expect "$core: its size is 32 MiB" test "$(blockdev --getsize64 "$dev")" = 33554432

	# Refused commands make sg3_utils exit non-zero: what they print counts.
	head -c 512 /dev/zero >/tmp/zero512
	answers "$dev" >"/tmp/loop-io.$core" 2>&1 || true

	expect "$core: a random pattern written with dd reads back" sh -c "
		head -c 4M /dev/urandom >/tmp/pattern &&
		dd if=/tmp/pattern of=$dev bs=128k oflag=direct status=none &&
		dd if=$dev bs=128k count=32 iflag=direct status=none | cmp - /tmp/pattern"
	expect "$core: unaligned buffered writes read back" sh -c "
		head -c 12345 /dev/urandom >/tmp/small &&
		dd if=/tmp/small of=$dev bs=12345 seek=1 oflag=seek_bytes conv=notrunc status=none &&
		sync && echo 3 >/proc/sys/vm/drop_caches &&
		dd if=$dev bs=12345 skip=1 iflag=skip_bytes count=1 status=none | cmp - /tmp/small"
	expect "$core: fio random writes with crc32c verify, 4k and 64k, QD 1 and 16" \
		fio --name=verify --filename="$dev" --ioengine=libaio --direct=1 \
		--rw=randwrite --bsrange=4k-64k --size=16M --iodepth=16 --numjobs=1 \
		--verify=crc32c --verify_fatal=1 --verify_state_save=0 --do_verify=1 --output=/tmp/fio.$core
	expect "$core: fio mixed random read/write at QD 1, two jobs, verified" \
		fio --name=mixed --filename="$dev" --ioengine=psync --direct=1 \
		--rw=randrw --bs=4k --size=4M --numjobs=2 --offset_increment=8M \
		--verify=crc32c --verify_fatal=1 --verify_state_save=0 --output=/tmp/fio2.$core
	head -c 512 /dev/urandom >/tmp/caw-a && head -c 512 /dev/urandom >/tmp/caw-b
	expect "$core: COMPARE AND WRITE writes when the block matches" sh -c "
		dd if=/tmp/caw-a of=$dev bs=512 seek=2000 oflag=direct status=none &&
		sg_compare_and_write --in=/tmp/caw-a --inw=/tmp/caw-b --lba=2000 $dev &&
		dd if=$dev bs=512 skip=2000 count=1 iflag=direct status=none | cmp - /tmp/caw-b"
	expect "$core: COMPARE AND WRITE of stale data is a MISCOMPARE and writes nothing" sh -c "
		sg_compare_and_write --quiet --in=/tmp/caw-a --inw=/tmp/caw-a --lba=2000 $dev; test \$? = 14 &&
		dd if=$dev bs=512 skip=2000 count=1 iflag=direct status=none | cmp - /tmp/caw-b"
	expect "$core: COMPARE AND WRITE of two blocks is refused (the maximum is 1)" sh -c "
		cat /tmp/caw-b /tmp/caw-b /tmp/caw-a /tmp/caw-a >/tmp/caw-2 &&
		sg_compare_and_write --quiet --in=/tmp/caw-2 --num=2 --xferlen=2048 --lba=2000 $dev 2>/dev/null; test \$? = 5"
	expect "$core: three workers count to 30 with COMPARE AND WRITE while other blocks are written" caw_counter "$dev"
	rm -f /tmp/caw-*
	if [ "$core" = tcm ]; then
		local p=/sys/module/tcm_rs_loop/parameters/submit_type
		expect "tcm: completions from the workqueue (submit_type=2)" sh -c "echo 2 >$p"
		expect "tcm: fio random writes with verify, completed from the workqueue, 4 jobs" \
			fio --name=queued --filename="$dev" --ioengine=libaio --direct=1 \
			--rw=randwrite --bsrange=4k-64k --size=4M --iodepth=16 --numjobs=4 --offset_increment=4M \
			--verify=crc32c --verify_fatal=1 --verify_state_save=0 --output=/tmp/fio3.$core
		expect "tcm: completions in the submitting context again (submit_type=0)" sh -c "echo 0 >$p"
		local ct=$TARGET/core/rd_mcp_0/rd0/attrib/complete_type
		expect "tcm: the device asks for queued completions (attrib/complete_type=2)" sh -c "echo 2 >$ct"
		expect "tcm: fio random reads and writes with verify, device-queued completions" \
			fio --name=devqueued --filename="$dev" --ioengine=libaio --direct=1 \
			--rw=randrw --bs=8k --size=4M --iodepth=8 \
			--verify=crc32c --verify_fatal=1 --verify_state_save=0 --output=/tmp/fio5.$core
		expect "tcm: complete_type back to the fabric's default" sh -c "echo 0 >$ct"
		expect "tcm: fio batched random writes with verify" \
			fio --name=batched --filename="$dev" --ioengine=libaio --direct=1 \
			--rw=randwrite --bs=4k --size=8M --iodepth=32 --iodepth_batch_submit=16 \
			--verify=crc32c --verify_fatal=1 --verify_state_save=0 --output=/tmp/fio4.$core
	fi
	expect "$core: mkfs.ext4" mkfs.ext4 -q -F "$dev"
	expect "$core: a file tree written and checksummed" sh -c "
		mkdir -p /tmp/lun && mount $dev /tmp/lun &&
		mkdir -p /tmp/lun/a/b && head -c 3M /dev/urandom >/tmp/lun/a/b/big &&
		for i in \$(seq 40); do head -c \$((i * 997)) /dev/urandom >/tmp/lun/a/f\$i; done &&
		(cd /tmp/lun && find a -type f | sort | xargs sha256sum) >/tmp/sums && umount /tmp/lun"
	expect "$core: fsck finds the file system clean" fsck.ext4 -f -n "$dev"
	expect "$core: remounted, every file checks" sh -c "
		mount $dev /tmp/lun && (cd /tmp/lun && sha256sum -c --quiet /tmp/sums) && umount /tmp/lun"

	expect "$core: LUN 3 linked while LUN 0 is busy" sh -c "
		dd if=$dev of=/dev/null bs=64k iflag=direct status=none &
		mkdir $tpg/lun/lun_3 && ln -s $TARGET/core/rd_mcp_0/rd1 $tpg/lun/lun_3/rd1; wait"
	local dev3; dev3=$(loop_disk "$WWN" 1 3) || fail "$core: LUN 3 did not become a SCSI disk"
	expect "$core: LUN 3 is $dev3, 1 MiB" test "$(blockdev --getsize64 "$dev3")" = 1048576
	expect "$core: REPORT LUNS lists 0 and 3" sh -c "sg_luns $dev | grep -c '^    000[03]' | grep -qx 2"
	local sg3; sg3=$(sg_of "$dev3")
	# Linking LUN 3 raised REPORTED LUNS DATA HAS CHANGED on LUN 0, which
	# Linux turns into a uevent; what udev runs for it reads LUN 0 about a
	# second later and would take the unit attention the unlink raises
	# before the check below does (seen on LIO on a loaded host): it runs
	# first.
	udevadm settle
	expect "$core: LUN 3 unlinked while it is read" sh -c "
		dd if=$dev3 of=/dev/null bs=4k iflag=direct count=100000 status=none 2>/dev/null &
		sleep 0.2; rm $tpg/lun/lun_3/rd1; wait; rmdir $tpg/lun/lun_3"
	expect "$core: the removed LUN's disk is gone" test ! -e "$dev3"
	expect "$core: its generic node is gone" test ! -e "$sg3"
	local sg0; sg0=$(sg_of "$dev")
	# Linux retries over a second REPORTED LUNS DATA HAS CHANGED of a
	# target until it has sent REPORT LUNS (expecting_lun_change): sg_luns
	# first, so that the UNIT ATTENTION reaches sg_raw.
	expect "$core: LUN 0 reports REPORTED LUNS DATA HAS CHANGED once, after the LUN change" sh -c "
		sg_luns $sg0 >/dev/null &&
		sg_raw $sg0 00 00 00 00 00 00 2>&1 | grep -qi 'reported luns data has changed' && sg_turs $sg0"
	# The unit attention sg_raw just took is a uevent too: udev's reads of
	# LUN 0 go before LUN 4 raises the next one.
	udevadm settle
	expect "$core: a new LUN 4 raises it again; REQUEST SENSE returns it and clears it" sh -c "
		mkdir $tpg/lun/lun_4 && ln -s $TARGET/core/rd_mcp_0/rd1 $tpg/lun/lun_4/rd1 &&
		sg_requests $sg0 2>&1 | grep -qi 'reported luns data has changed' && sg_turs $sg0"
	# The SCSI error handler's functions, as the SG_SCSI_RESET ioctl calls
	# them. After a reset Linux expects the unit attention and may retry
	# over it: the second TEST UNIT READY is GOOD either way.
	expect "$core: LUN reset (sg_reset -d) succeeds and the disk stays online" sh -c "
		sg_reset -d $sg0 && { sg_turs $sg0 || true; } && sg_turs $sg0 &&
		test \$(cat /sys/block/${dev#/dev/}/device/state) = running"
	if [ "$core" = tcm ]; then
		# LIO's tcm_loop refuses it (lio-differences.md).
		expect "tcm: target reset (sg_reset -t) succeeds" sh -c "sg_reset -t $sg0 && sg_turs $sg0"
	fi
	expect "$core: the file system still checks clean after the resets" fsck.ext4 -f -n "$dev"
	expect "$core: INQUIRY neither reports nor clears it" sh -c "
		rm $tpg/lun/lun_4/rd1 && rmdir $tpg/lun/lun_4 && sg_inq $sg0 >/dev/null &&
		sg_requests $sg0 2>&1 | grep -qi 'reported luns data has changed' && sg_turs $sg0"

	if [ "$core" = tcm ]; then
		# Where tcm-rs says more than LIO (lio-differences.md).
		local sg; sg=$(sg_of "$dev")
		expect "tcm: a refused operation code's sense data points at byte 0" sh -c \
			"sg_raw -r 64 $sg 3c 00 00 00 00 00 00 00 40 00 2>&1 | grep -q 'Error in Command: byte 0'"
		expect "tcm: INQUIRY with the obsolete CMDDT bit is refused, pointing at it" sh -c \
			"sg_raw -r 36 $sg 12 02 00 00 24 00 2>&1 | grep -q 'Error in Command: byte 1 bit 1'"
		block_commands "$dev" "$sg"
	fi
	local t2=$TARGET/loopback/$WWN/tpgt_2
	# LIO takes a link before the nexus too, but its unlink of such a LUN
	# leaks tcm_loop's port count, after which the nexus can never end
	# (lio-differences.md): checked on tcm-rs only.
	if [ "$core" = tcm ]; then
		expect "tcm: a LUN linked before the nexus exists is configured (no disk)" sh -c "
			mkdir -p $t2/lun/lun_7 && ln -s $TARGET/core/rd_mcp_0/rd1 $t2/lun/lun_7/rd1 &&
			test -L $t2/lun/lun_7/rd1 && ! ls /sys/class/scsi_device/ | grep -q ':0:2:7\$'"
		expect "tcm: and unlinked" sh -c "rm $t2/lun/lun_7/rd1 && rmdir $t2/lun/lun_7"
	fi
	expect "$core: a TPG whose only LUN is 5 (no LUN 0)" sh -c "
		mkdir -p $t2/lun/lun_5 && echo $INITIATOR >$t2/nexus &&
		ln -s $TARGET/core/rd_mcp_0/rd1 $t2/lun/lun_5/rd1"
	local dev5; dev5=$(loop_disk "$WWN" 2 5) || fail "$core: LUN 5 did not become a SCSI disk"
	expect "$core: LUN 5 is $dev5 and reads" dd if="$dev5" of=/dev/null bs=4k count=16 iflag=direct status=none
	expect "$core: that TPG goes" sh -c "rm $t2/lun/lun_5/rd1 && echo NULL >$t2/nexus && rmdir $t2/lun/lun_5 $t2"
	expect_errno EPERM "$core: the nexus cannot end while a LUN is linked" bash -c "echo NULL >$tpg/nexus"
	expect "$core: unlink LUN 0" rm "$tpg/lun/lun_0/rd0"
	expect "$core: the disk is gone" test ! -e "$dev"
	expect "$core: the nexus ends" sh -c "echo NULL >$tpg/nexus"
	expect "$core: teardown" sh -c "rmdir $tpg/lun/lun_0 $tpg $TARGET/loopback/$WWN &&
		rmdir $TARGET/core/rd_mcp_0/rd0 $TARGET/core/rd_mcp_0/rd1 $TARGET/core/rd_mcp_0"
}

# Differences kept on purpose (Documentation/lio-differences.md, "SCSI
# answers"), applied to LIO's answers before comparing: no 3PC bit in the
# standard INQUIRY data (no EXTENDED COPY yet).
as_tcm_rs() {
	sed -e '/^== standard INQUIRY/{n;s/^\( 00     00 00 06 02 5b\) b8/\1 b0/}'
}
on_both_cores loop-io as_tcm_rs
