# The targetcli_rs Python module against in-tree LIO, checked with Debian's
# targetcli-fb: a configuration built from Python saves to the same JSON as
# targetcli-fb saves for it; errors are the module's typed exceptions with
# the library's messages; a file saved by targetcli-fb restores through
# Python to the same tree; clear empties it.
# vm-kernels: release
. "$TCM_ROOT/tests/vm/lib.sh"

start_dbus
cleanup() {
	targetcli-rs clearconfig confirm=true >/dev/null 2>&1 || true
	lio_unload >/dev/null 2>&1 || true
}
trap cleanup EXIT
work=$(mktemp -d /tmp/targetcli-rs-python.XXXXXX)

# The extension module the host built (`make host-test`, or
# `cargo build -p targetcli-rs-python`); the guest cannot build it. It
# must be newer than every source file it is built from.
so=$(ls -t "${TCM_BIN%/release}"/{debug,release}/libtargetcli_rs.so 2>/dev/null | head -n 1)
[ -n "$so" ] || fail "no libtargetcli_rs.so under ${TCM_BIN%/release}: run \`make host-test\` (or cargo build -p targetcli-rs-python) on the host first"
newer=$(find "$TCM_ROOT/targetcli-rs/src" "$TCM_ROOT/targetcli-rs/python/src" -name '*.rs' -newer "$so" | head -n 3)
[ -z "$newer" ] || fail "$so is older than $newer: rebuild it with \`make host-test\` first"
mkdir "$work/py"
cp "$so" "$work/py/targetcli_rs.abi3.so"
export PYTHONPATH=$work/py PYTHONDONTWRITEBYTECODE=1
pass "the module is $so"

IQN=iqn.2003-01.org.linux-iscsi.tcmrs:sn.python000001
INIT=iqn.1994-05.com.example:pyclient
LOOP=naa.5001405000000099
export IQN INIT LOOP work

expect "Python builds a configuration on LIO" python3 - <<'PY'
import os, targetcli_rs as t
IQN, INIT, LOOP, work = (os.environ[k] for k in ("IQN", "INIT", "LOOP", "work"))
root = t.Root()
assert str(root.path) == "/sys/kernel/config/target", root.path
rd = root.create_storage_object("ramdisk", "rd0", size=16 << 20, wwn="pyserial0001")
assert (rd.plugin, rd.name, rd.size, rd.wwn) == ("ramdisk", "rd0", 16 << 20, "pyserial0001"), rd
f0 = root.create_storage_object("fileio", "f0", dev=f"{work}/f0.img", size=8 << 20)
assert os.path.getsize(f"{work}/f0.img") == 8 << 20
assert f0.udev_path == f"{work}/f0.img", f0.udev_path
rd.set_attribute("emulate_caw", "0")
assert rd.attributes()["emulate_caw"] == "0"
rd.create_alua_group("ao", 7)
rd.set_alua("ao", "alua_access_state", "1")
assert rd.alua("ao")["alua_access_state"] == "1"
assert sorted(rd.alua_groups()) == ["ao", "default_tg_pt_gp"], rd.alua_groups()

target = root.create_target("iscsi", IQN)
tpg = target.create_tpg()
assert tpg.tag == 1 and not tpg.enabled
tpg.set_attribute("authentication", "0")
tpg.set_attribute("default_cmdsn_depth", "32")
tpg.set_parameter("MaxRecvDataSegmentLength", "65536")
tpg.create_portal("127.0.0.1", 3260)
lun0 = tpg.create_lun(rd)
lun1 = tpg.create_lun("/backstores/fileio/f0", lun=4)
assert [l.index for l in tpg.luns()] == [0, 4]
lun0.set_alua_group("ao")
assert lun0.alua_group == "ao", lun0.alua_group
acl = tpg.create_acl(INIT)
acl.create_mapped_lun(0, 0)
acl.create_mapped_lun(2, 4, write_protect=True)
assert acl.mapped_luns() == [(0, 0, False), (2, 4, True)], acl.mapped_luns()
acl.set_auth("userid", "pyuser")
acl.set_auth("password", "pysecret1")
tpg.enable()
assert tpg.enabled
assert rd.status == "activated", rd.status

loop = root.create_target("loopback", LOOP)
ltpg = loop.create_tpg()
ltpg.create_lun(rd)
assert sorted((x.fabric, x.wwn) for x in root.targets()) == [("iscsi", IQN), ("loopback", LOOP)]
root.save(f"{work}/py.json")
PY

expect "targetcli-fb sees the ACL's read-only mapped LUN" sh -c \
	"targetcli ls /iscsi/$IQN/tpg1/acls/$INIT 2>/dev/null | grep -q 'mapped_lun2 .*lun4 fileio/f0 (ro)'"
expect "targetcli-fb sees the LUN in the ALUA group" sh -c \
	"targetcli ls /iscsi/$IQN/tpg1/luns 2>/dev/null | grep -q 'lun0 .*ramdisk/rd0 (ao)'"
expect "targetcli-fb saves" targetcli saveconfig "$work/fb.json"
expect "Python saved the same file as targetcli-fb" cmp "$work/fb.json" "$work/py.json"

expect "Python's errors are typed, with the library's messages" python3 - <<'PY'
import os, targetcli_rs as t
IQN = os.environ["IQN"]
root = t.Root()
def raises(kind, text, f, *a, **kw):
    try:
        f(*a, **kw)
    except kind as e:
        assert text in str(e), f"{kind.__name__}: {e!r} lacks {text!r}"
        print(f"  {kind.__name__}: {e}")
        return
    raise AssertionError(f"{f.__name__}{a} did not raise {kind.__name__}")
rd = root.storage_object("ramdisk", "rd0")
raises(t.ExistsError, "rd0", root.create_storage_object, "ramdisk", "rd0", size=1 << 20)
raises(t.InUseError, "force=true", rd.delete)
raises(t.KernelError, "block_size", rd.set_attribute, "block_size", "123")
raises(t.NotFoundError, "ls /backstores/ramdisk", root.storage_object, "ramdisk", "nope")
raises(t.InvalidError, "must be 1 to 65535", rd.create_alua_group, "bad", 0)
raises(t.InvalidError, "2 Standby", rd.set_alua, "ao", "alua_access_state", "standby")
tpg = root.target("iscsi", IQN).tpgs()[0]
raises(t.ExistsError, "LUN 0", tpg.create_lun, "/backstores/fileio/f0", lun=0)
PY

expect "targetcli-fb clears" targetcli clearconfig confirm=true
expect "Python restores targetcli-fb's file" python3 -c "
import os, targetcli_rs as t
r = t.Root().restore(os.environ['work'] + '/fb.json')
assert r['created'] > 0 and r['removed'] == 0, r
r = t.Root().restore(os.environ['work'] + '/fb.json', mode='diff')
assert r == {'created': 0, 'changed': 0, 'removed': 0}, r
"
expect "targetcli-fb saves the restored tree" targetcli saveconfig "$work/fb2.json"
expect "the restored tree saves to the same file" cmp "$work/fb.json" "$work/fb2.json"

expect "Python clears everything" python3 -c "
import targetcli_rs as t
root = t.Root()
root.clear()
assert root.storage_objects() == [] and root.targets() == []
"
expect "targetcli-fb finds nothing left" sh -c \
	"targetcli ls / 2>/dev/null | grep -q 'o- ramdisk .*\[Storage Objects: 0\]' &&
	 targetcli ls / 2>/dev/null | grep -q 'o- iscsi .*\[Targets: 0\]'"
