# The generic fabric tree with the loopback fabric: WWNs, TPGs, the nexus,
# LUNs linked to devices, ACLs with mapped LUNs, every bad input we know,
# and teardown in two orders. The same steps run against LIO (tcm_loop)
# and tcm-rs (tcm_rs_loop, loaded on demand); the trees, values and error
# codes are compared.
. "$TCM_ROOT/tests/vm/lib.sh"

# The loopback tree with each readable attribute's value. The values of
# the WWN's read-only param/ attributes describe each loopback module's
# command path (LIO's tcm_loop queues commands, tcm_rs_loop does not;
# lio-differences.md): they are checked apart. The SCSI host number in `address`
# depends on what was loaded before: it is left out. So are the values of
# the LUN's port counters, which count the commands Linux sends when it
# scans the LUN (more or fewer, as each core answers), and creation times;
# tests/vm/tests/lun-stats.sh checks that the counters move as LIO's.
snapshot() {
	(cd $TARGET && tree_lines loopback) | sed -E \
		-e '/^loopback\/version = /d' \
		-e "s#^(\\S*/param/(default|direct)_\\S*) = .*#\\1 = <the fabric's>#" \
		-e 's#^(\S*/(scsi_tgt_port/(in_cmds|read_mbytes|write_mbytes)|creation_time)) = [0-9]+$#\1 = <n>#' \
		-e 's#^(\S*/address) = [0-9]+:#\1 = <host>:#'
}

exercise() {
	local F=$TARGET/loopback dev=$TARGET/core/rd_mcp_1/rd0 off=$TARGET/core/rd_mcp_1/off
	local W=$F/naa.5001405000000001 T A
	T=$W/tpgt_1
	A=$T/acls/naa.5001405000000003
	mkdir -p $dev $off
	echo rd_pages=64 >$dev/control && echo 1 >$dev/enable

	expect_errno EINVAL "mkdir of an unknown fabric" mkdir $TARGET/nosuchfabric
	expect "mkdir loopback" mkdir $F
	expect "loopback has discovery_auth/" test -d $F/discovery_auth
	expect_errno EINVAL "a loopback WWN needs a naa., fc. or iqn. prefix" mkdir $F/bogus.123
	expect "mkdir a WWN" mkdir $W
	expect "an fc. WWN and an iqn. WWN" mkdir $F/fc.21000024ff000001 $F/iqn.2003-01.org.example:t1
	expect "remove them" rmdir $F/fc.21000024ff000001 $F/iqn.2003-01.org.example:t1
	expect "cmd_completion_affinity takes -2, 0 and -1" bash -c \
		"for v in -2 0 -1; do echo \$v >$W/param/cmd_completion_affinity || exit 1; done"
	expect_errno EINVAL "cmd_completion_affinity refuses an offline CPU" bash -c "echo 4096 >$W/param/cmd_completion_affinity"
	expect_errno EINVAL "cmd_completion_affinity refuses garbage" bash -c "echo x >$W/param/cmd_completion_affinity"
	echo "$1: submit and completion types: $(cd $W/param && grep . default_* direct_* | tr '\n' ' ')"
	expect_errno EACCES "default_submit_type is read-only" bash -c "echo 1 >$W/param/default_submit_type"
	if [ "$1" = tcm ]; then
		expect "tcm: commands are submitted and completed directly" bash -c "
			cd $W/param && test \$(cat default_submit_type direct_submit_supported default_complete_type direct_complete_supported | tr -d '\n') = 1111"
		expect "tcm: with submit_type=2 commands complete queued by default" bash -c "
			echo 2 >/sys/module/tcm_rs_loop/parameters/submit_type &&
			test \$(cat $W/param/default_complete_type) = 2 && echo 0 >/sys/module/tcm_rs_loop/parameters/submit_type &&
			test \$(cat $W/param/default_complete_type) = 1"
	fi
	expect_errno EINVAL "tpgt_ with no number" mkdir $W/tpgt_
	expect_errno EINVAL "a negative tpgt" mkdir $W/tpgt_-1
	expect_errno EINVAL "a huge tpgt" mkdir $W/tpgt_99999999999
	expect_errno EINVAL "tpgt beyond loopback's 32" mkdir $W/tpgt_32
	expect_errno EINVAL "a TPG must be tpgt_N" mkdir $W/tpg1
	expect "mkdir tpgt_1" mkdir $T
	expect "a TPG has lun/ acls/ np/ attrib/ auth/ param/" bash -c "cd $T && test -d lun -a -d acls -a -d np -a -d attrib -a -d auth -a -d param"
	expect_errno ENODEV "no nexus yet" cat $T/nexus
	expect_errno EINVAL "a nexus of another protocol" bash -c "echo iqn.2003-01.org.example:i1 >$T/nexus"
	expect_errno EINVAL "a nexus with no prefix" bash -c "echo 12345 >$T/nexus"
	expect "make the nexus" bash -c "echo naa.5001405000000002 >$T/nexus"
	expect "the nexus reads back" test "$(cat $T/nexus)" = naa.5001405000000002
	expect_errno EEXIST "a second nexus" bash -c "echo naa.5001405000000009 >$T/nexus"
	expect_errno EINVAL "transport_status takes online or offline" bash -c "echo sideways >$T/transport_status"
	expect "transport_status offline and online" bash -c "echo offline >$T/transport_status && test \$(cat $T/transport_status) = offline && echo online >$T/transport_status"
	expect_errno EINVAL "fabric_prot_type takes 0, 1 or 3" bash -c "echo 2 >$T/attrib/fabric_prot_type"
	expect "fabric_prot_type 3" bash -c "echo 3 >$T/attrib/fabric_prot_type && echo 0 >$T/attrib/fabric_prot_type"
	expect_errno EINVAL "rtpi 0" bash -c "echo 0 >$T/rtpi"
	expect_errno ENOSYS "loopback has no network portals" mkdir $T/np/127.0.0.1:3260

	expect_errno EINVAL "lun_ with no number" mkdir $T/lun/lun_
	expect_errno EINVAL "lun_ with garbage" mkdir $T/lun/lun_x
	expect_errno ERANGE "a LUN number beyond 64 bits" mkdir $T/lun/lun_99999999999999999999999
	expect_errno EINVAL "a LUN must be lun_N" mkdir $T/lun/l0
	expect "mkdir lun_0 and lun_1" mkdir $T/lun/lun_0 $T/lun/lun_1
	expect_errno EFAULT "a LUN links to devices only" ln -s $TARGET/core/rd_mcp_1 $T/lun/lun_1/x
	expect_errno ENODEV "a LUN links to enabled devices only" ln -s $off $T/lun/lun_1/x
	expect "link lun_0 to the device" ln -s $dev $T/lun/lun_0/disk
	expect_errno EEXIST "one device per LUN" ln -s $dev $T/lun/lun_0/again
	expect "the device is exported" grep -q 'Status: ACTIVATED' $dev/info
	expect_errno EBUSY "a device a LUN links to cannot be removed" rmdir $dev

	local L=$T/lun/lun_0 G=$dev/alua
	expect_errno ENODEV "an unlinked LUN is in no ALUA group" cat $T/lun/lun_1/alua_tg_pt_gp
	expect_errno ENODEV "nor has a secondary state" cat $T/lun/lun_1/alua_tg_pt_offline
	expect "a linked LUN is in default_tg_pt_gp" grep -q "TG Port Alias: default_tg_pt_gp" $L/alua_tg_pt_gp
	expect "default_tg_pt_gp lists it" grep -qx "loopback/naa.5001405000000001/tpgt_1/lun_0" $G/default_tg_pt_gp/members
	expect "a second target port group, ID 7" bash -c "mkdir $G/grp1 && echo 7 >$G/grp1/tg_pt_gp_id"
	expect_errno ENODEV "a LUN joins only a group of its device" bash -c "echo nosuch >$L/alua_tg_pt_gp"
	expect "move the LUN to grp1" bash -c "echo grp1 >$L/alua_tg_pt_gp"
	expect "grp1 lists the LUN, default_tg_pt_gp no longer" bash -c "grep -q lun_0 $G/grp1/members && test -z \"\$(cat $G/default_tg_pt_gp/members)\""
	expect "the LUN shows grp1" grep -q "TG Port Group ID: 7" $L/alua_tg_pt_gp
	expect "NULL moves it back" bash -c "echo NULL >$L/alua_tg_pt_gp && grep -q 'TG Port Alias: default_tg_pt_gp' $L/alua_tg_pt_gp"
	expect "removing a group puts its LUNs back in default_tg_pt_gp" bash -c \
		"echo grp1 >$L/alua_tg_pt_gp && rmdir $G/grp1 && grep -q 'TG Port Alias: default_tg_pt_gp' $L/alua_tg_pt_gp && grep -q lun_0 $G/default_tg_pt_gp/members"
	expect "the port goes offline and back" bash -c \
		"echo 1 >$L/alua_tg_pt_offline && grep -q 'Secondary Access State: Offline' $L/alua_tg_pt_gp && echo 0 >$L/alua_tg_pt_offline"
	expect "an offline change is implicit" test "$(cat $L/alua_tg_pt_status)" = 2
	expect_errno EINVAL "alua_tg_pt_offline takes 0 or 1" bash -c "echo 2 >$L/alua_tg_pt_offline"
	expect_errno EINVAL "alua_tg_pt_status takes 0, 1 or 2" bash -c "echo 3 >$L/alua_tg_pt_status"
	expect_errno EINVAL "alua_tg_pt_status takes numbers" bash -c "echo x >$L/alua_tg_pt_status"
	expect "alua_tg_pt_status 1" bash -c "echo 1 >$L/alua_tg_pt_status && test \$(cat $L/alua_tg_pt_status) = 1"
	expect_errno EINVAL "alua_tg_pt_write_md takes 0 or 1" bash -c "echo 5 >$L/alua_tg_pt_write_md"
	expect "alua_tg_pt_write_md 1" bash -c "echo 1 >$L/alua_tg_pt_write_md && test \$(cat $L/alua_tg_pt_write_md) = 1"

	expect "mkdir an ACL" mkdir $A
	expect "an ACL has attrib/ auth/ param/ fabric_statistics/" bash -c "cd $A && test -d attrib -a -d auth -a -d param -a -d fabric_statistics"
	expect_errno EINVAL "a mapped LUN must be lun_N" mkdir $A/map0
	expect "mkdir mapped lun_5" mkdir $A/lun_5
	expect "write_protect is empty before the link" test -z "$(cat $A/lun_5/write_protect)"
	expect_errno EFAULT "a mapped LUN links to LUNs only" ln -s $dev $A/lun_5/x
	expect_errno EINVAL "a mapped LUN links to a LUN with a device" ln -s $T/lun/lun_1 $A/lun_5/x
	expect "map lun_0 as lun_5" ln -s $T/lun/lun_0 $A/lun_5/map
	expect "write_protect defaults to 0" test "$(cat $A/lun_5/write_protect)" = 0
	expect "write_protect 1" bash -c "echo 1 >$A/lun_5/write_protect && test \$(cat $A/lun_5/write_protect) = 1"
	expect_errno EINVAL "write_protect 2" bash -c "echo 2 >$A/lun_5/write_protect"
	expect_errno EBUSY "a LUN an ACL maps cannot be removed" rmdir $T/lun/lun_0
	expect_errno ENOTEMPTY "a TPG with LUNs cannot be removed" rmdir $T

	snapshot >/tmp/fabric.$1
	cat /tmp/fabric.$1

	if [ "$2" = forward ]; then
		expect "unmap, rmdir mapped LUN and ACL" bash -c "rm $A/lun_5/map && rmdir $A/lun_5 $A"
		expect "unlink and rmdir the LUNs" bash -c "rm $T/lun/lun_0/disk && rmdir $T/lun/lun_0 $T/lun/lun_1"
		expect "end the nexus" bash -c "echo NULL >$T/nexus"
		expect_errno ENODEV "no nexus to end" bash -c "echo NULL >$T/nexus"
	else
		# Inner objects first where configfs insists, the nexus left to
		# the TPG's removal.
		expect "unlink the LUN under the mapping" rm $T/lun/lun_0/disk
		expect "the device is no longer exported" grep -q 'Status: DEACTIVATED' $dev/info
		expect "unmap" rm $A/lun_5/map
		expect "rmdir LUNs, then the mapped LUN and the ACL" rmdir $T/lun/lun_0 $T/lun/lun_1 $A/lun_5 $A
	fi
	expect "rmdir the TPG and the WWN" rmdir $T $W
	expect "rmdir the devices and the HBA" rmdir $dev $off $TARGET/core/rd_mcp_1
}

echo "--- LIO (target_core_mod, tcm_loop)"
compare=false
if lio_loopback_teardown_safe; then
	expect "LIO loads" modprobe target_core_mod
	exercise lio forward
	expect "LIO unloads" lio_unload
	compare=true
fi

for order in forward reverse; do
	echo "--- tcm-rs (tcm_rs_core, tcm_rs_loop), $order teardown"
	expect "tcm_rs_core loads" modprobe tcm_rs_core
	exercise tcm $order
	expect "the loopback fabric was loaded on demand" test -e /sys/module/tcm_rs_loop
	expect "the fabric cannot unload while loopback/ exists" bash -c "! modprobe -r tcm_rs_loop 2>/dev/null"
	expect "rmdir loopback" rmdir $TARGET/loopback
	expect "the fabric, backstore and core unload" modprobe -r tcm_rs_loop tcm_rs_rd tcm_rs_core
done

if $compare; then
	if ! diff -u /tmp/fabric.lio /tmp/fabric.tcm; then
		fail "tcm-rs differs from LIO (above)"
	fi
	pass "the loopback tree, values and error codes are LIO's"
fi
