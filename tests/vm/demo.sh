# `make run`: what tcm-rs does today, shown in the test VM: a ramdisk
# exported through a loopback target, built with Debian's unmodified
# targetcli-fb, the disk it becomes (sg3_utils, a file system, fio), and
# the configfs semantics behind it. Grows into a demo target served over
# iSCSI as the fabrics land.
. "$TCM_ROOT/tests/vm/lib.sh"

step() { printf '\n\033[1m# %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; eval "$@"; }

echo "tcm-rs demo on kernel $(uname -r) ($TCM_VARIANT build)"
start_dbus

step "Load the tcm-rs target core: it registers LIO's configfs tree"
show modprobe tcm_rs_core
show modinfo -F description tcm_rs_core
show cat $TARGET/version

step "Debian's targetcli-fb, unmodified, builds a ramdisk and a loopback target on it"
show "printf '%s\n' '/backstores/ramdisk create name=demo size=8M' '/loopback create naa.5001405000000d01' \
	'/loopback/naa.5001405000000d01/luns create /backstores/ramdisk/demo' | targetcli"
show "targetcli ls"
show "lsmod | grep tcm_rs"

D=$(echo $TARGET/core/rd_mcp_*/demo)
step "The same tree in configfs: a LUN is a symlink to the device, the nexus a session"
show "ls -l $TARGET/loopback/naa.5001405000000d01/tpgt_1/lun/lun_0/"
show cat $TARGET/loopback/naa.5001405000000d01/tpgt_1/nexus
show "grep Status $D/info"
show cat $TARGET/loopback/naa.5001405000000d01/tpgt_1/lun/lun_0/alua_tg_pt_gp

step "The LUN is a SCSI disk of the initiator side: the tcm-rs engine answers it"
sleep 1
# targetcli-fb turns emulate_model_alias on: the model is the device's name.
DEV=$(lsscsi | awk '/LIO-ORG/ && / demo / {print $NF; exit}')
[ -b "$DEV" ] || fail "the LUN did not become a disk"
show "lsscsi | grep -i 'tcm\|LIO'"
show "sg_inq -p 0x83 $DEV | head -n 12"
show "sg_readcap -l $DEV | grep -i 'last lba\|block length'"
show "mkfs.ext4 -q -F $DEV && mkdir -p /tmp/demo-fs && mount $DEV /tmp/demo-fs"
show "head -c 2M /dev/urandom >/tmp/demo-fs/file && sha256sum /tmp/demo-fs/file >/tmp/demo.sum"
show "umount /tmp/demo-fs && mount $DEV /tmp/demo-fs && sha256sum -c /tmp/demo.sum && umount /tmp/demo-fs"
show "fio --name=demo --filename=$DEV --ioengine=libaio --direct=1 --rw=randread --bs=4k --iodepth=1 \
	--runtime=2 --time_based --output-format=terse | cut -d';' -f8 | sed 's/^/4k random read IOPS at QD1: /'"

step "What is in use cannot be removed; bad input is refused with a reason"
show "rmdir $D || true"
show "echo 1 >$D/attrib/block_size || true"
show "dmesg | grep block_size | tail -n 1"

step "KUnit suites that ran inside the module at load"
for s in bindings sense registry fabric_object lun configfs; do kunit_passed tcm_rs_core_$s; done

step "Save, clear and restore with targetcli-fb"
show "targetcli saveconfig /tmp/demo.json >/dev/null && targetcli clearconfig confirm=True"
show "targetcli restoreconfig /tmp/demo.json && targetcli ls /loopback"

step "Tear down and unload"
show "targetcli clearconfig confirm=True"
show tcm_unload
pass "demo complete"
