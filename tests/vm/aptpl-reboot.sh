# APTPL across a reboot of the whole VM, in two boots (tests/vm/aptpl-reboot
# runs them): a power loss takes the kernel's state, and only the file
# under dbroot, on a disk that outlives the boot, brings the reservation
# back.
#
#   aptpl-reboot.sh before         boot 1: the registrations and reservation
#                                  made with APTPL, dbroot in this run's
#                                  directory (kept on the host); then the VM
#                                  powers off with the target still live
#   aptpl-reboot.sh after RUNDIR   boot 2: boot 1's dbroot copied where
#                                  rtslib-fb keeps it, the configuration
#                                  restored by targetcli-fb, and what the
#                                  initiators see compared with boot 1's
#
# A ramdisk exported by two loopback TPGs (A and B, as in pr-aptpl.sh); A
# and B register with APTPL, A reserves Write Exclusive.
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000071
INIT_A=naa.5001405000000072
INIT_B=naa.5001405000000073
SERIAL=aptpl-reboot-serial
T1=$TARGET/loopback/$WWN/tpgt_1
T2=$TARGET/loopback/$WWN/tpgt_2
# rtslib-fb sets dbroot here before it makes a storage object.
RTSLIB_DB=/etc/rtslib-fb-target

# The storage object as targetcli-fb saves it.
so_json() {
	cat <<EOF
{
  "fabric_modules": [],
  "storage_objects": [
    {"attributes": {}, "name": "rd0", "nullio": false, "plugin": "ramdisk",
     "size": 1048576, "wwn": "$SERIAL"}
  ],
  "targets": []
}
EOF
}

rd_dir() {
	local d
	for d in "$TARGET"/core/rd_mcp_*/rd0; do [ -d "$d" ] && { echo "$d"; return 0; }; done
	return 1
}

# Both TPGs with their nexuses and LUN 0 the ramdisk; A and B the sg nodes.
fabric_up() {
	local rd da db
	rd=$(rd_dir) || fail "no ramdisk"
	expect "two TPGs, RTPIs 1 and 2, both nexuses, LUN 0 of each the ramdisk" sh -c "
		mkdir -p $T1 $T2 && echo 1 >$T1/rtpi && echo 2 >$T2/rtpi &&
		echo $INIT_A >$T1/nexus && echo $INIT_B >$T2/nexus && mkdir $T1/lun/lun_0 $T2/lun/lun_0 &&
		ln -s $rd $T1/lun/lun_0/rd0 && ln -s $rd $T2/lun/lun_0/rd0"
	da=$(loop_disk "$WWN" 1 0) && db=$(loop_disk "$WWN" 2 0) || fail "no disks"
	A=$(sg_of "$da") B=$(sg_of "$db")
	drain_ua "$A" && drain_ua "$B"
}

# What the initiators see of the reservation.
state() {
	echo "== READ KEYS"; sg_persist -n --in --read-keys "$A"
	echo "== READ RESERVATION"; sg_persist -n --in --read-reservation "$B"
	echo "== B's WRITE(10)"
	sg_raw -s 512 -i /tmp/aptpl-reboot512 "$B" 2a 00 00 00 00 00 00 00 01 00 2>&1 |
		grep -i -o 'reservation conflict\|good' | head -1
}

start_dbus
head -c 512 /dev/urandom >/tmp/aptpl-reboot512
expect "tcm-rs loads" modprobe tcm_rs_core
case ${1:-} in
before)
	db=$TCM_RUN/dbroot
	expect "dbroot in the run's directory, which outlives the VM" sh -c "
		mkdir -p $db/pr && echo $db >$TARGET/dbroot"
	rd=$TARGET/core/rd_mcp_0/rd0
	expect "a ramdisk with serial $SERIAL" sh -c "
		mkdir -p $rd && echo rd_pages=256 >$rd/control &&
		echo $SERIAL >$rd/wwn/vpd_unit_serial && echo 1 >$rd/enable"
	fabric_up
	expect "A and B register with APTPL, A reserves (Write Exclusive)" sh -c "
		sg_persist -n --out --register --param-sark=0xa1 --param-aptpl $A &&
		sg_persist -n --out --register --param-sark=0xb1 --param-aptpl $B &&
		sg_persist -n --out --reserve --param-rk=0xa1 --prout-type=1 $A"
	state | tee "$TCM_RUN/state.before"
	expect "the file is on the run's disk" grep -q res_holder=1 "$db/pr/aptpl_$SERIAL"
	expect "B's write conflicts" grep -qi 'reservation conflict' "$TCM_RUN/state.before"
	# No teardown: the VM powers off with the target live.
	;;
after)
	boot1=${2:?boot 1 run directory}
	[ -f "$boot1/dbroot/pr/aptpl_$SERIAL" ] || fail "boot 1 left no APTPL file in $boot1"
	expect "boot 1's dbroot where rtslib-fb keeps it" sh -c "
		mkdir -p $RTSLIB_DB/pr && cp $boot1/dbroot/pr/aptpl_$SERIAL $RTSLIB_DB/pr/"
	so_json >/tmp/aptpl-reboot.json
	expect "targetcli-fb restoreconfig" sh -c "targetcli restoreconfig /tmp/aptpl-reboot.json >/dev/null"
	fabric_up
	state | tee /tmp/aptpl-reboot.after
	expect "the initiators see the reservation and the keys as before the reboot" \
		diff -u "$boot1/state.before" /tmp/aptpl-reboot.after
	rd=$(rd_dir)
	expect "the holder is A again" grep -q "$INIT_A" "$rd/pr/res_holder"
	expect "A clears the reservation" sg_persist -n --out --clear --param-rk=0xa1 "$A"
	expect "teardown" sh -c "
		rm $T2/lun/lun_0/rd0 $T1/lun/lun_0/rd0 && echo NULL >$T2/nexus && echo NULL >$T1/nexus &&
		rmdir $T1/lun/lun_0 $T2/lun/lun_0 $T1 $T2 $TARGET/loopback/$WWN && rmdir $rd ${rd%/rd0}"
	expect "tcm-rs unloads" tcm_unload
	rm -rf "$RTSLIB_DB/pr"
	;;
*) fail "usage: aptpl-reboot.sh before | after RUNDIR" ;;
esac
