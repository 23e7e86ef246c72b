#!/usr/bin/python3
"""Draws the ratios tcm-rs / LIO of a `make bench` run as a PNG.

    tests/bench/plot.py RUNDIR [--out FILE]

Reads RUNDIR/data-path.json (tests/bench/data-path.sh; required) and
RUNDIR/memory.json (tests/bench/memory.sh; drawn when present) and writes
RUNDIR/ratios.png (or FILE). Runs on the host, after the VM run, with
Debian's python3-matplotlib (scripts/setup-host.sh installs it).
"""

import argparse
import json
import os
import sys

# The data-path targets drawn, the LIO target each is divided by, and
# their legends.
DATA_PATH_SERIES = [
    ("tcm-rs", "lio", "ramdisk: tcm-rs / LIO (completions in the submitting context)"),
    ("tcm-rs-queued", "lio", "ramdisk: tcm-rs queued / LIO (completions from a workqueue)"),
    ("tcm-rs-fileio", "lio-fileio", "fileio on tmpfs: tcm-rs / LIO"),
    ("tcm-rs-fileio-ext4", "lio-fileio-ext4", "fileio on ext4: tcm-rs / LIO"),
    ("tcm-rs-iblock", "lio-iblock", "iblock on null_blk: tcm-rs / LIO"),
    ("tcm-rs-iblock-wc", "lio-iblock-wc", "iblock on null_blk with a write cache: tcm-rs / LIO"),
]
# The memory objects drawn, and their labels.
MEMORY_OBJECTS = [
    ("device", "ramdisk device"),
    ("lun", "LUN (with its SCSI disk)"),
    ("target", "loopback target"),
    ("tpg", "TPG"),
    ("session", "nexus / session"),
]
# The memory figures drawn (memory.json keys) and their legends. The least
# growth per object drawn is memory.sh's, in memory.json's "noise_floors":
# free memory moves by a few hundred KiB between readings, so a small
# "used" figure is noise (a session's 16 bytes against 96 drew as 6 times
# LIO); slab objects are counted exactly.
MEMORY_SERIES = [
    ("bytes_per", "all kernel memory (free pages)"),
    ("slab_object_bytes_per", "slab objects"),
]


class PlotError(Exception):
    """A run directory whose figures cannot be drawn."""


def load(path):
    """The JSON document at PATH; PlotError when it is missing or broken."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise PlotError(f"{path}: no such file (did the benchmark run and finish?)") from None
    except (OSError, ValueError) as e:
        raise PlotError(f"{path}: cannot read it: {e}") from None


def data_path_ratios(rows):
    """{series: [(workload, IOPS ratio to LIO)]} from data-path.json rows, in
    the order the workloads ran; a workload without a LIO figure is left out."""
    if not isinstance(rows, list) or not rows:
        raise PlotError("data-path.json holds no figures")
    try:
        iops = {(r["target"], r["workload"]): float(r["iops"]) for r in rows}
    except (KeyError, TypeError, ValueError) as e:
        raise PlotError(f"data-path.json: a row without target, workload or iops ({e})") from None
    workloads = list(dict.fromkeys(w for _, w in iops))
    ratios = {}
    for target, lio, _ in DATA_PATH_SERIES:
        ratios[target] = [
            (w, iops[(target, w)] / iops[(lio, w)])
            for w in workloads
            if iops.get((lio, w)) and (target, w) in iops
        ]
    if not any(ratios.values()):
        raise PlotError("data-path.json has no workload measured on both LIO and tcm-rs")
    return ratios


def memory_ratios(doc):
    """{figure: [(object label, bytes per object tcm-rs / LIO)]} from
    memory.json. An object is left out of a figure where either core's
    growth is not above the figure's noise floor (memory.sh's): too small
    to show against the noise."""
    try:
        rows = {(r["core"], r["object"]): r for r in doc["results"]}
        floors = {key: float(doc["noise_floors"][key]) for key, _ in MEMORY_SERIES}
    except (KeyError, TypeError, ValueError) as e:
        raise PlotError(f"memory.json: not the output of memory.sh ({e!r})") from None
    ratios = {}
    for key, _ in MEMORY_SERIES:
        floor = floors[key]
        series = []
        for obj, label in MEMORY_OBJECTS:
            lio, tcm = rows.get(("lio", obj)), rows.get(("tcm-rs", obj))
            if not lio or not tcm or key not in lio or key not in tcm:
                continue
            try:
                lio_bytes, tcm_bytes = float(lio[key]), float(tcm[key])
            except (TypeError, ValueError) as e:
                raise PlotError(f"memory.json: {obj}: {key} is no number ({e})") from None
            if lio_bytes > floor and tcm_bytes > floor:
                series.append((label, tcm_bytes / lio_bytes))
        ratios[key] = series
    return ratios if any(ratios.values()) else {}


def room(values):
    """The x limit that leaves room for the labels past the longest bar
    and always shows the line at 1."""
    return max([1.0, *values]) * 1.15


def draw(ratios, memory, out):
    """Writes the PNG: the data path's ratios, and memory's beside them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = 2 if memory else 1
    fig, axes = plt.subplots(1, panels, figsize=(7 * panels, 6), squeeze=False)
    ax = axes[0][0]
    workloads = list(dict.fromkeys(w for series in ratios.values() for w, _ in series))
    height = 0.8 / len(DATA_PATH_SERIES)
    for i, (target, _, legend) in enumerate(DATA_PATH_SERIES):
        values = dict(ratios.get(target, []))
        ys = [k + (i - (len(DATA_PATH_SERIES) - 1) / 2) * height for k in range(len(workloads))]
        xs = [values.get(w, 0) for w in workloads]
        bars = ax.barh(ys, xs, height=height, label=legend)
        ax.bar_label(bars, labels=[f"{x:.2f}" if x else "" for x in xs], padding=2, fontsize=8)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlim(0, room(r for series in ratios.values() for _, r in series))
    ax.set_yticks(range(len(workloads)), workloads)
    ax.invert_yaxis()
    ax.set_xlabel("IOPS, tcm-rs / LIO (above 1: tcm-rs faster)")
    ax.set_title("Data path (fio on a LUN over loopback)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8)
    if memory:
        ax = axes[0][1]
        labels = [label for _, label in MEMORY_OBJECTS
                  if any(label == l for series in memory.values() for l, _ in series)]
        height = 0.8 / len(MEMORY_SERIES)
        for i, (key, legend) in enumerate(MEMORY_SERIES):
            values = dict(memory.get(key, []))
            ys = [k + (i - (len(MEMORY_SERIES) - 1) / 2) * height for k in range(len(labels))]
            xs = [values.get(label, 0) for label in labels]
            bars = ax.barh(ys, xs, height=height, label=legend)
            ax.bar_label(bars, labels=[f"{x:.2f}" if x else "" for x in xs], padding=2, fontsize=8)
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_xlim(0, room(r for series in memory.values() for _, r in series))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8)
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.set_xlabel("kernel memory per object, tcm-rs / LIO (below 1: tcm-rs smaller)")
        ax.set_title("Memory")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description="Draws the ratios tcm-rs / LIO of a make bench run.")
    p.add_argument("rundir", help="the run directory holding data-path.json (and memory.json)")
    p.add_argument("--out", help="the PNG to write (default: RUNDIR/ratios.png)")
    args = p.parse_args(argv)
    out = args.out or os.path.join(args.rundir, "ratios.png")
    try:
        ratios = data_path_ratios(load(os.path.join(args.rundir, "data-path.json")))
        mem_path = os.path.join(args.rundir, "memory.json")
        memory = memory_ratios(load(mem_path)) if os.path.exists(mem_path) else {}
        draw(ratios, memory, out)
    except PlotError as e:
        print(f"plot.py: {e}", file=sys.stderr)
        return 1
    print(f"plot: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
