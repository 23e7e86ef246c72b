# Debian's targetcli-fb and rtslib-fb, unmodified, against tcm-rs: ramdisk
# backstores, a loopback target with LUNs, an iSCSI target with a LUN, an
# ACL with CHAP credentials, TPG attributes and parameters and two network
# portals; saveconfig, clearconfig and restoreconfig give back the same
# tree. The same commands run against LIO, and the two saved configurations
# must match (less what is random per creation: serial numbers, the
# loopback nexus and LUN link names).
# vm-kernels: release
. "$TCM_ROOT/tests/vm/lib.sh"

start_dbus
work=$(mktemp -d /tmp/targetcli-fb-tcm.XXXXXX)
LOOP=naa.5001405000000001
IQN=iqn.2003-01.org.linux-iscsi.tcmrs:sn.fb0000000001
INIT=iqn.1994-05.com.redhat:client1

# A saved configuration without what is random per creation.
normalise() {
	jq -S 'del(.storage_objects[].wwn)
		| (.targets[]? |= (.tpgs[]? |= (del(.nexus) | (.luns[]? |= del(.alias))
			| (.node_acls[]? |= (.mapped_luns[]? |= del(.alias))))))' "$1"
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
		"/iscsi create $IQN" \
		"/iscsi/$IQN/tpg1/luns create /backstores/ramdisk/rd1" \
		"/iscsi/$IQN/tpg1/portals create 127.0.0.1 3261" \
		"/iscsi/$IQN/tpg1/acls create $INIT" \
		"/iscsi/$IQN/tpg1/acls/$INIT set auth userid=joe password=secret123" \
		"/iscsi/$IQN/tpg1 set attribute default_cmdsn_depth=32" \
		"/iscsi/$IQN/tpg1 set parameter MaxRecvDataSegmentLength=65536" \
		"saveconfig $work/$core-1.json"
	expect "$core: the file has both LUNs" test "$(jq '.targets[] | select(.fabric == "loopback") | .tpgs[0].luns | length' "$work/$core-1.json")" = 2
	expect "$core: and the discovery credentials" test "$(jq -r '.fabric_modules[0].discovery_userid' "$work/$core-1.json")" = disc-user
	expect "$core: and the iSCSI target with its portals, LUN and ACL" test "$(jq -r '.targets[] | select(.fabric == "iscsi") | .tpgs[0] | [(.portals | length), (.luns | length), .node_acls[0].chap_userid] | join(" ")' "$work/$core-1.json")" = "2 1 joe"
	expect "$core: the default portal listens" sh -c "ss -Htln 'sport = :3260' | grep -q 0.0.0.0"
	expect "$core: the loopback TPG has a nexus" test -n "$(cat $TARGET/loopback/$LOOP/tpgt_1/nexus)"
	expect "$core: clearconfig" tcli "clearconfig confirm=True"
	expect "$core: the tree is empty" test -z "$(find $TARGET/loopback $TARGET/iscsi $TARGET/core -mindepth 1 -maxdepth 1 -type d ! -name discovery_auth ! -name alua 2>/dev/null)"
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
expect "tcm-rs unloads" tcm_unload

if ! diff -u <(normalise "$work/lio-1.json") <(normalise "$work/tcm-1.json"); then
	fail "tcm-rs's configuration saves differently from LIO's (above)"
fi
pass "targetcli-fb saves the same configuration from both cores"
