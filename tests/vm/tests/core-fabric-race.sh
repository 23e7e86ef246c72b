# The fabric tree under concurrent management: shells that make and remove
# LUNs, links, ACLs, mapped LUNs and the nexus at the same time, and one
# that reads everything, must leave a consistent tree that tears down
# cleanly (and the harness fails the run on any lockdep, kmemleak or other
# kernel report).
. "$TCM_ROOT/tests/vm/lib.sh"

ROUNDS=${ROUNDS:-60}
T=$TARGET/loopback/naa.5001405000000001/tpgt_1
dev=$TARGET/core/rd_mcp_1/rd0
dev2=$TARGET/core/rd_mcp_1/rd1

expect "tcm_rs_core loads" modprobe tcm_rs_core
mkdir -p $dev && echo rd_pages=64 >$dev/control && echo 1 >$dev/enable
expect "a loopback TPG" mkdir -p $T
expect "an ACL" mkdir $T/acls/naa.5001405000000003

# Errors are expected here (EEXIST, ENOENT, EBUSY): the shells race on
# purpose. Only the kernel's health and the final state are checked.
luns() {
	for i in $(seq $ROUNDS); do
		n=$((i % 4))
		mkdir $T/lun/lun_$n 2>/dev/null
		if [ $((i % 2)) = 0 ]; then d=$dev; else d=$dev2; fi
		ln -s $d $T/lun/lun_$n/d 2>/dev/null
		rm -f $T/lun/lun_$n/d 2>/dev/null
		rmdir $T/lun/lun_$n 2>/dev/null
	done
}
maps() {
	for i in $(seq $ROUNDS); do
		n=$((i % 4))
		mkdir $T/acls/naa.5001405000000003/lun_$n 2>/dev/null
		ln -s $T/lun/lun_$n $T/acls/naa.5001405000000003/lun_$n/m 2>/dev/null
		echo 1 >$T/acls/naa.5001405000000003/lun_$n/write_protect 2>/dev/null
		rm -f $T/acls/naa.5001405000000003/lun_$n/m 2>/dev/null
		rmdir $T/acls/naa.5001405000000003/lun_$n 2>/dev/null
	done
}
# Removes and remakes the second device while LUNs link to it.
devices() {
	for _ in $(seq $ROUNDS); do
		rmdir $dev2 2>/dev/null
		mkdir $dev2 2>/dev/null && echo rd_pages=16 >$dev2/control && echo 1 >$dev2/enable
	done 2>/dev/null
}
nexus() {
	for _ in $(seq $ROUNDS); do
		echo naa.5001405000000002 >$T/nexus 2>/dev/null
		echo NULL >$T/nexus 2>/dev/null
	done
}
readers() {
	for _ in $(seq $ROUNDS); do
		find $TARGET/loopback -type f -perm -u+r -exec cat {} + >/dev/null 2>&1
		cat $dev/info >/dev/null
	done
}

luns & maps & luns & maps & nexus & readers & devices &
wait
pass "$ROUNDS rounds of racing shells finished"

expect "the device no racer removes is there" test -d $dev
# Whatever the race left: take it down in dependency order.
for m in $T/acls/naa.5001405000000003/lun_*; do
	[ -d "$m" ] || continue
	rm -f "$m"/m
	rmdir "$m"
done
for l in $T/lun/lun_*; do
	[ -d "$l" ] || continue
	rm -f "$l"/d
	rmdir "$l"
done
expect "no export is left on the device" grep -q 'Status: DEACTIVATED' $dev/info
rmdir $dev2 2>/dev/null || true
echo NULL >$T/nexus 2>/dev/null || true
expect "teardown" rmdir $T/acls/naa.5001405000000003 $T $TARGET/loopback/naa.5001405000000001 $TARGET/loopback $dev $TARGET/core/rd_mcp_1
expect "the modules unload" modprobe -r tcm_rs_loop tcm_rs_rd tcm_rs_core
