# Task attributes over one iSCSI session, PDU by PDU, against the target of
# tests/vm/tests/task-attributes.sh (LUN 0 a disk whose every I/O takes a
# second or more): commands are sent back to back without waiting, and the
# order of their answers shows what the target let run when. Prints each
# scenario's answers in the order they came (by name, not ITT, so that two
# targets' output compares line by line) and exits non-zero when the order
# breaks SAM-5's rules:
#   - an ORDERED command ends after every command sent before it, and
#     before every command sent after it (HEAD OF QUEUE aside);
#   - a HEAD OF QUEUE command is not held behind slow commands;
#   - the ACA attribute is refused (CHECK CONDITION, as LIO).
#
#   iscsi-raw-order.py TARGET-IQN INITIATOR-IQN [PORT]
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from iscsi_raw import check, Session  # noqa: E402

TARGET, INITIATOR = sys.argv[1], sys.argv[2]
PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 3260

SIMPLE, ORDERED, HEAD, ACA = 1, 2, 3, 4
NAMES = {SIMPLE: "SIMPLE", ORDERED: "ORDERED", HEAD: "HEAD OF QUEUE", ACA: "ACA"}
TUR = bytes(6)
SYNC = bytes([0x35]) + bytes(9)


def read(lba):
    """READ(10) of one 512-byte block at `lba`: slow on the test's disk."""
    return bytes([0x28, 0]) + lba.to_bytes(4, "big") + bytes([0, 0, 1, 0])


def scenario(s, title, commands):
    """Sends `commands` ((name, attribute, CDB, bytes to read)) back to back
    and returns the names in the order their answers came."""
    itts = {}
    for name, attr, cdb, length in commands:
        itts[s.start(cdb, read=length, attr=attr)] = (name, attr)
    order = []
    for _ in commands:
        itt, status, sense = s.answer()
        check(itt in itts, f"{title}: an answer to ITT {itt:#x}, which was not sent")
        name, attr = itts.pop(itt)
        order.append(name)
        sk = f" sense {sense[2] & 0xf:#x}/{sense[12]:#x}/{sense[13]:#x}" if len(sense) > 13 else ""
        check(status == 0 or attr == ACA, f"{title}: {name} ended with status {status:#x}{sk}")
        if attr == ACA:
            check(status == 2 and len(sense) > 13 and sense[2] & 0xf == 5 and sense[12] == 0x24,
                  f"{title}: ACA refused with INVALID FIELD IN CDB, not status {status:#x}{sk}")
    print(f"{title}: " + " ".join(runs(order, {name: attr for name, attr, _, _ in commands})))
    return order


def runs(order, attrs):
    """The answers for printing: each run of SIMPLE (or untagged, or ACA)
    ones in brackets, sorted, since the disk ends them in any order."""
    out, run = [], []
    for name in order + [None]:
        if name is not None and attrs[name] in (0, SIMPLE, ACA):
            run.append(name)
            continue
        if run:
            out.append("[" + ", ".join(sorted(run)) + "]")
            run = []
        if name is not None:
            out.append(name)
    return out


def check_ordered(title, commands, order):
    """The rule for ORDERED commands, against the order of the answers."""
    sent = [name for name, _, _, _ in commands]
    attrs = {name: attr for name, attr, _, _ in commands}
    for i, name in enumerate(sent):
        if attrs[name] != ORDERED:
            continue
        at = order.index(name)
        for j, other in enumerate(sent):
            if attrs[other] in (HEAD, ACA) or other == name:
                continue
            if j < i:
                check(order.index(other) < at, f"{title}: {other}, sent before {name}, ended after it")
            else:
                check(order.index(other) > at, f"{title}: {other}, sent after {name}, ended before it")


s = Session(TARGET, INITIATOR, PORT, 1)
s.log_in()
# A unit attention a new nexus may have is taken first.
for _ in range(3):
    if s.scsi(TUR)[0] == 0:
        break

# An ORDERED command waits for a slow SIMPLE one before it, a SIMPLE one
# after it waits for it, and HEAD OF QUEUE passes them all.
cmds = [("slow READ", SIMPLE, read(0), 512), ("ORDERED TUR", ORDERED, TUR, 0),
        ("SIMPLE TUR", SIMPLE, TUR, 0), ("HEAD OF QUEUE TUR", HEAD, TUR, 0)]
order = scenario(s, "held behind a slow read", cmds)
check_ordered("held behind a slow read", cmds, order)
check(order[0] == "HEAD OF QUEUE TUR", "HEAD OF QUEUE is answered first")

# A slow ORDERED read: what follows waits for it, HEAD OF QUEUE does not.
cmds = [("ORDERED slow READ", ORDERED, read(8), 512), ("SIMPLE TUR", SIMPLE, TUR, 0),
        ("SIMPLE READ", SIMPLE, read(16), 512), ("HEAD OF QUEUE TUR", HEAD, TUR, 0)]
order = scenario(s, "behind a slow ORDERED read", cmds)
check_ordered("behind a slow ORDERED read", cmds, order)
check(order[0] == "HEAD OF QUEUE TUR", "HEAD OF QUEUE is answered first")

# Reads and ORDERED SYNCHRONIZE CACHEs (which a block device runs in a
# thread that sleeps) interleaved: each ORDERED one splits the stream.
cmds = []
for i in range(12):
    if i % 4 == 3:
        cmds.append((f"ORDERED SYNCHRONIZE CACHE {i}", ORDERED, SYNC, 0))
    else:
        cmds.append((f"READ {i}", SIMPLE, read(i * 8), 512))
order = scenario(s, "reads split by ORDERED flushes", cmds)
check_ordered("reads split by ORDERED flushes", cmds, order)

# Untagged (0) counts as SIMPLE; ACA is refused and changes nothing.
cmds = [("untagged TUR", 0, TUR, 0), ("ACA TUR", ACA, TUR, 0)]
scenario(s, "untagged and ACA", cmds)
order = scenario(s, "after ACA", [("SIMPLE TUR", SIMPLE, TUR, 0)])

s.send(0x46, 0x80, itt=s.itt, cmdsn=s.cmdsn)
bhs, _ = s.recv()
check(bhs[0] == 0x26 and bhs[2] == 0, "logout")
print("all good")
