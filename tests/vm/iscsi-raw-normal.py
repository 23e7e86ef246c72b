# A normal iSCSI session spoken PDU by PDU against the target of
# tests/vm/tests/iscsi-io.sh (LUN 0 a ramdisk of at least 1 MiB): login,
# INQUIRY (Data-In with status), a write through immediate data and an R2T
# read back in Data-In PDUs of the initiator's MaxRecvDataSegmentLength,
# residual underflow and overflow, NOP-Out with ping data, the CmdSN window,
# ABORT TASK of an unknown task, LUN RESET, target reset, logout; then
# malformed PDUs in a session, each ending its own connection while another
# session goes on. Prints what the target answered without the numbers that
# differ between targets (StatSN starts at random), so that two targets'
# answers compare line by line; exits non-zero on a wrong answer.
#
#   iscsi-raw-normal.py TARGET-IQN INITIATOR-IQN [PORT [lenient]]
#
# lenient: for LIO: the malformed PDUs are not sent (the first of them,
# a Data-Out with a wrong TTT after a write's R2T, oopses iscsi_target_mod
# in target_complete_ok_work: lio-differences.md, "LIO bugs the suites
# avoid").
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from iscsi_raw import check, Session  # noqa: E402

TARGET, INITIATOR = sys.argv[1], sys.argv[2]
PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 3260
LENIENT = len(sys.argv) > 4 and sys.argv[4] == "lenient"


def scsi_line(title, r):
    status, sense, data, res, count, pdus = r
    sk = f" sense {sense[2] & 0xf:#x}/{sense[12]:#x}/{sense[13]:#x}" if len(sense) > 13 else ""
    print(f"{title}: status {status:#x}{sk} data {len(data)} residual {res or '-'} {count if res else ''}".rstrip())
    print("   ", ", ".join(pdus))


a = Session(TARGET, INITIATOR, PORT, 1)
sec_keys, ops = a.log_in()
print("security answer keys:", " ".join(sec_keys))
for k in ("HeaderDigest", "DataDigest", "InitialR2T", "ImmediateData", "MaxBurstLength", "FirstBurstLength",
          "MaxOutstandingR2T", "ErrorRecoveryLevel", "MaxConnections"):
    print(f"  {k}={ops.get(k, '(not answered)')}")
check(a.window >= 1, "a command window")

r = a.scsi(bytes([0x12, 0, 0, 0, 96, 0]), read=96)
scsi_line("INQUIRY", r)
check(r[0] == 0 and r[2][8:16] == b"LIO-ORG ", "INQUIRY data")
scsi_line("TEST UNIT READY", a.scsi(bytes([0, 0, 0, 0, 0, 0])))

# 256 KiB + 4 KiB at LBA 8: 8 KiB of immediate data, then R2Ts (MaxBurstLength 256 KiB).
n = 66 * 4096
pattern = bytes((i * 7 + i // 4096) & 0xff for i in range(n))
w = a.scsi(bytes([0x2a, 0, 0, 0, 0, 8, 0]) + (n // 512).to_bytes(2, "big") + b"\0", write=pattern, immediate=8192)
scsi_line("WRITE(10) 264 KiB", w)
check(w[0] == 0, "the write")
rd = a.scsi(bytes([0x28, 0, 0, 0, 0, 8, 0]) + (n // 512).to_bytes(2, "big") + b"\0", read=n)
print(f"READ(10) 264 KiB: status {rd[0]:#x}, {len(rd[2])} bytes, {len(rd[5])} Data-In PDUs, last: {rd[5][-1]}")
check(rd[0] == 0 and rd[2] == pattern, "the data reads back")

# Residuals: a read of 8 blocks with room for 4, and one with room for 16.
scsi_line("READ(10) 8 blocks, EDTL 4 blocks", a.scsi(bytes([0x28, 0, 0, 0, 0, 8, 0, 0, 8, 0]), read=2048))
scsi_line("READ(10) 8 blocks, EDTL 16 blocks", a.scsi(bytes([0x28, 0, 0, 0, 0, 8, 0, 0, 8, 0]), read=8192))
# A CHECK CONDITION with sense data: LBA beyond the end.
scsi_line("READ(10) beyond the end", a.scsi(bytes([0x28, 0, 0x7f, 0xff, 0xff, 0, 0, 0, 1, 0]), read=512))
# A LUN that is not there.
scsi_line("TEST UNIT READY, LUN 9", a.scsi(bytes(6), lun=9 << 48))

# NOP-Out with ping data.
ping = b"tcm-rs ping data"
a.send(0x00, 0x80, ping, itt=a.itt, f20=0xffffffff)
a.cmdsn += 1
a.itt += 1
bhs, data = a.recv()
print(f"NOP-In: opcode {bhs[0]:#x}, ping data echoed: {data == ping}")
check(bhs[0] == 0x20 and data == ping, "NOP-In echoes the ping data")

print("ABORT TASK of an unknown task:", a.tmf(1, ref_itt=0x7777, ref_cmdsn=a.cmdsn + 5))
print("ABORT TASK of a finished task:", a.tmf(1, ref_itt=0x10 + 1, ref_cmdsn=1))
print("LUN RESET:", a.tmf(5))
print("TARGET WARM RESET:", a.tmf(6))
print("CLEAR ACA:", a.tmf(3))
if not LENIENT:
    # LIO answers both "not supported" (lio-differences.md); the lines are
    # left out of the comparison with it.
    r = a.tmf(2)
    print("tcm-rs: ABORT TASK SET:", r)
    check(r == 0, "ABORT TASK SET is function complete")
    r = a.tmf(4)
    print("tcm-rs: CLEAR TASK SET:", r)
    check(r == 0, "CLEAR TASK SET is function complete")
r = a.scsi(bytes(6))
scsi_line("TEST UNIT READY after the LUN reset", r)
scsi_line("TEST UNIT READY again", a.scsi(bytes(6)))

# Round trips at QD 1 (to stderr: timings differ from run to run).
def rate(title, f, n=200):
    t = time.monotonic()
    for _ in range(n):
        check(f()[0] == 0, title)
    sys.stderr.write(f"timing: {title}: {n / (time.monotonic() - t):.0f} per second\n")

rate("4 KiB WRITE(10), immediate data", lambda: a.scsi(bytes([0x2a, 0, 0, 0, 0, 8, 0, 0, 8, 0]),
                                                       write=bytes(4096), immediate=4096))
rate("4 KiB READ(10)", lambda: a.scsi(bytes([0x28, 0, 0, 0, 0, 8, 0, 0, 8, 0]), read=4096))
rate("TEST UNIT READY", lambda: a.scsi(bytes(6)))

# Malformed PDUs, each in a session of its own, while session a lives.
def malformed(what, send):
    b = Session(TARGET, INITIATOR, PORT, 2)
    b.log_in()
    send(b)
    closed = b.closed()
    check(closed, what + ": the connection ends")
    r = a.scsi(bytes(6))
    check(r[0] == 0, what + ": the other session goes on")
    print(f"malformed: {what}: its connection closed, the other session goes on")

if LENIENT:
    print("malformed: not sent (lenient)")
malformed = (lambda what, send: None) if LENIENT else malformed
malformed("a Data-Out with a wrong TTT", lambda b: (
    b.send(0x01, 0xa1, b"", itt=1, f20=16384, cdb=bytes([0x2a, 0, 0, 0, 0, 0, 0, 0, 32, 0]).ljust(16, b"\0")),
    b.recv(),
    b.send(0x05, 0x80, bytes(4096), itt=1, f20=0x12345678, cmdsn=0, f36=0, f40=0)))
malformed("a Data-Out past the R2T", lambda b: (
    b.send(0x01, 0xa1, b"", itt=1, f20=16384, cdb=bytes([0x2a, 0, 0, 0, 0, 0, 0, 0, 32, 0]).ljust(16, b"\0")),
    (lambda r2t: b.send(0x05, 0x80, bytes(4096), itt=1, f20=int.from_bytes(r2t[0][20:24], "big"), cmdsn=0,
                        f36=0, f40=16384))(b.recv())))
malformed("immediate data with a read", lambda b: b.send(
    0x01, 0xc1, bytes(512), itt=1, f20=512, cdb=bytes([0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0]).ljust(16, b"\0")))
malformed("a CmdSN out of the window", lambda b: b.send(
    0x01, 0x81, itt=1, cmdsn=1000, cdb=bytes(16)))
malformed("a data segment longer than declared", lambda b: b.s.sendall(
    bytes([0x00, 0x80, 0, 0, 0, 0xff, 0xff, 0xff]) + bytes(40)))
malformed("a login request in the full-feature phase", lambda b: b.send(0x43, 0x87, itt=9))

a.send(0x46, 0x80, itt=a.itt, cmdsn=a.cmdsn)
bhs, _ = a.recv()
print(f"logout: opcode {bhs[0]:#x} response {bhs[2]}")
check(bhs[0] == 0x26 and bhs[2] == 0, "logout")
# (LIO leaves the closing to the initiator.)
check(LENIENT or a.closed(), "the connection ends after the logout")
print("all good")
