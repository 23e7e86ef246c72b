# Debian's targetcli-fb and rtslib-fb, unmodified, against tcm-rs: ramdisk
# backstores, a loopback target with LUNs; saveconfig, clearconfig and
# restoreconfig give back the same tree. The same commands run against LIO,
# and the two saved configurations must match (less what is random per
# creation: serial numbers, the loopback nexus and LUN link names).
# vm-kernels: release
. "$TCM_ROOT/tests/vm/lib.sh"

start_dbus
work=$(mktemp -d /tmp/targetcli-fb-tcm.XXXXXX)
LOOP=naa.5001405000000001

# A saved configuration without what is random per creation.
normalise() {
	jq -S 'del(.storage_objects[].wwn)
		| (.targets[]? |= (.tpgs[]? |= (del(.nexus) | (.luns[]? |= del(.alias)))))' "$1"
}

# targetcli-fb takes commands on standard input, one process for many
# (each start costs seconds under TCG).
tcli() {
	printf '%s\n' "$@" | targetcli >/dev/null
}

build_and_round_trip() {
	local core=$1
	expect "$core: targetcli-fb creates ramdisks, a loopback target, two LUNs and saves" tcli \
		"/backstores/ramdisk create name=rd0 size=1M" \
		"/backstores/ramdisk create name=rd1 size=2M nullio=true" \
		"/loopback create $LOOP" \
		"/loopback/$LOOP/luns create /backstores/ramdisk/rd0" \
		"/loopback/$LOOP/luns create /backstores/ramdisk/rd1" \
		"/iscsi set discovery_auth enable=1 userid=disc-user password=disc-secret" \
		"saveconfig $work/$core-1.json"
	expect "$core: the file has both LUNs" test "$(jq '.targets[0].tpgs[0].luns | length' "$work/$core-1.json")" = 2
	expect "$core: and the discovery credentials" test "$(jq -r '.fabric_modules[0].discovery_userid' "$work/$core-1.json")" = disc-user
	expect "$core: the loopback TPG has a nexus" test -n "$(cat $TARGET/loopback/$LOOP/tpgt_1/nexus)"
	expect "$core: clearconfig" tcli "clearconfig confirm=True"
	expect "$core: the tree is empty" test -z "$(find $TARGET/loopback $TARGET/core -mindepth 1 -maxdepth 1 -type d ! -name discovery_auth ! -name alua 2>/dev/null)"
	expect "$core: restoreconfig and save again" tcli "restoreconfig $work/$core-1.json" "saveconfig $work/$core-2.json"
	if ! diff -u <(normalise "$work/$core-1.json") <(normalise "$work/$core-2.json"); then
		fail "$core: the restored tree saves differently (above)"
	fi
	pass "$core: the round trip gives back the same configuration"
	expect "$core: clearconfig" tcli "clearconfig confirm=True"
}

echo "--- LIO"
expect "LIO loads" modprobe target_core_mod
build_and_round_trip lio
expect "LIO unloads" lio_unload

echo "--- tcm-rs"
expect "tcm_rs_core loads" modprobe tcm_rs_core
build_and_round_trip tcm
expect_errno EOPNOTSUPP "tcm-rs: an iSCSI target is refused, not half made" mkdir $TARGET/iscsi/iqn.2003-01.org.example:t1
expect "tcm-rs: nothing of it is left" test ! -e $TARGET/iscsi/iqn.2003-01.org.example:t1
expect "tcm-rs unloads" tcm_unload

if ! diff -u <(normalise "$work/lio-1.json") <(normalise "$work/tcm-1.json"); then
	fail "tcm-rs's configuration saves differently from LIO's (above)"
fi
pass "targetcli-fb saves the same configuration from both cores"
