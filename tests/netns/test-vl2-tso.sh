#!/bin/sh
# zt-vl2d's TAP offloads end to end (issue 6 item 6): alice's zt-vl2d
# opens its TAP with a virtio header and TSO, bob's runs --no-offload.
# A few MB of TCP from alice to bob: alice's kernel hands super-frames
# to her TAP (seen there, longer than the MTU), and every frame that
# reaches bob's TAP is within the network MTU with IPv4 and TCP
# checksums that verify; the bytes arrive intact.  The other way, bob's
# segments are joined again (GRO) for alice's TAP; her kernel's TCP
# checks the joined super-frames and the bytes arrive intact too.
# usage: test-vl2-tso.sh ZT-VL1D ZT-CONTROLLERD ZT-TAPD ZT-VL2D ZT-CTL VECTORS
# shellcheck disable=SC2154 # set by lib.sh and lib-vl2.sh, also through eval
set -u
vl1d=$1 ctrld=$2 tapd=$3 vl2d=$4 ctl=$5 vectors=$6
netns_lib=$(dirname "$0")
. "$netns_lib/lib.sh"
. "$netns_lib/lib-vl2.sh"
vl2_setup zo$$ 3 controller alice bob
# zt-vl2d at its default log level: the TCP runs move thousands of frames
vl2d_args="--time-scale 5"

# tcp.py PEER BYTES IFACE MTU: TCP both ways at once on port 5001, BYTES
# pseudo-random bytes to PEER while taking what PEER sends, and an
# AF_PACKET socket watching IFACE.  Prints "sent HEX" and "got HEX", the
# SHA-256 of either stream, "out N" and "in N", the longest frame sent
# and received on IFACE, and "frames N bad M" over the TCP frames that
# arrived: bad ones are longer than 14 + MTU or fail an IPv4 or TCP
# checksum.
cat >"$tmp/tcp.py" <<'TCP'
import hashlib, random, select, socket, struct, sys, threading, time
peer, total, iface, mtu = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
    int(sys.argv[4])
cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
cap.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
cap.bind((iface, 0))
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("0.0.0.0", 5001))
ls.listen(1)
def csum(b):
    if len(b) & 1:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t >> 16) + (t & 0xffff)
    return t
res = {}
def sender():
    end = time.time() + 10
    while True:
        try:
            s = socket.create_connection((peer, 5001), timeout=10)
            break
        except OSError:
            if time.time() > end:
                return
            time.sleep(0.1)
    sha, rnd, left = hashlib.sha256(), random.Random(total), total
    while left:
        b = rnd.randbytes(min(left, 65536))
        sha.update(b)
        s.sendall(b)
        left -= len(b)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()
    res["sent"] = sha.hexdigest()
def receiver():
    c, _ = ls.accept()
    c.settimeout(10)
    sha = hashlib.sha256()
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        sha.update(b)
    c.close()
    res["got"] = sha.hexdigest()
ts = [threading.Thread(target=f, daemon=True) for f in (sender, receiver)]
for t in ts:
    t.start()
frames, end = [], time.time() + 15
while time.time() < end:
    r, _, _ = select.select([cap], [], [], 0.1)
    if r:
        frames.append(cap.recvfrom(70000))
    elif len(res) == 2:
        break
out = inn = tcp = bad = 0
for f, a in frames:
    # PACKET_OUTGOING (4) is what this host sent, the rest arrived
    if a[2] == 4:
        out = max(out, len(f))
        continue
    inn = max(inn, len(f))
    if len(f) < 34 or f[12:14] != b"\x08\x00" or f[23] != 6:
        continue
    ip = f[14:]
    hl = (ip[0] & 15) * 4
    tcp += 1
    tl = struct.unpack("!H", ip[2:4])[0]
    seg = ip[hl:tl]
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(seg))
    if len(f) > 14 + mtu or csum(ip[:hl]) != 0xffff or \
            csum(pseudo + seg) != 0xffff:
        bad += 1
print("sent", res.get("sent", "incomplete"))
print("got", res.get("got", "incomplete"))
print("out", out)
print("in", inn)
print("frames", tcp, "bad", bad)
TCP

vl2_start 1 controller alice "bob --no-offload"
vl2_network tso 10.147.18
vl2_authorize alice bob
vl2_up 2 3
vl2_join 2 3
vl2_ok 2 3
mtu=$("$ctl" -R "$tmp/run3" -j listnetworks |
    sed -n 's/.*"mtu": *\([0-9]*\).*/\1/p' | head -n 1)
check "addresses assigned ($a2 $dev2, $a3 $dev3, mtu $mtu)" \
    test -n "$a2" -a -n "$a3" -a -n "$mtu"
check "alice's TAP has offloads" wait_for 5 grep -q "TAP offloads: csum" \
    "$tmp/logv2"
check "bob's TAP has none" sh -c "! grep -q 'TAP offloads' '$tmp/logv3'"

# both ways at once: alice's super-frames cut to the MTU for bob, bob's
# segments joined for alice's TAP (her kernel's TCP checks them)
ip netns exec "${p}3" python3 "$tmp/tcp.py" "$a2" 2000000 "$dev3" \
    "$mtu" >"$tmp/tcp3" 2>&1 &
rx=$!
ip netns exec "${p}2" python3 "$tmp/tcp.py" "$a3" 4000000 "$dev2" \
    "$mtu" >"$tmp/tcp2" 2>&1
wait "$rx"
same() {	# same FILE1 KEY1 FILE2 KEY2: complete and equal hashes
	h=$(awk -v k="$2" '$1 == k { print $2 }' "$1")
	[ -n "$h" ] && [ "$h" != incomplete ] &&
	    [ "$h" = "$(awk -v k="$4" '$1 == k { print $2 }' "$3")" ]
}
check "alice -> bob: bytes intact" same "$tmp/tcp2" sent "$tmp/tcp3" got
check "bob -> alice (joined): bytes intact" \
    same "$tmp/tcp3" sent "$tmp/tcp2" got
check "alice's kernel handed over super-frames" awk -v m="$mtu" \
    '$1 == "out" && $2 > m + 14 { ok = 1 } END { exit !ok }' "$tmp/tcp2"
check "every TCP frame on bob's TAP within the MTU, checksums valid" \
    awk '$1 == "frames" && $2 > 1000 && $4 == 0 { ok = 1 }
    END { exit !ok }' "$tmp/tcp3"
check "alice's TAP took joined super-frames" awk -v m="$mtu" \
    '$1 == "in" && $2 > m + 14 { ok = 1 } END { exit !ok }' "$tmp/tcp2"

vl2_report 40 "" tcp2 tcp3 logv2 logv3 logt2 logt3
finish
