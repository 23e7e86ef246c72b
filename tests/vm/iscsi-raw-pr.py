# Persistent reservations between two iSCSI sessions of one initiator name
# that differ in their ISID only, PDU by PDU, against the target of
# tests/vm/tests/iscsi-pr.sh (LUN 0 a ramdisk): to SPC-4 the two are two
# initiator ports (`<name>,i,0x<ISID>`), each registering its own key, and
# a Write Exclusive reservation of one refuses the other's writes. Prints
# what the target answered, and the device's pr/ files and the mapped LUN's
# port_ident while both are logged in, so that two targets compare line
# by line; exits non-zero on a wrong answer.
#
#   iscsi-raw-pr.py TARGET-IQN INITIATOR-IQN DEVICE-DIR MAPPED-LUN-DIR [lio]
#
# lio: the other port's write under the reservation is printed, not
# checked: LIO lets it through (it compares the first 8 characters of the
# ISID's text, which two ISIDs of one initiator share: lio-differences.md,
# "LIO bugs the suites avoid").
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from iscsi_raw import check, Session  # noqa: E402

TARGET, INITIATOR, DEV, MAPPED = sys.argv[1:5]
LIO = sys.argv[5:] == ["lio"]
PORT = 3260
TUR = bytes(6)
KEY_A, KEY_B = 0xAAAA, 0xBBBB


def pr_out(s, service_action, key, sa_key=0, pr_type=0):
    params = struct.pack(">QQ", key, sa_key) + bytes(8)
    cdb = bytes([0x5F, service_action, pr_type, 0, 0]) + struct.pack(">I", len(params)) + bytes(1)
    r = s.scsi(cdb, write=params, immediate=len(params))
    return r[0]


def pr_in(s, service_action, length=1024):
    cdb = bytes([0x5E, service_action, 0, 0, 0, 0, 0]) + struct.pack(">H", length) + bytes(1)
    r = s.scsi(cdb, read=length)
    check(r[0] == 0, f"PERSISTENT RESERVE IN {service_action}: status {r[0]:#x}")
    return r[2]


def transport_id(tid):
    """An iSCSI TransportID as text: its format and the name it holds."""
    length = int.from_bytes(tid[2:4], "big")
    return f"format {tid[0] >> 6} protocol {tid[0] & 0xf} {tid[4:4 + length].rstrip(bytes(1)).decode()}"


def show_configfs():
    for f in ("res_holder", "res_pr_registered_i_pts", "res_pr_type", "res_type", "res_pr_generation"):
        with open(os.path.join(DEV, "pr", f)) as fh:
            for line in fh.read().splitlines():
                print(f"  pr/{f}: {line.strip()}")
    with open(os.path.join(MAPPED, "statistics", "scsi_att_intr_port", "port_ident")) as fh:
        print(f"  port_ident: {fh.read().strip()}")


a = Session(TARGET, INITIATOR, PORT, 1)
a.log_in()
b = Session(TARGET, INITIATOR, PORT, 2)
b.log_in()
for s in (a, b):
    for _ in range(3):
        if s.scsi(TUR)[0] == 0:
            break

print("REGISTER, ISID ...01:", pr_out(a, 0, 0, KEY_A))
print("REGISTER, ISID ...02:", pr_out(b, 0, 0, KEY_B))
keys = pr_in(a, 0)
generation, length = struct.unpack(">II", keys[:8])
registered = sorted(hex(k) for (k,) in struct.iter_unpack(">Q", keys[8:8 + length]))
print("READ KEYS:", " ".join(registered))
check(registered == [hex(KEY_A), hex(KEY_B)], "each ISID registers its own key")

print("RESERVE Write Exclusive, ISID ...01:", pr_out(a, 1, KEY_A, pr_type=1))
full = pr_in(a, 3)
length = int.from_bytes(full[4:8], "big")
off = 8
while off < 8 + length:
    key = int.from_bytes(full[off:off + 8], "big")
    holder = full[off + 12] & 1
    extra = int.from_bytes(full[off + 20:off + 24], "big")
    print(f"READ FULL STATUS: key {key:#x} holder {holder} type {full[off + 13] & 0xf if holder else '-'}"
          f" {transport_id(full[off + 24:off + 24 + extra])}")
    off += 24 + extra
show_configfs()

block = bytes(range(256)) * 2
w = bytes([0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0])
rd = bytes([0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0])
st = a.scsi(w, write=block, immediate=512)[0]
print(f"WRITE from the holder (ISID ...01): status {st:#x}")
check(st == 0, "the holder writes")
st = b.scsi(w, write=block, immediate=512)[0]
print(f"WRITE from the other port (ISID ...02): status {st:#x}")
check(LIO or st == 0x18, "the other ISID's write is a reservation conflict")
r = b.scsi(rd, read=512)
print(f"READ from the other port: status {r[0]:#x}, data {'as written' if r[2] == block else 'other'}")
check(r[0] == 0 and r[2] == block, "Write Exclusive lets the other port read")

print("CLEAR, ISID ...01:", pr_out(a, 3, KEY_A))
# The other registrant's nexus is told (SPC-4 5.13.11.2.6).
r = b.scsi(TUR)
sense = r[1]
print(f"TEST UNIT READY from ISID ...02 after CLEAR: status {r[0]:#x}"
      + (f" sense {sense[2] & 0xf:#x}/{sense[12]:#x}/{sense[13]:#x}" if len(sense) > 13 else ""))
check(r[0] == 2 and len(sense) > 13 and (sense[12], sense[13]) == (0x2a, 0x03),
      "RESERVATIONS PREEMPTED for the other registrant after CLEAR")
keys = pr_in(b, 0)
print("READ KEYS after CLEAR:", int.from_bytes(keys[4:8], "big") // 8, "keys")
st = b.scsi(w, write=block, immediate=512)[0]
print(f"WRITE from ISID ...02 after CLEAR: status {st:#x}")
check(st == 0, "no reservation after CLEAR")

for s in (a, b):
    s.send(0x46, 0x80, itt=s.itt, cmdsn=s.cmdsn)
    bhs, _ = s.recv()
    check(bhs[0] == 0x26 and bhs[2] == 0, "logout")
print("all good")
