# Kernel memory per LUN and per session, tcm-rs (tcm_rs_core, tcm_rs_loop,
# tcm_rs_rd) against LIO (target_core_mod, tcm_loop, rd_mcp), in one VM run.
#
# For each core, with its modules loaded and a loopback target with a nexus
# in place, a baseline reading; then N ramdisk devices (reading), then the N
# devices linked as N LUNs of that target, each of which the initiator side
# of the loopback fabric adds as a SCSI disk (reading). Then, on a cleared
# tree (reading), W loopback targets, each a SCSI host of the initiator
# side (reading), M TPGs spread over them (reading), then one nexus in each
# (reading). A reading is the median of three reads of /proc/meminfo once
# it has settled, after dropping the caches and a pause, and one of
# /proc/slabinfo (see reading below). Per object: the growth of the
# kernel's used memory (free pages), of the slab caches' pages, of the
# bytes of slab objects in use (/proc/slabinfo: finer than pages for small
# objects), of kernel stacks, page tables, vmalloc and per-CPU memory,
# divided by the count, and the five slab caches that grew most.
#
# The ramdisks have one page each, counted apart and left out of the
# device's figure. A LUN's figure includes the initiator's SCSI disk (the
# scsi_device, sd's gendisk and request queue): both cores pay it alike.
# scsi_debug measures that share on its own: its reading with N LUNs
# against its reading with one.
#
# Prints a table and writes memory.json into the run directory (raw
# readings under memory.raw/).
#
#   BENCH_QUICK  1: 4 LUNs and 2 sessions (the smoke test); else 256 and 256
. "$TCM_ROOT/tests/vm/lib.sh"

if [ "${BENCH_QUICK:-0}" = 1 ]; then luns=4 sessions=2 min_reads=2; else luns=256 sessions=256 min_reads=3; fi
# TPGs per loopback target: both fabrics take tpgt_1 to tpgt_31.
per_wwn=16
rd_pages=1
out=${TCM_RUN:-/tmp}/memory.json
# Readings go to the run directory (a host share), not to the guest's
# memory, where they would count.
raw=${TCM_RUN:-/tmp}/memory.raw
rm -rf "$raw"
mkdir -p "$raw"

LOOP=naa.5001405000000d01
INITIATOR=naa.5001405000000d02
HBA=$TARGET/core/rd_mcp_0

# reading NAME: /proc/meminfo read until it settles, and /proc/slabinfo.
# Each read comes after the caches are dropped and a second's pause (RCU
# callbacks and deferred work free memory for a while after that), with
# the per-CPU counter deltas folded first (stat_refresh). Free pages held
# in the CPUs' page lists do not count in MemFree: their sum, from
# /proc/zoneinfo, is added as PcpFree. Reads go on until two in a row
# differ by at most 128 KiB of free memory (10 at most, 3 at least, 2 with
# BENCH_QUICK=1); the summary takes the median of the last three.
page_kb=$(($(getconf PAGESIZE) / 1024))
reading() {
	local i f last=
	mkdir -p "$raw/$1"
	for i in $(seq 10); do
		sync
		echo 3 >/proc/sys/vm/drop_caches
		sleep 1
		echo 1 >/proc/sys/vm/stat_refresh
		{
			cat /proc/meminfo
			awk -v kb="$page_kb" '$1 == "count:" {n += $2} END {print "PcpFree:", n * kb, "kB"}' /proc/zoneinfo
		} >"$raw/$1/meminfo.$(printf %02d "$i")"
		f=$(awk '$1 == "MemFree:" || $1 == "PcpFree:" {n += $2} END {print n}' "$raw/$1/meminfo.$(printf %02d "$i")")
		if [ "$i" -ge "$min_reads" ] && [ $((f - last)) -le 128 ] && [ $((last - f)) -le 128 ]; then break; fi
		last=$f
	done
	echo "$1: $i reads of /proc/meminfo"
	cat /proc/slabinfo >"$raw/$1/slabinfo"
}

# disks HOST TPGT: how many SCSI disks target TPGT of SCSI host HOST has.
disks() {
	local n=0 b
	for b in /sys/class/scsi_device/"$1:0:$2":*/device/block/*; do
		[ -e "$b" ] && n=$((n + 1))
	done
	echo $n
}

# wait_count WHAT WANT COMMAND...: waits (up to 5 minutes: the SCSI scan of
# hundreds of disks is slow under TCG) until COMMAND prints WANT.
wait_count() {
	local what=$1 want=$2 i got; shift 2
	for i in $(seq 1500); do
		got=$("$@")
		[ "$got" = "$want" ] && return 0
		sleep 0.2
	done
	fail "$what: $got of $want"
}

# The LUN half: devices, then LUNs, over a target with a nexus.
lun_half() {
	local core=$1 tpg=$TARGET/loopback/$LOOP/tpgt_1 host i
	expect "$core: a loopback target with a nexus, and the ramdisk HBA" sh -c "
		mkdir -p $tpg && echo $INITIATOR >$tpg/nexus && mkdir $HBA"
	host=$(cut -d: -f1 "$tpg/address")
	reading "$core-base"
	for i in $(seq 0 $((luns - 1))); do
		{ mkdir "$HBA/rd$i" && echo "rd_pages=$rd_pages" >"$HBA/rd$i/control" &&
			echo 1 >"$HBA/rd$i/enable"; } || fail "$core: ramdisk rd$i"
	done
	pass "$core: $luns ramdisks of $rd_pages page(s)"
	reading "$core-devices"
	for i in $(seq 0 $((luns - 1))); do
		{ mkdir "$tpg/lun/lun_$i" && ln -s "$HBA/rd$i" "$tpg/lun/lun_$i/rd$i"; } ||
			fail "$core: LUN $i"
	done
	wait_count "$core: SCSI disks" "$luns" disks "$host" 1
	pass "$core: $luns LUNs, each a SCSI disk"
	reading "$core-luns"
	for i in $(seq 0 $((luns - 1))); do
		{ rm "$tpg/lun/lun_$i/rd$i" && rmdir "$tpg/lun/lun_$i"; } || fail "$core: unlink LUN $i"
	done
	expect "$core: the disks are gone" test "$(disks "$host" 1)" = 0
	for i in $(seq 0 $((luns - 1))); do
		rmdir "$HBA/rd$i" || fail "$core: remove rd$i"
	done
	expect "$core: the target goes" sh -c "
		echo NULL >$tpg/nexus && rmdir $tpg $TARGET/loopback/$LOOP $HBA"
}

# wwn K: the name of loopback target K (1, 2, ...) of the session half.
wwn() { printf 'naa.5001405000001%03x\n' "$1"; }

# The session half: W targets, then M TPGs, then a nexus in each.
session_half() {
	local core=$1 w k t wwns=$(((sessions + per_wwn - 1) / per_wwn))
	reading "$core-empty"
	for w in $(seq "$wwns"); do
		mkdir "$TARGET/loopback/$(wwn "$w")" || fail "$core: target $w"
	done
	pass "$core: $wwns loopback targets"
	reading "$core-sbase"
	for k in $(seq 0 $((sessions - 1))); do
		mkdir "$TARGET/loopback/$(wwn $((k / per_wwn + 1)))/tpgt_$((k % per_wwn + 1))" ||
			fail "$core: TPG $k"
	done
	pass "$core: $sessions TPGs"
	reading "$core-tpgs"
	for k in $(seq 0 $((sessions - 1))); do
		t=$TARGET/loopback/$(wwn $((k / per_wwn + 1)))/tpgt_$((k % per_wwn + 1))
		printf 'naa.5001405000002%03x\n' "$k" >"$t/nexus" || fail "$core: nexus $k"
	done
	pass "$core: a nexus in each TPG (no LUNs)"
	reading "$core-sessions"
	for k in $(seq 0 $((sessions - 1))); do
		t=$TARGET/loopback/$(wwn $((k / per_wwn + 1)))/tpgt_$((k % per_wwn + 1))
		{ echo NULL >"$t/nexus" && rmdir "$t"; } || fail "$core: remove TPG $k"
	done
	for w in $(seq "$wwns"); do
		rmdir "$TARGET/loopback/$(wwn "$w")" || fail "$core: remove target $w"
	done
	pass "$core: the session half is cleared"
}

# LIO's unlink of LUNs under a tcm_loop nexus can oops the debug kernel
# (lio_loopback_teardown_safe): LIO is measured on the release kernel.
cores=()
if lio_loopback_teardown_safe; then
	expect "LIO loads (tcm_loop, rd_mcp)" modprobe tcm_loop
	lun_half lio
	session_half lio
	expect "LIO unloads" lio_unload
	cores+=(lio)
fi

expect "tcm-rs loads (tcm_rs_loop, tcm_rs_rd)" sh -c "modprobe tcm_rs_loop && modprobe tcm_rs_rd"
lun_half tcm-rs
session_half tcm-rs
expect "tcm-rs unloads" tcm_unload
cores+=(tcm-rs)

# The initiator's share of a LUN: scsi_debug with N LUNs against one.
sd_disks() { lsscsi | awk '/scsi_debug/ && $NF ~ /^\/dev\//' | wc -l; }
for n in 1 "$luns"; do
	expect "scsi_debug with $n LUN(s)" modprobe scsi_debug dev_size_mb=1 num_tgts=1 max_luns="$n"
	wait_count "scsi_debug disks" "$n" sd_disks
	reading "scsi_debug-$n"
	expect "scsi_debug unloads" modprobe -r scsi_debug
done

python3 - "$raw" "$out" "$luns" "$sessions" "$per_wwn" "$rd_pages" "${cores[@]}" <<'EOF'
import json, os, statistics, sys

raw, out = sys.argv[1], sys.argv[2]
luns, sessions, per_wwn, rd_pages = (int(x) for x in sys.argv[3:7])
cores = sys.argv[7:]
PAGE = os.sysconf("SC_PAGE_SIZE")
FIELDS = ["MemFree", "PcpFree", "Slab", "SUnreclaim", "KernelStack", "PageTables", "VmallocUsed", "Percpu"]


def meminfo(name):
    """The median of each field over the reading's last three reads, in bytes."""
    reads = []
    d = os.path.join(raw, name)
    for f in sorted(f for f in os.listdir(d) if f.startswith("meminfo."))[-3:]:
        with open(os.path.join(d, f)) as fh:
            reads.append({l.split(":")[0]: int(l.split()[1]) * 1024 for l in fh})
    return {k: statistics.median(r[k] for r in reads) for k in FIELDS}


def slabs(name):
    """Bytes in use per slab cache (active objects times object size)."""
    caches = {}
    with open(os.path.join(raw, name, "slabinfo")) as fh:
        for line in fh:
            if line.startswith(("slabinfo", "#")):
                continue
            f = line.split()
            caches[f[0]] = int(f[1]) * int(f[3])
    return caches


def measure(core, obj, before, after, count, excluded=0):
    a, b = meminfo(before), meminfo(after)
    delta = {k: b[k] - a[k] for k in FIELDS}
    free = delta.pop("MemFree") + delta.pop("PcpFree")
    sa, sb = slabs(before), slabs(after)
    grown = sorted(((sb[c] - sa.get(c, 0), c) for c in sb), reverse=True)[:5]
    objects = sum(sb.values()) - sum(sa.values())
    return {
        "core": core,
        "object": obj,
        "count": count,
        # What the kernel used more (free pages fell), less the pages left out.
        "bytes_per": round((-free - excluded) / count),
        "slab_bytes_per": round(delta["Slab"] / count),
        "slab_object_bytes_per": round(objects / count),
        "excluded_bytes": excluded,
        "delta": delta,
        "top_slabs": [{"cache": c, "bytes": g} for g, c in grown if g > 0],
    }


result = []
for core in cores:
    result.append(measure(core, "device", f"{core}-base", f"{core}-devices", luns,
                          excluded=luns * rd_pages * PAGE))
    result.append(measure(core, "lun", f"{core}-devices", f"{core}-luns", luns))
    result.append(measure(core, "target", f"{core}-empty", f"{core}-sbase",
                          (sessions + per_wwn - 1) // per_wwn))
    result.append(measure(core, "tpg", f"{core}-sbase", f"{core}-tpgs", sessions))
    result.append(measure(core, "session", f"{core}-tpgs", f"{core}-sessions", sessions))
result.append(measure("scsi_debug", "scsi-disk", "scsi_debug-1", f"scsi_debug-{luns}", luns - 1))

fig = {(r["core"], r["object"]): r for r in result}
names = {"device": f"ramdisk device ({luns})", "lun": f"LUN with its SCSI disk ({luns})",
         "target": f"loopback target ({(sessions + per_wwn - 1) // per_wwn})",
         "tpg": f"TPG ({sessions})", "session": f"nexus / session ({sessions})"}
# Each column with its floor: a ratio is printed only where both cores grew
# by more than that a object. Free pages move by hundreds of KiB between
# readings, so "used" below 2 KiB an object is noise. The floors go into
# memory.json for plot.py.
cols = [("bytes_per", "used", 2048), ("slab_bytes_per", "slab pages", 0),
        ("slab_object_bytes_per", "slab objects", 0)]
print(f"{'bytes per object (count)':32}" + "".join(f" | {h + ': LIO':>18} {'tcm-rs':>8} {'ratio':>5}" for _, h, _ in cols))
for obj, label in names.items():
    lio, tcm = fig.get(("lio", obj)), fig.get(("tcm-rs", obj))
    line = f"{label:32}"
    for k, _, floor in cols:
        l = f"{lio[k]:,}" if lio else "-"
        t = f"{tcm[k]:,}" if tcm else "-"
        if not (lio and tcm and lio[k] > 0 and tcm[k] >= 0):
            r = "-"
        elif lio[k] <= floor or tcm[k] <= floor:
            r = "noise"
        else:
            r = f"{tcm[k] / lio[k]:.2f}"
        line += f" | {l:>18} {t:>8} {r:>5}"
    print(line)
sd = fig[("scsi_debug", "scsi-disk")]
print(f"{'SCSI disk alone (scsi_debug)':32}" + "".join(f" | {sd[k]:>18,} {'':>8} {'':>5}" for k, _, _ in cols))
print(f"(used: free pages; ramdisk data, {rd_pages} page(s) a device, left out of the device figure;"
      " noise: a core grew by 2 KiB an object or less, below what free pages can tell)")
for r in result:
    top = ", ".join(f"{s['cache']} {s['bytes'] // 1024} KiB" for s in r["top_slabs"])
    print(f"grew most, {r['core']} {r['object']} x{r['count']}: {top}")
json.dump({"luns": luns, "sessions": sessions, "tpgs_per_target": per_wwn, "rd_pages": rd_pages, "page_size": PAGE,
           "noise_floors": {k: floor for k, _, floor in cols}, "results": result}, open(out, "w"), indent=1)
EOF
echo "figures: $out"
