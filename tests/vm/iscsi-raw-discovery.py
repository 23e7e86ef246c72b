# A discovery session spoken PDU by PDU: prints what a target answered,
# numbers made relative (StatSN is random per connection), so that the
# answers of two targets can be compared line by line.
import socket, struct, sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 3261
s = socket.create_connection(("127.0.0.1", port), timeout=20)

def pdu(op, flags, data=b"", itt=1, cmdsn=1, expstatsn=0, extra=b""):
    bhs = bytearray(48)
    bhs[0] = op
    bhs[1] = flags
    bhs[5:8] = len(data).to_bytes(3, "big")
    bhs[16:20] = itt.to_bytes(4, "big")
    bhs[24:28] = cmdsn.to_bytes(4, "big")
    bhs[28:32] = expstatsn.to_bytes(4, "big")
    if extra:
        bhs[8:8 + len(extra)] = extra
    return bytes(bhs) + data + b"\0" * ((4 - len(data) % 4) % 4)

def recv(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b

first = None
def answer(what):
    global first
    bhs = recv(48)
    dlen = int.from_bytes(bhs[5:8], "big")
    data = recv((dlen + 3) & ~3)[:dlen]
    statsn, expcmdsn, maxcmdsn = struct.unpack(">III", bhs[24:36])
    if first is None:
        first = statsn
    keys = sorted(k for k in data.decode().split("\0") if k)
    print(f"{what}: opcode={bhs[0]:#x} flags={bhs[1]:#x} status={bhs[36]:#x}/{bhs[37]:#x} "
          f"statsn=+{(statsn - first) & 0xffffffff} expcmdsn={expcmdsn} maxcmdsn-expcmdsn={(maxcmdsn - expcmdsn) & 0xffffffff} "
          f"tsih={'set' if int.from_bytes(bhs[14:16], 'big') else 0}")
    for k in keys:
        print("   ", k)
    return statsn

isid = bytes([0x80, 0, 0x23, 0x45, 0, 0])
keys = b"InitiatorName=iqn.1994-05.com.redhat:client1\0SessionType=Discovery\0AuthMethod=None\0"
s.sendall(pdu(0x43, 0x81, keys, extra=isid))
st = answer("security")
ops = (b"HeaderDigest=None,CRC32C\0DataDigest=None\0DefaultTime2Wait=2\0DefaultTime2Retain=0\0"
       b"IFMarker=No\0OFMarker=No\0ErrorRecoveryLevel=0\0MaxRecvDataSegmentLength=32768\0"
       b"MaxBurstLength=262144\0X-com.example.unknown=1\0")
s.sendall(pdu(0x43, 0x87, ops, extra=isid, expstatsn=st + 1))
st = answer("operational")
s.sendall(pdu(0x04, 0x80, b"SendTargets=All\0", itt=2, expstatsn=st + 1) [:20] + b"\xff\xff\xff\xff" + pdu(0x04, 0x80, b"SendTargets=All\0", itt=2, expstatsn=st + 1)[24:])
st = answer("text")
# (No NOP-Out: LIO drops a discovery session on one, lio-differences.md.)
s.sendall(pdu(0x46, 0x80, itt=4, cmdsn=2, expstatsn=st + 1))
answer("logout")
