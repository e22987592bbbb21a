# ICMP echo over a raw socket, for hosts without a ping binary and for
# logs a test can read: ping.py DEST COUNT INTERVAL DEADLINE sends COUNT
# echoes INTERVAL s apart and stops once all are answered or DEADLINE s
# have passed.  Prints "sent SEQ TIME" per echo and "reply SEQ TIME" per
# answer (TIME in s since the epoch); exits 0 if any answer came.  DEST
# may be IPv6 (ICMPv6: the kernel fills in the checksum).
import os
import select
import socket
import struct
import sys
import time

dst, count, gap, limit = sys.argv[1], int(sys.argv[2]), \
    float(sys.argv[3]), float(sys.argv[4])
v6 = ":" in dst
if v6:
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    req, rep = 128, 129
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    req, rep = 8, 0
# every raw socket of the namespace sees every echo reply: the
# identifier tells this run's apart when pings run side by side
ident = os.getpid() & 0xffff


def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    return ~(t + (t >> 16)) & 0xffff


start = time.time()
seq = got = 0
nxt = start
while time.time() < start + limit:
    if seq < count and time.time() >= nxt:
        h = struct.pack("!BBHHH", req, 0, 0, ident, seq & 0xffff) + \
            b"zt-privsep" * 5
        s.sendto(h[:2] + struct.pack("!H", 0 if v6 else csum(h)) + h[4:],
                 (dst, 0))
        print("sent %d %.3f" % (seq & 0xffff, time.time()), flush=True)
        seq += 1
        nxt += gap
    if seq >= count and got >= count:
        break
    r, _, _ = select.select([s], [], [], 0.01)
    if not r:
        continue
    b = s.recv(2048)
    # IPv4 raw sockets get the IP header, IPv6 ones do not
    o = 0 if v6 else (b[0] & 15) * 4
    if len(b) >= o + 8 and b[o] == rep and \
            struct.unpack("!H", b[o + 4:o + 6])[0] == ident:
        got += 1
        print("reply %d %.3f" % (struct.unpack("!H", b[o + 6:o + 8])[0],
              time.time()), flush=True)
sys.exit(0 if got else 1)
