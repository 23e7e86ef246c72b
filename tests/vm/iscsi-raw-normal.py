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
import socket
import struct
import sys
import time

TARGET, INITIATOR = sys.argv[1], sys.argv[2]
PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 3260
LENIENT = len(sys.argv) > 4 and sys.argv[4] == "lenient"
MRDSL = 8192


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)


class Session:
    def __init__(self, isid_low):
        self.s = socket.create_connection(("127.0.0.1", PORT), timeout=30)
        self.isid = bytes([0x80, 0, 0x23, 0x45, 0, isid_low])
        self.itt = 0x10
        self.cmdsn = 1
        self.expstatsn = 0

    def send(self, op, flags, data=b"", itt=None, lun=0, f20=0, cmdsn=None, cdb=b"", f36=0, f40=0, ahs=b""):
        bhs = bytearray(48)
        bhs[0] = op
        bhs[1] = flags
        bhs[4] = len(ahs) // 4
        bhs[5:8] = len(data).to_bytes(3, "big")
        bhs[8:16] = lun.to_bytes(8, "big")
        bhs[16:20] = (self.itt if itt is None else itt).to_bytes(4, "big")
        bhs[20:24] = f20.to_bytes(4, "big")
        bhs[24:28] = (self.cmdsn if cmdsn is None else cmdsn).to_bytes(4, "big")
        bhs[28:32] = self.expstatsn.to_bytes(4, "big")
        if cdb:
            bhs[32:32 + len(cdb)] = cdb
        else:
            bhs[36:40] = f36.to_bytes(4, "big")
            bhs[40:44] = f40.to_bytes(4, "big")
        self.s.sendall(bytes(bhs) + ahs + data + b"\0" * ((4 - len(data) % 4) % 4))

    def recv_exact(self, n):
        b = b""
        while len(b) < n:
            c = self.s.recv(n - len(b))
            if not c:
                raise EOFError
            b += c
        return b

    def recv(self):
        while True:
            bhs, data = self.recv_one()
            if bhs[0] & 0x3f != 0x20 or bhs[16:20] != b"\xff" * 4:
                return bhs, data
            # The target's own NOP-In (LIO pings, and opens the command
            # window that way): answered if it asks.
            if bhs[20:24] != b"\xff" * 4:
                self.send(0x40, 0x80, itt=0xffffffff, f20=int.from_bytes(bhs[20:24], "big"))

    def recv_one(self):
        bhs = self.recv_exact(48)
        dlen = int.from_bytes(bhs[5:8], "big")
        data = self.recv_exact((dlen + 3) & ~3)[:dlen]
        op = bhs[0] & 0x3f
        statsn, expcmdsn, maxcmdsn = struct.unpack(">III", bhs[24:36])
        carries_status = op in (0x21, 0x22, 0x23, 0x24, 0x26, 0x3f) or (op == 0x20 and bhs[16:20] != b"\xff" * 4) \
            or (op == 0x25 and bhs[1] & 1)
        if carries_status:
            self.expstatsn = statsn + 1
        self.window = (maxcmdsn - expcmdsn + 1) & 0xffffffff
        self.expcmdsn = expcmdsn
        return bhs, data

    def closed(self):
        self.s.settimeout(5)
        try:
            while True:
                if self.s.recv(4096) == b"":
                    return True
        except (ConnectionResetError, socket.timeout):
            return isinstance(sys.exc_info()[1], ConnectionResetError)

    def login_pdu(self, flags, keys):
        bhs = bytearray(48)
        bhs[0] = 0x43
        bhs[1] = flags
        bhs[5:8] = len(keys).to_bytes(3, "big")
        bhs[8:14] = self.isid
        bhs[16:20] = self.itt.to_bytes(4, "big")
        bhs[24:28] = self.cmdsn.to_bytes(4, "big")
        bhs[28:32] = self.expstatsn.to_bytes(4, "big")
        self.s.sendall(bytes(bhs) + keys + b"\0" * ((4 - len(keys) % 4) % 4))
        return self.recv()

    def log_in(self, ops=b""):
        sec = f"InitiatorName={INITIATOR}\0TargetName={TARGET}\0SessionType=Normal\0AuthMethod=None\0".encode()
        bhs, data = self.login_pdu(0x81, sec)
        check(bhs[0] == 0x23 and bhs[36:38] == b"\0\0", f"security stage: {bhs.hex()}")
        sec_keys = sorted(k.split("=")[0] for k in data.decode().split("\0") if k)
        ops = ops or (b"HeaderDigest=None,CRC32C\0DataDigest=None,CRC32C\0InitialR2T=Yes\0ImmediateData=Yes\0"
                      b"MaxRecvDataSegmentLength=8192\0MaxBurstLength=262144\0FirstBurstLength=65536\0"
                      b"MaxOutstandingR2T=1\0DataPDUInOrder=Yes\0DataSequenceInOrder=Yes\0ErrorRecoveryLevel=0\0"
                      b"MaxConnections=1\0DefaultTime2Wait=2\0DefaultTime2Retain=0\0IFMarker=No\0OFMarker=No\0")
        bhs, data = self.login_pdu(0x87, ops)
        check(bhs[0] == 0x23 and bhs[36:38] == b"\0\0", f"operational stage: {bhs.hex()}")
        check(bhs[1] & 0x80 and bhs[1] & 3 == 3, "login goes to the full-feature phase")
        check(int.from_bytes(bhs[14:16], "big") != 0, "a TSIH")
        answered = dict(k.split("=", 1) for k in data.decode().split("\0") if k)
        self.itt += 1
        return sec_keys, answered

    def scsi(self, cdb, read=0, write=b"", edtl=None, immediate=None, attr=1, lun=0):
        """A SCSI command; returns (status, sense, data read, flags, residual, PDUs seen)."""
        itt = self.itt
        self.itt += 1
        edtl = (read or len(write)) if edtl is None else edtl
        imm = write[:immediate] if immediate is not None else b""
        flags = 0x80 | (0x40 if read else 0) | (0x20 if write else 0) | attr
        self.send(0x01, flags, imm, itt=itt, lun=lun, f20=edtl, cdb=cdb.ljust(16, b"\0"))
        self.cmdsn += 1
        got = bytearray()
        pdus = []
        sent = len(imm)
        while True:
            bhs, data = self.recv()
            op = bhs[0] & 0x3f
            check(bhs[16:20] == itt.to_bytes(4, "big"), f"ITT of {bhs.hex()}")
            if op == 0x31:  # R2T
                ttt = bhs[20:24]
                r2tsn, off, length = struct.unpack(">III", bhs[36:48])
                pdus.append(f"R2T R2TSN={r2tsn} offset={off} length={length}")
                check(off == sent, "R2T offset")
                datasn = 0
                while length:
                    n = min(length, MRDSL)
                    last = n == length
                    self.send(0x05, 0x80 if last else 0, write[off:off + n], itt=itt, lun=lun,
                              f20=int.from_bytes(ttt, "big"), cmdsn=0, f36=datasn, f40=off)
                    datasn += 1
                    off += n
                    length -= n
                sent = off
            elif op == 0x25:  # Data-In
                datasn, off = struct.unpack(">II", bhs[36:44])
                check(off == len(got), "Data-In offset")
                check(len(data) <= MRDSL, "Data-In within MaxRecvDataSegmentLength")
                got += data
                pdus.append(f"Data-In {len(data)}{' F' if bhs[1] & 0x80 else ''}{' S' if bhs[1] & 1 else ''}")
                if bhs[1] & 1:
                    res = ("O" if bhs[1] & 4 else "") + ("U" if bhs[1] & 2 else "")
                    return bhs[3], b"", bytes(got), res, int.from_bytes(bhs[44:48], "big"), pdus
            elif op == 0x21:  # SCSI Response
                res = ("O" if bhs[1] & 4 else "") + ("U" if bhs[1] & 2 else "")
                sense = data[2:2 + int.from_bytes(data[:2], "big")] if data else b""
                pdus.append(f"Response {bhs[2]}/{bhs[3]:#x}")
                return bhs[3], sense, bytes(got), res, int.from_bytes(bhs[44:48], "big"), pdus
            else:
                check(False, f"unexpected PDU {bhs.hex()}")

    def tmf(self, function, lun=0, ref_itt=0xffffffff, ref_cmdsn=0):
        self.send(0x02, 0x80 | function, itt=self.itt, lun=lun, f20=ref_itt, cmdsn=self.cmdsn,
                  f36=0, f40=0, cdb=ref_cmdsn.to_bytes(4, "big") + bytes(12))
        self.itt += 1
        self.cmdsn += 1
        bhs, _ = self.recv()
        check(bhs[0] == 0x22, f"TMF response: {bhs.hex()}")
        return bhs[2]


def scsi_line(title, r):
    status, sense, data, res, count, pdus = r
    sk = f" sense {sense[2] & 0xf:#x}/{sense[12]:#x}/{sense[13]:#x}" if len(sense) > 13 else ""
    print(f"{title}: status {status:#x}{sk} data {len(data)} residual {res or '-'} {count if res else ''}".rstrip())
    print("   ", ", ".join(pdus))


a = Session(1)
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
    b = Session(2)
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
