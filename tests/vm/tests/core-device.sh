# A ramdisk device's SCSI directories (attrib/, pr/, alua/, statistics/,
# action/, alua_lu_gp, lba_map, wwn/vpd_*): the same steps against LIO's
# target_core_mod and against tcm_rs_core; every name, every value before
# and after enable, after valid writes, and the errno of each bad write
# compared.
. "$TCM_ROOT/tests/vm/lib.sh"

HBA=$TARGET/core/rd_mcp_7
DEV=$HBA/rd0

# Every file under the device with its value; write-only files marked.
# creation_time depends on when the device was enabled: shown as a number.
dump() {
	(cd $DEV && find . -type f | sort | while read -r f; do
		case $f in
		./control) echo "$f (write-only)" ;;
		# Needs the PR engine; listed in lio-differences.md.
		./pr/res_aptpl_metadata) ;;
		*/creation_time) echo "$f=$(sed 's/^[0-9][0-9]*$/<number>/' "$f")" ;;
		*) val "$f"; echo "$f=$VAL" ;;
		esac
	done)
	(cd $DEV && find . -type d | sort | tr '\n' ' ')
	echo
}

# val FILE: sets VAL to the file's contents, newlines shown as |, without
# a fork.
val() {
	local v=
	IFS= read -rd '' v <"$1" 2>/dev/null || true
	VAL=${v//$'\n'/|}
}

# w FILE VALUE: writes VALUE (printf %b escapes) and prints the outcome,
# "ok" or the error, then the file's value. Builtins only: a VM under TCG
# forks slowly.
w() {
	local f=$1 v=$2 err=
	if printf '%b' "$v" 2>/tmp/device.err >"$f"; then
		err=ok
	else
		IFS= read -r err </tmp/device.err || true
		err=${err##*: }
	fi
	val "$f"
	echo "${f#$DEV/} <- $v: $err -> $VAL"
}

# battery FILE VALUE...: writes each value in turn; a read-only file is
# tried once.
battery() {
	local f=$1 v; shift
	case $(stat -c %A "$f") in
	-rw*|--w*) ;;
	*) w "$f" 1; return ;;
	esac
	for v in "$@"; do w "$f" "$v"; done
}

# w1 FILE VALUE: as w, in one write(2) however long VALUE is (the shell's
# printf may write a line at a time).
w1() {
	local f=$1 v=$2 err=ok
	printf '%b' "$v" >/tmp/device.value
	if ! err=$(dd if=/tmp/device.value of="$f" bs=64k status=none 2>&1); then
		err=${err##*: }
	else
		err=ok
	fi
	val "$f"
	echo "${f#$DEV/} <- $v: $err -> $VAL"
}

# Bad and good values that every attribute is given, in this order.
BATTERY=(x '\n' -1 4294967296 99999999999999999999 '\xff' on 2 0 1 512 4096)

attrib_battery() {
	local a
	for a in $(ls $DEV/attrib); do
		case $a in
		# LIO's rd_mcp does DIF protection and ours does not yet:
		# only the values both refuse or accept are compared.
		pi_prot_type) battery $DEV/attrib/$a x '\n' -1 2 4 4294967296 0 ;;
		*) battery $DEV/attrib/$a "${BATTERY[@]}" ;;
		esac
	done
}

alua_battery() {
	local g=$1 a
	for a in $(ls $g); do
		battery $g/$a x '\n' 4294967296 99999999999999999999 65536 30001 10001 255 3 2 1 0 \
			15 14 4
	done
}

exercise() {
	expect "mkdir HBA and device" mkdir -p $DEV
	{
		echo "=== a new device"
		dump
		echo "=== writes to a disabled device"
		attrib_battery
		alua_battery $DEV/alua/default_tg_pt_gp
		w $DEV/alua_lu_gp default_lu_gp
		w1 $DEV/lba_map ''
		echo "=== after writes, disabled"
		dump
	} >/tmp/device.$1
	expect "enable" bash -c "echo rd_pages=128 >$DEV/control && echo 1 >$DEV/enable"
	{
		echo "=== enabled"
		dump
		echo "=== writes to an enabled device"
		attrib_battery
		w $DEV/attrib/queue_depth 129
		w $DEV/attrib/queue_depth 128
		w $DEV/attrib/queue_depth 64
		w $DEV/attrib/queue_depth 100
		w $DEV/attrib/optimal_sectors 4294967288
		w $DEV/attrib/optimal_sectors 4294967289
		w $DEV/attrib/max_unmap_block_desc_count 0
		w $DEV/attrib/emulate_tpu 1
		w $DEV/attrib/emulate_model_alias 1
		echo "product_id with model alias: $(cat $DEV/wwn/product_id)"
		echo "scsi_lu/prod with model alias: $(cat $DEV/statistics/scsi_lu/prod)"
		w $DEV/attrib/emulate_model_alias 0
		w $DEV/attrib/emulate_pr 0
		for f in $DEV/pr/*; do
			case $f in */res_aptpl_metadata) continue ;; esac
			echo "${f#$DEV/} without PR: $(tr '\n' '|' <$f)"
		done
		w $DEV/attrib/emulate_pr 1
		alua_battery $DEV/alua/default_tg_pt_gp
		echo "--- target port groups"
		mkdir $DEV/alua/tg1 $DEV/alua/tg2 $DEV/alua/tg3
		echo "a new group: $(cd $DEV/alua/tg1 && for f in *; do printf '%s=%s ' $f "$(tr '\n' '|' <$f)"; done)"
		w $DEV/alua/tg1/alua_access_state 1
		w $DEV/alua/tg1/alua_support_standby 0
		w $DEV/alua/tg1/alua_access_status 1
		w $DEV/alua/tg1/tg_pt_gp_id 0
		w $DEV/alua/tg1/tg_pt_gp_id 5
		w $DEV/alua/tg2/tg_pt_gp_id 1
		w $DEV/alua/tg2/tg_pt_gp_id 2
		w $DEV/alua/tg3/tg_pt_gp_id 0x10000
		w $DEV/alua/tg3/tg_pt_gp_id 0
		alua_battery $DEV/alua/tg1
		rmdir $DEV/alua/tg1 $DEV/alua/tg2 $DEV/alua/tg3
		echo "--- LU groups"
		mkdir $TARGET/core/alua/lu_gps/lug1 $TARGET/core/alua/lu_gps/lug2
		w $TARGET/core/alua/lu_gps/lug1/lu_gp_id 7
		w $DEV/alua_lu_gp nosuch
		w $DEV/alua_lu_gp lug2
		w $DEV/alua_lu_gp lug1
		echo "lug1 members: $(tr '\n' '|' <$TARGET/core/alua/lu_gps/lug1/members)"
		echo "default members: $(tr '\n' '|' <$TARGET/core/alua/lu_gps/default_lu_gp/members)"
		w $DEV/alua_lu_gp '  default_lu_gp  \n'
		w $DEV/alua_lu_gp lug1
		rmdir $TARGET/core/alua/lu_gps/lug1
		echo "after rmdir lug1: $(tr '\n' '|' <$DEV/alua_lu_gp)"
		echo "default members: $(tr '\n' '|' <$TARGET/core/alua/lu_gps/default_lu_gp/members)"
		w $DEV/alua_lu_gp NULL
		echo "default members: $(tr '\n' '|' <$TARGET/core/alua/lu_gps/default_lu_gp/members)"
		w $DEV/alua_lu_gp default_lu_gp
		rmdir $TARGET/core/alua/lu_gps/lug2
		echo "--- LBA map"
		mkdir $DEV/alua/tg4
		w $DEV/alua/tg4/tg_pt_gp_id 9
		w1 $DEV/lba_map '256 2\n0 255 1:O 2:S\n\n256 511 1:A 2:U\n'
		w1 $DEV/lba_map '1 1\n0 10 1:X\n'
		w1 $DEV/lba_map '1 1\n0 10 1:O\n11 20 1:O 2:S\n'
		w1 $DEV/lba_map '1 1\n0 10\n'
		w1 $DEV/lba_map 'x\n'
		w1 $DEV/lba_map '1 1\n-1 10 1:O\n'
		w1 $DEV/lba_map '  7   8 junk\n 1 2 -3:U 4:O\n'
		w1 $DEV/lba_map '1 1\n0 10 \n'
		w1 $DEV/lba_map '\n'
		w1 $DEV/lba_map '4294967297 1\n0 18446744073709551615 2147483648:O\n'
		w1 $DEV/lba_map '\xff\n'
		w1 $DEV/lba_map '256 2\n0 255 1:O 2:S\n\n256 511 1:A 2:U\n'
		val $DEV/alua/tg4/alua_support_lba_dependent
		echo "a group after an LBA map: $VAL"
		rmdir $DEV/alua/tg4
		echo "--- statistics"
		mkdir $DEV/statistics/more 2>&1 | sed 's/.*: //'
		echo "=== after writes, enabled"
		dump
	} >>/tmp/device.$1
	echo "$(grep -c . /tmp/device.$1) lines of output, $(grep -c ": ok -> " /tmp/device.$1) writes accepted"
	expect "rmdir the device and the HBA" rmdir $DEV $HBA
}

if lio_reference; then
	lio_half "target_core_mod" target_core_mod
fi

echo "--- tcm-rs (tcm_rs_core)"
expect "tcm_rs_core loads" modprobe tcm_rs_core
exercise tcm
# What LIO's rd_mcp has and ours has not: DIF protection.
mkdir -p $DEV
expect "enable" bash -c "echo rd_pages=8 >$DEV/control && echo 1 >$DEV/enable"
expect_errno ENOSYS "pi_prot_type 1 needs DIF, which the ramdisk lacks" bash -c "echo 1 >$DEV/attrib/pi_prot_type"
expect "a refused write changed nothing" test "$(cat $DEV/attrib/pi_prot_type)" = 0
expect "rmdir" rmdir $DEV $HBA
expect "the backstore unloads" modprobe -r tcm_rs_rd
expect "tcm_rs_core unloads" modprobe -r tcm_rs_core

if lio_reference; then
	if ! diff -u /tmp/device.lio /tmp/device.tcm; then
		fail "tcm-rs differs from LIO (above)"
	fi
	pass "device directories, values and errors are LIO's"
fi
