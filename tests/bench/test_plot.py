"""Host tests of tests/bench/plot.py on small sample figures.

    /usr/bin/python3 -m unittest discover -s tests/bench -p 'test_*.py'
"""

import contextlib
import io
import json
import os
import tempfile
import unittest

import plot

DATA_PATH = [
    {"target": "null_blk", "workload": "randread-4k-qd1", "iops": 100000},
    {"target": "lio", "workload": "randread-4k-qd1", "iops": 6000},
    {"target": "tcm-rs", "workload": "randread-4k-qd1", "iops": 15000},
    {"target": "tcm-rs-queued", "workload": "randread-4k-qd1", "iops": 5400},
    {"target": "lio", "workload": "randread-4k-qd32", "iops": 30000},
    {"target": "tcm-rs", "workload": "randread-4k-qd32", "iops": 21000},
    {"target": "tcm-rs-queued", "workload": "randread-4k-qd32", "iops": 30000},
    {"target": "lio-fileio", "workload": "randread-4k-qd1", "iops": 5000},
    {"target": "tcm-rs-fileio", "workload": "randread-4k-qd1", "iops": 10000},
    {"target": "tcm-rs-iblock", "workload": "randread-4k-qd1", "iops": 9000},
]
MEMORY = {
    "luns": 16,
    "sessions": 8,
    "noise_floors": {"bytes_per": 2048, "slab_bytes_per": 0, "slab_object_bytes_per": 0},
    "results": [
        {"core": "lio", "object": "lun", "bytes_per": 80000, "slab_object_bytes_per": 40000},
        {"core": "tcm-rs", "object": "lun", "bytes_per": 60000, "slab_object_bytes_per": 30000},
        {"core": "lio", "object": "session", "bytes_per": 4000, "slab_object_bytes_per": 400},
        {"core": "tcm-rs", "object": "session", "bytes_per": -1000, "slab_object_bytes_per": 200},
        {"core": "lio", "object": "tpg", "bytes_per": 1000},
        # "Used" below 2 KiB is noise: only the slab objects are drawn.
        {"core": "lio", "object": "device", "bytes_per": 16, "slab_object_bytes_per": 1600},
        {"core": "tcm-rs", "object": "device", "bytes_per": 96, "slab_object_bytes_per": 160},
        {"core": "scsi_debug", "object": "scsi-disk", "bytes_per": 50000},
    ],
}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class PlotTest(unittest.TestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory()
        self.dir = self._dir.name

    def tearDown(self):
        self._dir.cleanup()

    def write(self, name, doc):
        with open(os.path.join(self.dir, name), "w", encoding="utf-8") as f:
            json.dump(doc, f)

    def run_main(self, *args):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = plot.main([self.dir, *args])
        return rc, err.getvalue()

    def png(self, name="ratios.png"):
        with open(os.path.join(self.dir, name), "rb") as f:
            return f.read(8)

    def test_data_path_ratios(self):
        r = plot.data_path_ratios(DATA_PATH)
        self.assertEqual(r["tcm-rs"], [("randread-4k-qd1", 2.5), ("randread-4k-qd32", 0.7)])
        self.assertEqual(r["tcm-rs-queued"], [("randread-4k-qd1", 0.9), ("randread-4k-qd32", 1.0)])
        # Each backstore against LIO on the same backstore; none without it.
        self.assertEqual(r["tcm-rs-fileio"], [("randread-4k-qd1", 2.0)])
        self.assertEqual(r["tcm-rs-iblock"], [])

    def test_memory_ratios_skip_objects_without_both_cores_or_growth(self):
        self.assertEqual(
            plot.memory_ratios(MEMORY),
            {
                "bytes_per": [("LUN (with its SCSI disk)", 0.75)],
                "slab_object_bytes_per": [
                    ("ramdisk device", 0.1),
                    ("LUN (with its SCSI disk)", 0.75),
                    ("nexus / session", 0.5),
                ],
            },
        )

    def test_memory_floors_come_from_memory_json(self):
        doc = dict(MEMORY, noise_floors={"bytes_per": 70000, "slab_object_bytes_per": 300})
        self.assertEqual(
            plot.memory_ratios(doc),
            {"bytes_per": [], "slab_object_bytes_per": [("LUN (with its SCSI disk)", 0.75)]},
        )

    def test_memory_json_without_floors_is_an_error(self):
        doc = {k: v for k, v in MEMORY.items() if k != "noise_floors"}
        with self.assertRaisesRegex(plot.PlotError, "not the output of memory.sh"):
            plot.memory_ratios(doc)

    def test_png_with_data_path_only(self):
        self.write("data-path.json", DATA_PATH)
        self.assertEqual(self.run_main(), (0, ""))
        self.assertEqual(self.png(), PNG_MAGIC)

    def test_png_with_memory(self):
        self.write("data-path.json", DATA_PATH)
        self.write("memory.json", MEMORY)
        self.assertEqual(self.run_main("--out", os.path.join(self.dir, "x.png")), (0, ""))
        self.assertEqual(self.png("x.png"), PNG_MAGIC)

    def test_missing_data_path_json_is_an_error(self):
        rc, err = self.run_main()
        self.assertEqual(rc, 1)
        self.assertIn("data-path.json: no such file", err)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "ratios.png")))

    def test_broken_json_is_an_error(self):
        with open(os.path.join(self.dir, "data-path.json"), "w", encoding="utf-8") as f:
            f.write("[{")
        rc, err = self.run_main()
        self.assertEqual(rc, 1)
        self.assertIn("cannot read it", err)

    def test_no_lio_figures_is_an_error(self):
        self.write("data-path.json", [r for r in DATA_PATH if not r["target"].startswith("lio")])
        rc, err = self.run_main()
        self.assertEqual(rc, 1)
        self.assertIn("no workload measured on both", err)


if __name__ == "__main__":
    unittest.main()
