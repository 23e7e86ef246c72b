# Persistent reservations and SPC-2 RESERVE/RELEASE through the loopback
# fabric: one ramdisk exported by two TPGs of one loopback target (tpgt_1,
# RTPI 1, nexus of initiator A; tpgt_2, RTPI 2, nexus of initiator B), so
# that two disks are one logical unit seen through two I_T nexuses. With
# sg_persist and sg_raw from both sides: REGISTER, READ KEYS, RESERVE of
# every type, READ RESERVATION, what the other nexus may READ and WRITE
# under each type (registered and not), RELEASE and the unit attentions it
# leaves, PREEMPT, PREEMPT AND ABORT, REGISTER AND IGNORE EXISTING KEY,
# REPORT CAPABILITIES, READ FULL STATUS, CLEAR, the `pr/` configfs files,
# and RESERVE/RELEASE (6) and (10). The same steps run on LIO's tcm_loop
# and on tcm-rs and the recorded outputs are compared; the differences
# Documentation/lio-differences.md lists ("Persistent reservations") are
# filtered explicitly below.
#
# tcm_loop constraints (access-control.sh): LUNs are linked after the
# nexus and unlinked before it ends, and the LIO half runs on the release
# kernel only (lio_loopback_teardown_safe).
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000031
INIT_A=naa.5001405000000032
INIT_B=naa.5001405000000033

read1() { raw "$1 READ(10)" "$2" -r 512 28 00 00 00 00 00 00 00 01 00; }
write1() { raw "$1 WRITE(10)" "$2" -s 512 -i /tmp/pr512 2a 00 00 00 00 00 00 00 01 00; }
tur() { raw "$1 TEST UNIT READY" "$2" 00 00 00 00 00 00; }

# The pr/ files of the device.
pr_files() {
	local f
	echo "== pr/ ($1)"
	for f in res_aptpl_active res_holder res_pr_all_tgt_pts res_pr_generation \
		res_pr_holder_tg_port res_pr_registered_i_pts res_pr_type res_type; do
		echo "$f: $(tr -d '\0' <"$TARGET/core/rd_mcp_0/rd0/pr/$f")"
	done
}

# steps CORE SGA SGB: the PR steps, A through SGA, B through SGB.
steps() {
	local core=$1 a=$2 b=$3 t preempt=--preempt-abort
	# LIO's PREEMPT AND ABORT deadlocks over tcm_loop: its LUN reset
	# flushes the device's submission work, which is running the PERSISTENT
	# RESERVE OUT itself (core_tmr_drain_state_list; tcm_loop always
	# queues submissions). With no command of B in flight the two service
	# actions leave the same state and unit attentions, so LIO gets PREEMPT.
	[ "$core" = lio ] && preempt=--preempt
	rec "A REGISTER 0xa1" sg_persist --out --register --param-sark=0xa1 "$a"
	rec "A READ KEYS" sg_persist --in --read-keys "$a"
	pr_files "A registered"
	# Each type with B unregistered, then registered.
	for reg in unregistered registered; do
		if [ $reg = registered ]; then
			rec "B REGISTER 0xb1" sg_persist --out --register --param-sark=0xb1 "$b"
			rec "B READ KEYS" sg_persist --in --read-keys "$b"
		fi
		for t in 1 3 5 6 7 8; do
			rec "A RESERVE type $t (B $reg)" sg_persist --out --reserve --param-rk=0xa1 --prout-type=$t "$a"
			rec "B READ RESERVATION" sg_persist --in --read-reservation "$b"
			read1 "B (type $t, $reg)" "$b"
			write1 "B (type $t, $reg)" "$b"
			[ $t = 3 ] && write1 "A (type $t)" "$a"
			[ $t = 3 ] && pr_files "type 3 held by A"
			rec "A RELEASE type $t" sg_persist --out --release --param-rk=0xa1 --prout-type=$t "$a"
			# RESERVATIONS RELEASED for the registrants of a registrants
			# only or all registrants reservation.
			tur "B after the release of type $t" "$b"
		done
	done
	rec "B RESERVE with A's key" sg_persist --out --reserve --param-rk=0xa1 --prout-type=1 "$b"
	rec "A RESERVE type 1" sg_persist --out --reserve --param-rk=0xa1 --prout-type=1 "$a"
	rec "B RESERVE type 1 (held)" sg_persist --out --reserve --param-rk=0xb1 --prout-type=1 "$b"
	rec "A RESERVE type 3 (other type)" sg_persist --out --reserve --param-rk=0xa1 --prout-type=3 "$a"
	rec "B PREEMPT A" sg_persist --out --preempt --param-rk=0xb1 --param-sark=0xa1 --prout-type=3 "$b"
	rec "B READ KEYS" sg_persist --in --read-keys "$b"
	rec "B READ RESERVATION" sg_persist --in --read-reservation "$b"
	tur "A (preempted)" "$a"
	write1 "A (preempted, unregistered)" "$a"
	pr_files "B holds type 3"
	rec "A REGISTER 0xa2" sg_persist --out --register --param-sark=0xa2 "$a"
	rec "A PREEMPT AND ABORT B" sg_persist --out $preempt --param-rk=0xa2 --param-sark=0xb1 --prout-type=6 "$a"
	rec "A READ RESERVATION" sg_persist --in --read-reservation "$a"
	tur "B (preempted and aborted)" "$b"
	rec "B REGISTER AND IGNORE EXISTING KEY 0xb2" sg_persist --out --register-ignore --param-sark=0xb2 "$b"
	rec "B REGISTER AND IGNORE EXISTING KEY 0xb3" sg_persist --out --register-ignore --param-sark=0xb3 "$b"
	rec "A READ KEYS" sg_persist --in --read-keys "$a"
	rec "A REPORT CAPABILITIES" sg_persist --in --report-capabilities "$a"
	rec "A READ FULL STATUS (hex)" sg_persist --in --read-full-status --hex "$a"
	pr_files "A holds type 6, B registered"
	rec "B CLEAR with a wrong key" sg_persist --out --clear --param-rk=0xb1 "$b"
	rec "B CLEAR" sg_persist --out --clear --param-rk=0xb3 "$b"
	tur "A (cleared)" "$a"
	rec "A READ KEYS" sg_persist --in --read-keys "$a"
	rec "A READ RESERVATION" sg_persist --in --read-reservation "$a"
	pr_files "cleared"

	# SPC-2 RESERVE/RELEASE.
	raw "A RESERVE(6)" "$a" 16 00 00 00 00 00
	read1 "B (RESERVE(6) by A)" "$b"
	write1 "B (RESERVE(6) by A)" "$b"
	read1 "A (its RESERVE(6))" "$a"
	raw "B INQUIRY" "$b" -r 36 12 00 00 00 24 00
	raw "B PERSISTENT RESERVE IN" "$b" -r 8 5e 00 00 00 00 00 00 00 08 00
	raw "A PERSISTENT RESERVE IN" "$a" -r 8 5e 00 00 00 00 00 00 00 08 00
	raw "B RESERVE(6)" "$b" 16 00 00 00 00 00
	raw "B RELEASE(6) (not the holder)" "$b" 17 00 00 00 00 00
	read1 "B (still reserved by A)" "$b"
	pr_files "SPC-2 by A"
	raw "A RELEASE(6)" "$a" 17 00 00 00 00 00
	read1 "B (released)" "$b"
	raw "B RESERVE(10)" "$b" 56 00 00 00 00 00 00 00 00 00
	write1 "A (RESERVE(10) by B)" "$a"
	raw "B RESERVE(10) again" "$b" 56 00 00 00 00 00 00 00 00 00
	raw "B RELEASE(10)" "$b" 57 00 00 00 00 00 00 00 00 00
	write1 "A (released)" "$a"
	rec "A REGISTER 0xa3" sg_persist --out --register --param-sark=0xa3 "$a"
	raw "B RESERVE(6) while A is registered" "$b" 16 00 00 00 00 00
	raw "A RESERVE(6) while registered" "$a" 16 00 00 00 00 00
	rec "A REGISTER key 0 (unregister)" sg_persist --out --register --param-rk=0xa3 "$a"
	rec "A READ KEYS" sg_persist --in --read-keys "$a"
}

exercise() {
	local core=$1
	local out=/tmp/pr.$core t1=$TARGET/loopback/$WWN/tpgt_1 t2=$TARGET/loopback/$WWN/tpgt_2
	local rd=$TARGET/core/rd_mcp_0
	# Every REGISTER writes the APTPL file (with APTPL or not, as LIO):
	# without <dbroot>/pr it fails with NOT READY on both cores
	# (pr-aptpl.sh checks that file).
	expect "$core: dbroot with a pr/ directory" sh -c "
		mkdir -p /tmp/pr-dbroot/pr && echo /tmp/pr-dbroot >$TARGET/dbroot"
	expect "$core: a ramdisk" sh -c "
		mkdir -p $rd/rd0 && echo rd_pages=256 >$rd/rd0/control &&
		echo pr-rd0-serial >$rd/rd0/wwn/vpd_unit_serial && echo 1 >$rd/rd0/enable"
	expect "$core: two TPGs, RTPIs 1 and 2" sh -c "
		mkdir -p $t1 $t2 && echo 1 >$t1/rtpi && echo 2 >$t2/rtpi"
	expect "$core: both nexuses" sh -c "echo $INIT_A >$t1/nexus && echo $INIT_B >$t2/nexus"
	expect "$core: LUN 0 of both TPGs is the ramdisk" sh -c "
		mkdir $t1/lun/lun_0 $t2/lun/lun_0 && ln -s $rd/rd0 $t1/lun/lun_0/rd0 && ln -s $rd/rd0 $t2/lun/lun_0/rd0"
	local da db
	da=$(loop_disk "$WWN" 1 0) && db=$(loop_disk "$WWN" 2 0) || fail "$core: no disks"
	pass "$core: A's disk $da, B's disk $db"
	local a b
	a=$(sg_of "$da") b=$(sg_of "$db")
	# Conditions of the set-up go first.
	sg_requests "$a" >/dev/null 2>&1 || true
	sg_requests "$b" >/dev/null 2>&1 || true
	steps "$core" "$a" "$b" >"$out" 2>&1
	if [ "$core" = tcm ]; then
		# LIO frees the demo-mode ACL of a loopback nexus when it ends,
		# and its registrations with it.
		expect "tcm: a registration survives the end of its nexus (SPC-4)" sh -c "
			sg_persist --out --register --param-sark=0xb9 $b >/dev/null &&
			rm $t2/lun/lun_0/rd0 && echo NULL >$t2/nexus &&
			grep -q 0x00000000000000b9 $rd/rd0/pr/res_pr_registered_i_pts"
	else
		expect "$core: B's LUN unlinked, its nexus ended" sh -c "rm $t2/lun/lun_0/rd0 && echo NULL >$t2/nexus"
	fi
	expect "$core: teardown" sh -c "
		rm $t1/lun/lun_0/rd0 && echo NULL >$t1/nexus &&
		rmdir $t1/lun/lun_0 $t2/lun/lun_0 $t1 $t2 $TARGET/loopback/$WWN &&
		rmdir $rd/rd0 $rd"
}

# Where tcm-rs answers differently on purpose (lio-differences.md,
# "Persistent reservations"): each difference is a sed of LIO's record to
# tcm-rs's answer, with its reason there.
lio_filter() {
	local after=false line gen
	while IFS= read -r line; do
		[ "$line" = "== A REGISTER key 0 (unregister)" ] && after=true
		# REGISTER with key 0 counts in PRgeneration (SPC-4 6.16.2).
		if $after && [[ $line =~ PR\ generation=0x([0-9a-f]+) ]]; then
			gen=$(printf '0x%x' $((16#${BASH_REMATCH[1]} + 1)))
			line=${line/generation=0x${BASH_REMATCH[1]}/generation=$gen}
		fi
		printf '%s\n' "$line"
	done
}

head -c 512 /dev/urandom >/tmp/pr512
trap 'rm -rf /tmp/pr-dbroot' EXIT

on_both_cores pr lio_filter

# tcm-rs's own checks, whatever LIO does.
expect "tcm: WRITE from B under Write Exclusive held by A conflicts" sh -c "
	sed -n '/^== B (type 1, unregistered) WRITE(10)/,/^==/p' /tmp/pr.tcm | grep -qi 'reservation conflict'"
expect "tcm: READ from B under Write Exclusive held by A is allowed" sh -c "
	! sed -n '/^== B (type 1, unregistered) READ(10)/,/^==/p' /tmp/pr.tcm | grep -qi 'conflict'"
expect "tcm: READ from B under Exclusive Access held by A conflicts" sh -c "
	sed -n '/^== B (type 3, unregistered) READ(10)/,/^==/p' /tmp/pr.tcm | grep -qi 'reservation conflict'"
expect "tcm: a registered B writes under Write Exclusive, Registrants Only" sh -c "
	! sed -n '/^== B (type 5, registered) WRITE(10)/,/^==/p' /tmp/pr.tcm | grep -qi 'conflict'"
expect "tcm: READ from B under A's RESERVE(6) conflicts" sh -c "
	sed -n '/^== B (RESERVE(6) by A) READ(10)/,/^==/p' /tmp/pr.tcm | grep -qi 'reservation conflict'"
expect "tcm: B reads again after A's RELEASE(6)" sh -c "
	! sed -n '/^== B (released) READ(10)/,/^==/p' /tmp/pr.tcm | grep -qi 'conflict'"
expect "tcm: A saw REGISTRATIONS PREEMPTED" sh -c "
	sed -n '/^== A (preempted) TEST UNIT READY/,/^==/p' /tmp/pr.tcm | grep -qi 'registrations preempted'"
