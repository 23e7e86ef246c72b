# Two open-iscsi sessions to one tcm-rs target (two paths to one LUN, as
# dm-multipath uses them): each session is an I_T nexus of its own (an
# initiator port with its own ISID), so persistent reservations work
# between the two paths as between two hosts (register, reserve, a
# registrant's write and an unregistered path's conflict, PREEMPT AND
# ABORT, CLEAR), and PREEMPT AND ABORT is answered only once the
# preempted path's write in flight has ended (LUN 1, a disk that takes 1 s
# an I/O); and a LOGICAL UNIT RESET sent down one path completes
# while the other path keeps commands in flight (fio with verify), the
# case where a multipath initiator resets a failed path while the other
# carries the I/O. The LUN is an iblock device on a null_blk disk that
# completes each I/O after 1 ms, so commands stay in flight. tcm-rs only:
# iscsi-pr.sh compares reservations between two ISIDs with LIO's.
. "$TCM_ROOT/tests/vm/lib.sh"

IQN=iqn.2003-01.org.linux-iscsi.tcmrs:sn.mp0000000001
INIT=$(sed -n 's/^InitiatorName=//p' /etc/iscsi/initiatorname.iscsi)
[ -n "$INIT" ] || fail "no InitiatorName in /etc/iscsi/initiatorname.iscsi"
T=$TARGET/iscsi/$IQN/tpgt_1
IB=$TARGET/core/iblock_0/ib0
NB=$CONFIGFS/nullb/mpathb
IB1=$TARGET/core/iblock_0/ib1
NB1=$CONFIGFS/nullb/mpathslow
iscsid_pid=

cleanup() {
	iscsiadm -m node -T $IQN -p 127.0.0.1:3260 --logout >/dev/null 2>&1 || true
	[ -z "$iscsid_pid" ] || kill "$iscsid_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf /tmp/mp-dbroot
}
trap cleanup EXIT

# lun_disks LUN COUNT: the disks of LUN, one per session (waits for COUNT
# of them).
lun_disks() {
	local i b found
	for i in $(seq 200); do
		found=()
		for b in /sys/class/iscsi_session/session*/device/target*/*:0:0:"$1"/block/*; do
			[ -e "$b" ] && found+=("/dev/${b##*/}")
		done
		[ ${#found[@]} -ge "$2" ] && { echo "${found[@]}"; return 0; }
		sleep 0.1
	done
	return 1
}

# write_status SG: what a one-block WRITE(10) at LBA 16 through SG gets:
# good, conflict (RESERVATION CONFLICT) or check (CHECK CONDITION).
write_status() {
	local out
	out=$(sg_raw -s 512 -i /tmp/mp-block "$1" 2a 00 00 00 00 10 00 00 01 00 2>&1) || true
	case $out in
	*"Reservation Conflict"*) echo conflict ;;
	*"Check Condition"*) echo check ;;
	*) echo good ;;
	esac
}

expect "iscsid starts" sh -c "setsid iscsid -f >/tmp/iscsid.log 2>&1 & echo \$! >/tmp/iscsid.pid"
iscsid_pid=$(cat /tmp/iscsid.pid)
expect "tcm-rs loads" modprobe tcm_rs_core
# REGISTER writes <dbroot>/pr/aptpl_<serial> (cleared when APTPL is off),
# and fails with NOT READY where it cannot, as on LIO.
expect "a dbroot with pr/" sh -c "mkdir -p /tmp/mp-dbroot/pr && echo /tmp/mp-dbroot >$TARGET/dbroot"
expect "a 64 MiB null_blk disk that completes each I/O after 1 ms" sh -c "
	modprobe null_blk nr_devices=0 && mkdir $NB && echo 64 >$NB/size && echo 1 >$NB/memory_backed &&
	echo 2 >$NB/irqmode && echo 1000000 >$NB/completion_nsec && echo 1 >$NB/power && test -b /dev/mpathb"
expect "an iblock device on it, with a unit serial number" sh -c "mkdir -p $IB &&
	echo udev_path=/dev/mpathb >$IB/control && echo 1 >$IB/enable &&
	echo 6f2c0e5a-1b7d-4e3a-9c55-0d1e2f3a4b5c >$IB/wwn/vpd_unit_serial"
expect "a second one, of 16 MiB, that takes 1 s for each I/O, behind iblock" sh -c "
	mkdir $NB1 && echo 16 >$NB1/size && echo 1 >$NB1/memory_backed && echo 2 >$NB1/irqmode &&
	echo 1000000000 >$NB1/completion_nsec && echo 1 >$NB1/power && test -b /dev/mpathslow &&
	mkdir -p $IB1 && echo udev_path=/dev/mpathslow >$IB1/control && echo 1 >$IB1/enable &&
	echo 0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5 >$IB1/wwn/vpd_unit_serial"
expect "the target: LUNs 0 and 1 the iblock devices, open-iscsi's ACL, a portal" sh -c "mkdir -p $T &&
	echo 0 >$T/attrib/authentication && mkdir $T/lun/lun_0 $T/lun/lun_1 &&
	ln -s $IB $T/lun/lun_0/ib0 && ln -s $IB1 $T/lun/lun_1/ib1 &&
	mkdir -p $T/acls/$INIT/lun_0 $T/acls/$INIT/lun_1 && ln -s $T/lun/lun_0 $T/acls/$INIT/lun_0/map &&
	ln -s $T/lun/lun_1 $T/acls/$INIT/lun_1/map && mkdir $T/np/127.0.0.1:3260 && echo 1 >$T/enable"
expect "discovery finds the target" sh -c \
	"iscsiadm -m discovery -t st -p 127.0.0.1:3260 | grep -q '127.0.0.1:3260,1 $IQN'"
expect "the first session logs in" iscsiadm -m node -T $IQN -p 127.0.0.1:3260 --login
sid=$(iscsiadm -m session | grep -F " $IQN" | sed -n 's/^tcp: \[\([0-9]*\)\].*/\1/p' | head -1)
[ -n "$sid" ] || fail "no session to $IQN"
expect "a second session to the same target (iscsiadm -m session -r $sid --op new)" \
	iscsiadm -m session -r "$sid" --op new
read -r A B < <(lun_disks 0 2) || fail "LUN 0 did not appear through both sessions"
SA=$(sg_of "$A") SB=$(sg_of "$B")
pass "LUN 0 is $A through one session and $B through the other"
expect "both are the same logical unit (VPD page 80h)" test \
	"$(sg_inq -p 0x80 -r "$SA" | od -An -tx1)" = "$(sg_inq -p 0x80 -r "$SB" | od -An -tx1)"
drain_ua "$SA" && drain_ua "$SB"
head -c 512 /dev/urandom >/tmp/mp-block

echo "--- persistent reservations between the paths"
expect "path A registers key 0xa1" sg_persist -n --out --register --param-sark=0xa1 "$SA"
expect "path B registers key 0xb2" sg_persist -n --out --register --param-sark=0xb2 "$SB"
expect "READ KEYS through either path lists both keys" sh -c "
	sg_persist -n --in --read-keys $SB | grep -q 0xa1 && sg_persist -n --in --read-keys $SA | grep -q 0xb2"
expect "READ FULL STATUS names two initiator ports: the initiator with two ISIDs" sh -c "
	sg_persist -n --in --read-full-status $SA | tee /tmp/mp-full-status |
		grep -o '$INIT,i,0x[0-9a-f]*' | sort -u | wc -l | grep -qx 2"
cat /tmp/mp-full-status
expect "path A reserves (Write Exclusive, registrants only)" \
	sg_persist -n --out --reserve --param-rk=0xa1 --prout-type=5 "$SA"
expect "READ RESERVATION through path B names key 0xa1" sh -c "
	sg_persist -n --in --read-reservation $SB | grep -q 'Key=0xa1'"
expect "a registrant's write through path B is taken" test "$(write_status "$SB")" = good
expect "path B unregisters" sg_persist -n --out --register --param-rk=0xb2 --param-sark=0 "$SB"
expect "a write through the unregistered path B is a RESERVATION CONFLICT" \
	test "$(write_status "$SB")" = conflict
expect "a read through it is not (Write Exclusive)" \
	sg_raw -r 512 -o /dev/null "$SB" 28 00 00 00 00 10 00 00 01 00
expect "path A still writes" test "$(write_status "$SA")" = good
expect "path B registers again and preempts path A's key (PREEMPT AND ABORT)" sh -c "
	sg_persist -n --out --register --param-sark=0xb2 $SB &&
	sg_persist -n --out --preempt-abort --param-rk=0xb2 --param-sark=0xa1 --prout-type=5 $SB"
drain_ua "$SA"
expect "path A, preempted, gets a RESERVATION CONFLICT on write" test "$(write_status "$SA")" = conflict
expect "READ RESERVATION names key 0xb2" sh -c "sg_persist -n --in --read-reservation $SA | grep -q 'Key=0xb2'"
expect "path B clears the reservation and every key" sg_persist -n --out --clear --param-rk=0xb2 "$SB"
expect "no key is left" sh -c "sg_persist -n --in --read-keys $SA | grep -q 'no registered\|there are NO'"
drain_ua "$SA" && drain_ua "$SB"

echo "--- PREEMPT AND ABORT waits for the preempted path's write"
read -r A1 B1 < <(lun_disks 1 2) || fail "LUN 1 did not appear through both sessions"
SA1=$(sg_of "$A1") SB1=$(sg_of "$B1")
drain_ua "$SA1" && drain_ua "$SB1"
expect "LUN 1: path A registers 0xa1, path B registers 0xb2 and reserves (Write Exclusive)" sh -c "
	sg_persist -n --out --register --param-sark=0xa1 $SA1 &&
	sg_persist -n --out --register --param-sark=0xb2 $SB1 &&
	sg_persist -n --out --reserve --param-rk=0xb2 --prout-type=1 $SB1"
# Path B's write takes the disk's 1 s. Once it is in the disk, path A
# preempts B's key with PREEMPT AND ABORT, whose answer must not come
# before that write has ended (SPC-4 5.13.11.2.3: a fenced node's write may
# not land after the fencing): when sg_persist returns, the disk holds no
# write any more (reads there may be: udev reads the disks after the unit
# attentions). The disk's inflight counts are read with bash's read: a
# process would take a TCG moment to start.
inflight() { local r w; read -r r w </sys/block/mpathslow/inflight; n=$w; }
sg_raw -s 512 -i /tmp/mp-block "$SB1" 2a 00 00 00 00 20 00 00 01 00 >/tmp/mp-bwrite 2>&1 &
bwrite=$!
for _ in $(seq 500); do inflight; [ $n -gt 0 ] && break; sleep 0.01; done
[ $n -gt 0 ] || fail "path B's write never reached the disk"
pass "path B's write is in the disk"
expect "path A preempts path B's key and aborts its tasks (PREEMPT AND ABORT)" \
	sg_persist -n --out --preempt-abort --param-rk=0xa1 --param-sark=0xb2 --prout-type=1 "$SA1"
inflight
left=$n
wait $bwrite || true
echo "path B's write: $(grep -i 'status' /tmp/mp-bwrite || echo good)"
[ "$left" = 0 ] || fail "PREEMPT AND ABORT was answered while path B's write was still in the disk"
pass "PREEMPT AND ABORT was answered once path B's write had ended"
expect "path B's next write is a RESERVATION CONFLICT" sh -c "
	for i in 1 2 3 4 5 6; do sg_turs $SB1 >/dev/null 2>&1 && break; done
	sg_raw -s 512 -i /tmp/mp-block $SB1 2a 00 00 00 00 20 00 00 01 00 2>&1 | grep -q 'Reservation Conflict'"
expect "path A clears LUN 1's reservation and keys" sg_persist -n --out --clear --param-rk=0xa1 "$SA1"
drain_ua "$SB1"

echo "--- LUN resets down path B while path A carries fio with verify"
fio --name=mp --filename="$A" --ioengine=libaio --direct=1 --rw=randwrite --bsrange=4k-64k \
	--size=16M --iodepth=32 --verify=crc32c --verify_fatal=1 --verify_state_save=0 --do_verify=1 \
	--output=/tmp/mp-fio.log &
fio_pid=$!
resets=0
sleep 1
while kill -0 $fio_pid 2>/dev/null; do
	# The initiator gives a LUN RESET 30 s (lu_reset_timeout) before it
	# fails it: one still waiting after 60 s is stuck.
	timeout 60 sg_reset -d "$SB" >/tmp/mp-reset.log 2>&1 ||
		fail "a LUN reset through path B failed or hung while path A was busy: $(cat /tmp/mp-reset.log)"
	resets=$((resets + 1))
	sleep 0.5
done
expect "fio through path A wrote and verified 16 MiB through $resets LUN resets from path B" wait $fio_pid
[ $resets -gt 0 ] || fail "fio ended before any LUN reset"
pass "$resets LUN resets through path B completed while path A was busy"
expect "both disks are still running" sh -c "
	test \$(cat /sys/block/${A#/dev/}/device/state) = running && test \$(cat /sys/block/${B#/dev/}/device/state) = running"
test_dmesg | grep -q 'LUN reset of LUN 0' || fail "the core logged no LUN reset"
pass "the core performed them (its LUN reset lines in the kernel log)"

expect "both sessions log out" iscsiadm -m node -T $IQN -p 127.0.0.1:3260 --logout
iscsi_connections_gone 3260
expect "teardown" sh -c "echo 0 >$T/enable && rm $T/acls/$INIT/lun_0/map && rmdir $T/acls/$INIT/lun_0 &&
	rm $T/acls/$INIT/lun_1/map && rmdir $T/acls/$INIT/lun_1 $T/acls/$INIT &&
	rm $T/lun/lun_0/ib0 $T/lun/lun_1/ib1 && rmdir $T/lun/lun_0 $T/lun/lun_1 &&
	rmdir $T/np/127.0.0.1:3260 $T $TARGET/iscsi/$IQN &&
	rmdir $IB $IB1 $TARGET/core/iblock_0 && echo 0 >$NB/power && echo 0 >$NB1/power && rmdir $NB $NB1"
expect "tcm-rs unloads" tcm_unload
modprobe -r null_blk
