# The statistics of a LUN (lun_<N>/statistics/scsi_tgt_port/), of the
# mapped LUN an initiator uses (acls/<i>/lun_<M>/statistics/scsi_auth_intr/)
# and of the device (core/<hba>/<dev>/statistics/scsi_lu/, scsi_tgt_dev/)
# move with I/O through the loopback fabric, on LIO's tcm_loop and on
# tcm-rs. Linux sends a different number of commands to each core (its
# probing follows the answers, and each ramdisk limits a command's size
# differently), so what is compared is exact only where it must be:
#
# - 8 MiB written with O_DIRECT adds 8 to write_mbytes of the LUN, the
#   mapped LUN and the device; 8 MiB read adds 8 to their read_mbytes
#   (each is the whole number of MiB of a byte count: adding exactly
#   8 MiB adds exactly 8, whatever came before);
# - the mapped LUN's num_cmds and the device's num_cmds grow by the same
#   number (one nexus, one mapping), the LUN's in_cmds by 8 or more and
#   not more than them (it counts only the commands whose CDB the core
#   decodes; here all are, and on both cores the three have grown alike:
#   57 while writing, udev's probe of the written disk included, 8 while
#   reading); while only a read runs, by exactly as much. The counters are
#   read once udev is done: its probe would otherwise land between two
#   of the reads;
# - a LUN reset (sg_reset -d) adds 1 to the device's resets;
# - on tcm-rs, 10 TEST UNIT READYs to a second mapped LUN, on a fileio
#   device, add exactly 10 to its mapping's and its device's num_cmds:
#   the loopback runs that device's commands again from its own worker
#   (the core hands them back, `may_defer`), and a command is still
#   counted once;
# - the tables' other values (indexes, names, the logged-in session) are
#   the same on both cores, but for creation_time (a time).
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000021
INIT=naa.5001405000000022
SERIAL=7c1e2a9b-3f4d-4e5a-8b6c-0d1e2f3a4b5c

# rescan TPGT: asks the SCSI midlayer to scan the target.
rescan() {
	local host
	host=$(cut -d: -f1 "$TARGET/loopback/$WWN/tpgt_$1/address")
	echo "0 $1 -" >"/sys/class/scsi_host/host$host/scan"
}

# counters: one line of the counters the test follows.
counters() {
	local l=$TARGET/loopback/$WWN/tpgt_1/lun/lun_0/statistics/scsi_tgt_port
	local m=$TARGET/loopback/$WWN/tpgt_1/acls/$INIT/lun_0/statistics/scsi_auth_intr
	local d=$TARGET/core/rd_mcp_0/rd0/statistics
	echo "$(cat $l/in_cmds) $(cat $l/read_mbytes) $(cat $l/write_mbytes)" \
		"$(cat $m/num_cmds) $(cat $m/read_mbytes) $(cat $m/write_mbytes)" \
		"$(cat $d/scsi_lu/num_cmds) $(cat $d/scsi_lu/read_mbytes) $(cat $d/scsi_lu/write_mbytes)" \
		"$(cat $d/scsi_tgt_dev/resets) $(cat $d/scsi_lu/resets)"
}

# delta BEFORE AFTER: the differences of two `counters` lines, named.
delta() {
	local -a b=($1) a=($2) n=(lun_in_cmds lun_read_mb lun_write_mb map_num_cmds map_read_mb map_write_mb
		dev_num_cmds dev_read_mb dev_write_mb tgt_dev_resets lu_resets)
	local i
	for i in "${!n[@]}"; do echo "${n[$i]}=$((a[i] - b[i]))"; done
}

# field NAME DELTAS: one value of a `delta` output.
field() { sed -n "s/^$1=//p" <<<"$2"; }

# tables: every statistics value of the LUN and the mapped LUN, the
# counters and creation times left out (checked above / a time).
tables() {
	local t=$TARGET/loopback/$WWN/tpgt_1 f
	for f in $t/lun/lun_0/statistics/*/* $t/acls/$INIT/lun_0/statistics/*/*; do
		case ${f##*/} in
		in_cmds|num_cmds|read_mbytes|write_mbytes|creation_time) continue ;;
		esac
		echo "${f#$TARGET/} = $(cat "$f" 2>&1)"
	done
}

exercise() {
	local core=$1
	local out=/tmp/lun-stats.$core t=$TARGET/loopback/$WWN/tpgt_1 rd=$TARGET/core/rd_mcp_0
	local acl=$TARGET/loopback/$WWN/tpgt_1/acls/$INIT disk sg before after d
	: >"$out"
	expect "$core: a 16 MiB ramdisk" sh -c "mkdir -p $rd/rd0 && echo rd_pages=4096 >$rd/rd0/control &&
		echo $SERIAL >$rd/rd0/wwn/vpd_unit_serial && echo 1 >$rd/rd0/enable"
	expect "$core: a TPG with an ACL for the initiator, then its nexus" sh -c "
		mkdir -p $acl && echo $INIT >$t/nexus"
	expect "$core: LUN 0 linked, and mapped as the initiator's LUN 0" sh -c "
		mkdir $t/lun/lun_0 && ln -s $rd/rd0 $t/lun/lun_0/rd0 &&
		mkdir $acl/lun_0 && ln -s $t/lun/lun_0 $acl/lun_0/map"
	rescan 1
	disk=$(loop_disk "$WWN" 1 0) || fail "$core: the mapped LUN did not become a disk"
	sg=$(sg_of "$disk")
	pass "$core: the mapped LUN is $disk"
	udevadm settle
	tables >>"$out"

	head -c 8388608 /dev/urandom >/tmp/lun-stats-8m
	before=$(counters)
	expect "$core: 8 MiB written (O_DIRECT)" dd if=/tmp/lun-stats-8m of="$disk" bs=1M oflag=direct status=none
	# The close of the disk after writing sends udev to probe it: that
	# is over before the counters are read.
	udevadm settle
	after=$(counters)
	d=$(delta "$before" "$after")
	echo "$core: writing: $d" | tr '\n' ' '; echo
	expect "$core: 8 more MiB written on the LUN, the mapped LUN and the device" test \
		"$(field lun_write_mb "$d") $(field map_write_mb "$d") $(field dev_write_mb "$d")" = "8 8 8"
	expect "$core: as many commands on the mapped LUN and the device; 8 or more, and not more, decoded on the LUN" sh -c "
		test $(field lun_in_cmds "$d") -ge 8 &&
		test $(field lun_in_cmds "$d") -le $(field map_num_cmds "$d") &&
		test $(field map_num_cmds "$d") = $(field dev_num_cmds "$d")"
	echo "8 MiB written: +8 MiB written on the LUN, the mapped LUN and the device" >>"$out"

	before=$(counters)
	expect "$core: 8 MiB read (O_DIRECT)" sh -c "dd if=$disk bs=1M count=8 iflag=direct status=none | cmp - /tmp/lun-stats-8m"
	after=$(counters)
	d=$(delta "$before" "$after")
	echo "$core: reading: $d" | tr '\n' ' '; echo
	expect "$core: 8 more MiB read on the LUN, the mapped LUN and the device" test \
		"$(field lun_read_mb "$d") $(field map_read_mb "$d") $(field dev_read_mb "$d")" = "8 8 8"
	expect "$core: nothing more written" test \
		"$(field lun_write_mb "$d") $(field map_write_mb "$d") $(field dev_write_mb "$d")" = "0 0 0"
	expect "$core: as many commands on the LUN, the mapped LUN and the device, 8 or more" sh -c "
		test $(field lun_in_cmds "$d") -ge 8 &&
		test $(field lun_in_cmds "$d") = $(field map_num_cmds "$d") &&
		test $(field map_num_cmds "$d") = $(field dev_num_cmds "$d")"
	echo "8 MiB read: +8 MiB read on the LUN, the mapped LUN and the device" >>"$out"

	before=$(counters)
	expect "$core: a LUN reset (sg_reset -d)" sh -c "sg_reset -d $sg && { sg_turs $sg || true; } && sg_turs $sg"
	after=$(counters)
	d=$(delta "$before" "$after")
	expect "$core: the device counted one reset" test \
		"$(field tgt_dev_resets "$d") $(field lu_resets "$d")" = "1 1"
	echo "LUN reset: +1 reset on the device" >>"$out"

	# tcm-rs only: the double count this checks could only be tcm-rs's
	# (LIO counts a command once, when it looks its LUN up), and tcm_loop
	# does not add a LUN linked after its nexus's scan to a scanned target.
	if [ "$core" = tcm ]; then
		local fd=$TARGET/core/fileio_1 disk1 sg1 cmds
		expect "$core: a fileio device, LUN 1, mapped as the initiator's LUN 1" sh -c "
			mkdir -p $fd/f0 && echo fd_dev_name=/tmp/lun-stats.img,fd_dev_size=4194304 >$fd/f0/control &&
			echo 1 >$fd/f0/enable && mkdir $t/lun/lun_1 && ln -s $fd/f0 $t/lun/lun_1/f0 &&
			mkdir $acl/lun_1 && ln -s $t/lun/lun_1 $acl/lun_1/map"
		rescan 1
		disk1=$(loop_disk "$WWN" 1 1) || fail "$core: LUN 1 did not become a disk"
		sg1=$(sg_of "$disk1")
		udevadm settle
		drain_ua "$sg1" || fail "$core: LUN 1 keeps reporting a unit attention"
		# cmds: the fileio mapping's and device's num_cmds.
		cmds() { echo "$(cat $acl/lun_1/statistics/scsi_auth_intr/num_cmds) $(cat $fd/f0/statistics/scsi_lu/num_cmds)"; }
		before=($(cmds))
		expect "$core: 10 TEST UNIT READYs to LUN 1" sg_turs -n 10 "$sg1"
		after=($(cmds))
		echo "$core: fileio mapping +$((after[0] - before[0])), device +$((after[1] - before[1]))"
		expect "$core: each counted once, for the mapping and the device" \
			test "$((after[0] - before[0])) $((after[1] - before[1]))" = "10 10"
		expect "$core: LUN 1 unmapped and unlinked, its device gone" sh -c "
			rm $acl/lun_1/map && rmdir $acl/lun_1 && rm $t/lun/lun_1/f0 && rmdir $t/lun/lun_1 &&
			rmdir $fd/f0 $fd && rm -f /tmp/lun-stats.img"
	else
		echo "skip: lio: the fileio LUN's count (a check of tcm-rs's deferred commands)"
	fi

	expect "$core: unmapped and unlinked" sh -c "
		rm $acl/lun_0/map && rmdir $acl/lun_0 && rm $t/lun/lun_0/rd0 && rmdir $t/lun/lun_0"
	expect "$core: the nexus, the ACL, the TPG and the ramdisk go" sh -c "
		echo NULL >$t/nexus && rmdir $acl $t $TARGET/loopback/$WWN && rmdir $rd/rd0 $rd"
}

on_both_cores lun-stats
