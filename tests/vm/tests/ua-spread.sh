# Unit attentions of the logical unit reach every I_T nexus that sees it,
# through any target port: one ramdisk exported by two TPGs, initiator A
# through tpgt_1, B through tpgt_2. A LOGICAL UNIT RESET from A (sg_reset
# -d) gives B BUS DEVICE RESET FUNCTION OCCURRED, on LIO's tcm_loop and on
# tcm-rs alike (compared). On tcm-rs, whose MODE SELECT takes the caching
# page's WCE (LIO refuses any change: lio-differences.md), a change from A
# gives B MODE PARAMETERS CHANGED and A nothing; a MODE SELECT that changes
# nothing gives nobody anything.
. "$TCM_ROOT/tests/vm/lib.sh"

WWN=naa.5001405000000101
INIT_A=naa.5001405000000102
INIT_B=naa.5001405000000103

tur() { raw "$1 TEST UNIT READY" "$2" 00 00 00 00 00 00; }

# mode_select_wce SG FLIP: MODE SELECT(10) of SG's current caching page,
# with WCE flipped when FLIP is 1; prints sg_raw's status lines.
mode_select_wce() {
	sg_raw -r 64 -o /tmp/ua-spread.ms "$1" 5a 08 08 00 00 00 00 00 40 00 >/dev/null 2>&1 || return 1
	python3 - "$2" <<'EOF' || return 1
import sys
b = bytearray(open("/tmp/ua-spread.ms", "rb").read())
page = b[8:8 + 2 + b[9]]
page[0] &= 0x3f
if sys.argv[1] == "1":
    page[2] ^= 0x04
open("/tmp/ua-spread.msel", "wb").write(bytes(8) + page)
EOF
	local n
	n=$(stat -c %s /tmp/ua-spread.msel)
	sg_raw -s "$n" -i /tmp/ua-spread.msel "$1" 55 10 00 00 00 00 00 00 $(printf '%02x' "$n") 00 2>&1 | status_lines
}

# wce_taken SG FLIP: the MODE SELECT above is GOOD.
wce_taken() { mode_select_wce "$1" "$2" | grep -q 'Good'; }

exercise() {
	local core=$1 out=/tmp/ua-spread.$1 rd=$TARGET/core/rd_mcp_0/rd0
	local t1=$TARGET/loopback/$WWN/tpgt_1 t2=$TARGET/loopback/$WWN/tpgt_2
	expect "$core: a ramdisk exported by two TPGs, each with its nexus" sh -c "
		mkdir -p $rd && echo rd_pages=256 >$rd/control && echo 1 >$rd/enable &&
		mkdir -p $t1 $t2 && echo 1 >$t1/rtpi && echo 2 >$t2/rtpi &&
		echo $INIT_A >$t1/nexus && echo $INIT_B >$t2/nexus &&
		mkdir $t1/lun/lun_0 $t2/lun/lun_0 && ln -s $rd $t1/lun/lun_0/rd0 && ln -s $rd $t2/lun/lun_0/rd0"
	local da db a b
	da=$(loop_disk "$WWN" 1 0) && db=$(loop_disk "$WWN" 2 0) || fail "$core: no disks"
	a=$(sg_of "$da") b=$(sg_of "$db")
	expect "$core: nothing pending on A" drain_ua "$a"
	expect "$core: nor on B" drain_ua "$b"
	expect "$core: A resets the logical unit (sg_reset -d)" sg_reset -d "$a"
	{
		tur "B after A's LUN reset" "$b"
		tur "B again" "$b"
	} >"$out" 2>&1
	expect "$core: nothing left on A" drain_ua "$a"
	if [ "$core" = tcm ]; then
		expect "tcm: A's MODE SELECT flipping WCE is taken" wce_taken "$a" 1
		expect "tcm: B gets MODE PARAMETERS CHANGED" sh -c "
			sg_turs -v $b 2>&1 | grep -qi 'mode parameters changed'"
		expect "tcm: A, which made the change, gets nothing" sg_turs "$a"
		expect "tcm: B has nothing more" sg_turs "$b"
		expect "tcm: a MODE SELECT of the current values is taken" wce_taken "$a" 0
		expect "tcm: ... and tells nobody" sh -c "sg_turs $a && sg_turs $b"
		expect "tcm: WCE flipped back" wce_taken "$a" 1
		expect "tcm: B told again" sh -c "sg_turs -v $b 2>&1 | grep -qi 'mode parameters changed'"
	fi
	expect "$core: teardown" sh -c "
		rm $t1/lun/lun_0/rd0 $t2/lun/lun_0/rd0 && echo NULL >$t1/nexus && echo NULL >$t2/nexus &&
		rmdir $t1/lun/lun_0 $t2/lun/lun_0 $t1 $t2 $TARGET/loopback/$WWN &&
		rmdir $rd $TARGET/core/rd_mcp_0"
}

on_both_cores ua-spread

expect "tcm: B got BUS DEVICE RESET FUNCTION OCCURRED from A's reset" sh -c "
	sed -n '/^== B after A.s LUN reset/,/^== B again/p' /tmp/ua-spread.tcm | grep -qi 'bus device reset'"
