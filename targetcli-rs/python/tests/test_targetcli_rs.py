"""Tests of the targetcli_rs module on a configfs-like tree in a temporary
directory (two ramdisks and an iSCSI target with one TPG, as the library's
own host tests use). Run by tests/python.rs against the module cargo built;
the VM test tests/vm/tests/targetcli-rs-python.sh drives real LIO."""

import json
import os
import shutil
import tempfile
import unittest

import targetcli_rs

IQN = "iqn.2003-01.org.example:t1"
INIT = "iqn.1994-05.com.example:host1"


def write(root, rel, value, mode=0o644):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(value)
    os.chmod(path, mode)


def make_tree(root):
    for so in ("rd0", "rd1"):
        d = f"core/rd_mcp_0/{so}"
        write(root, f"{d}/attrib/block_size", "512")
        write(root, f"{d}/attrib/emulate_tpu", "0")
        write(root, f"{d}/attrib/hw_block_size", "512", 0o444)
        write(root, f"{d}/enable", "1")
        write(root, f"{d}/info", "Status: DEACTIVATED  Max Queue Depth: 0  SectorSize: 512")
        os.makedirs(os.path.join(root, d, "alua"))
    tpg = f"iscsi/{IQN}/tpgt_1"
    write(root, f"{tpg}/attrib/authentication", "0")
    write(root, f"{tpg}/param/MaxRecvDataSegmentLength", "8192")
    write(root, f"{tpg}/auth/userid", "", 0o600)
    write(root, f"{tpg}/enable", "1")
    for sub in ("lun", "acls", "np"):
        os.makedirs(os.path.join(root, tpg, sub))
    write(root, "iscsi/discovery_auth/enforce_discovery_auth", "0")


class TreeTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        make_tree(self.dir)
        self.root = targetcli_rs.Root(self.dir)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def tpg(self):
        (target,) = self.root.targets()
        (tpg,) = target.tpgs()
        return tpg


class Listing(TreeTest):
    def test_storage_objects(self):
        sos = self.root.storage_objects()
        self.assertEqual([(s.plugin, s.name) for s in sos], [("ramdisk", "rd0"), ("ramdisk", "rd1")])
        rd0 = self.root.storage_object("ramdisk", "rd0")
        self.assertEqual(rd0, sos[0])
        self.assertEqual(rd0.backstore_path, "/backstores/ramdisk/rd0")
        self.assertEqual(rd0.path, os.path.join(self.dir, "core/rd_mcp_0/rd0"))
        self.assertEqual(rd0.status, "deactivated")
        self.assertEqual(rd0.attributes()["block_size"], "512")
        self.assertEqual(repr(rd0), 'StorageObject("/backstores/ramdisk/rd0")')

    def test_targets_and_tpgs(self):
        (target,) = self.root.targets()
        self.assertEqual((target.fabric, target.wwn), ("iscsi", IQN))
        self.assertEqual(self.root.target("iscsi", IQN.upper()), target, "WWNs are normalised")
        tpg = self.tpg()
        self.assertEqual(tpg.tag, 1)
        self.assertTrue(tpg.enabled)
        self.assertEqual(tpg.target, target)
        self.assertEqual(tpg.parameters()["MaxRecvDataSegmentLength"], "8192")
        self.assertEqual(tpg.luns(), [])
        self.assertEqual(tpg.acls(), [])
        self.assertEqual(self.root.sessions(), [])


class Changing(TreeTest):
    def test_attributes_reach_the_files(self):
        rd0 = self.root.storage_object("ramdisk", "rd0")
        rd0.set_attribute("emulate_tpu", "1")
        with open(os.path.join(rd0.path, "attrib/emulate_tpu")) as f:
            self.assertEqual(f.read(), "1")
        self.tpg().set_parameter("MaxRecvDataSegmentLength", "65536")
        self.assertEqual(self.tpg().parameters()["MaxRecvDataSegmentLength"], "65536")
        with self.assertRaises(targetcli_rs.TargetcliError) as e:
            rd0.set_attribute("no_such_attribute", "1")
        self.assertIn("get attribute", str(e.exception))

    def test_portals_luns_acls_and_mapped_luns(self):
        tpg = self.tpg()
        self.assertEqual(tpg.create_portal("192.0.2.1", 3261), ("192.0.2.1", 3261))
        self.assertEqual(tpg.portals(), [("192.0.2.1", 3261)])
        tpg.delete_portal("192.0.2.1", 3261)
        self.assertEqual(tpg.portals(), [])

        rd0 = self.root.storage_object("ramdisk", "rd0")
        lun = tpg.create_lun(rd0)
        self.assertEqual((lun.index, lun.storage_object), (0, "/backstores/ramdisk/rd0"))
        lun3 = tpg.create_lun("/backstores/ramdisk/rd1", lun=3)
        self.assertEqual([l.index for l in tpg.luns()], [0, 3])
        self.assertEqual(lun3.storage_object, "/backstores/ramdisk/rd1")

        acl = tpg.create_acl(INIT)
        self.assertEqual([a.wwn for a in tpg.acls()], [INIT])
        # Mapping needs the kernel (it makes write_protect): the VM test
        # maps; here the checks before it.
        with self.assertRaises(targetcli_rs.NotFoundError) as e:
            acl.create_mapped_lun(5, 7)
        self.assertIn("create the LUN first", str(e.exception))
        with self.assertRaises(targetcli_rs.InvalidError):
            acl.create_mapped_lun(300, 0)
        self.assertEqual(acl.mapped_luns(), [])
        with self.assertRaises(targetcli_rs.InUseError) as e:
            rd0.delete()
        self.assertIn("force=true", str(e.exception))
        lun.delete()
        self.assertEqual([l.index for l in tpg.luns()], [3])
        acl.delete()
        with self.assertRaises(targetcli_rs.NotFoundError) as e:
            acl.attributes()
        self.assertIn("Tpg.acls()", str(e.exception))


class Errors(TreeTest):
    def test_errors_are_typed_and_say_what_to_do(self):
        with self.assertRaises(targetcli_rs.NotFoundError) as e:
            self.root.storage_object("ramdisk", "nope")
        self.assertIn("ls /backstores/ramdisk", str(e.exception))
        with self.assertRaises(targetcli_rs.InvalidError) as e:
            self.root.storage_object("floppy", "a")
        self.assertIn("ramdisk, fileio, block, pscsi or user", str(e.exception))
        with self.assertRaises(targetcli_rs.InvalidError) as e:
            self.root.create_target("nofabric")
        self.assertIn("iscsi", str(e.exception))
        with self.assertRaises(targetcli_rs.InvalidError) as e:
            self.root.create_storage_object("ramdisk", "rd9")
        self.assertIn("size=", str(e.exception))
        with self.assertRaises(targetcli_rs.NotFoundError):
            self.root.target("iscsi", "iqn.2003-01.org.example:none")
        with self.assertRaises(targetcli_rs.InvalidError):
            self.tpg().create_lun("rd0")
        self.assertTrue(issubclass(targetcli_rs.KernelError, targetcli_rs.TargetcliError))


class Saving(TreeTest):
    def test_dump_save_and_a_converging_restore(self):
        dumped = json.loads(self.root.dump())
        self.assertEqual([s["name"] for s in dumped["storage_objects"]], ["rd0", "rd1"])
        self.assertEqual([t["wwn"] for t in dumped["targets"]], [IQN])
        path = os.path.join(self.dir, "saved.json")
        self.assertEqual(self.root.save(path), path)
        with open(path) as f:
            self.assertEqual(json.load(f), dumped)
        # The tree already is what the file says: nothing to do.
        self.assertEqual(self.root.restore(path, mode="diff"), {"created": 0, "changed": 0, "removed": 0})
        with self.assertRaises(targetcli_rs.InvalidError) as e:
            self.root.restore(path, mode="merge")
        self.assertIn("add, replace or diff", str(e.exception))
        with self.assertRaises(targetcli_rs.TargetcliError):
            self.root.restore(os.path.join(self.dir, "missing.json"))


if __name__ == "__main__":
    unittest.main()
