# A normal iSCSI session spoken PDU by PDU: the initiator side that
# tests/vm/iscsi-raw-normal.py and tests/vm/iscsi-raw-order.py share.
# Login (no authentication), SCSI commands with their Data-Out, Data-In and
# R2Ts, task management; the target's NOP-Ins are answered.
import socket
import struct
import sys

MRDSL = 8192


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)


class Session:
    def __init__(self, target, initiator, port, isid_low):
        self.target, self.initiator = target, initiator
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
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
        sec = (f"InitiatorName={self.initiator}\0TargetName={self.target}\0SessionType=Normal\0"
               "AuthMethod=None\0").encode()
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

    def start(self, cdb, read=0, attr=1, lun=0):
        """Sends a SCSI command without data out and returns its ITT; its
        answer is left for `answer`."""
        itt = self.itt
        self.itt += 1
        flags = 0x80 | (0x40 if read else 0) | attr
        self.send(0x01, flags, itt=itt, lun=lun, f20=read, cdb=cdb.ljust(16, b"\0"))
        self.cmdsn += 1
        return itt

    def answer(self):
        """The next command to end, of those `start` sent: (ITT, status,
        sense data)."""
        while True:
            bhs, data = self.recv()
            op = bhs[0] & 0x3f
            itt = int.from_bytes(bhs[16:20], "big")
            if op == 0x25 and bhs[1] & 1:  # Data-In with status
                return itt, bhs[3], b""
            if op == 0x21:  # SCSI Response
                return itt, bhs[3], data[2:2 + int.from_bytes(data[:2], "big")] if data else b""
            check(op == 0x25, f"unexpected PDU {bhs.hex()}")
