#!/bin/sh
# zt-vl2d with a planet root that is not the controller: a root host
# (zt-vl1d only), a controller host (zt-vl1d + zt-controllerd, a leaf)
# and two members.  Members send their MULTICAST_LIKEs to every root and
# their GATHERs to the best root through zt-vl1d (VL2_SEND destination
# 0); the controller does not answer gathers, so the first ping over
# empty ARP caches works only if the root stored one member's LIKE and
# answered the other's GATHER.  zt-vl1d names the node's address at
# connect: the MAC is known before any packet.  Once the members talk,
# each announces its groups to the other (LIKEs to members).
# usage: test-vl2-root.sh ZT-VL1D ZT-CONTROLLERD ZT-TAPD ZT-VL2D ZT-CTL VECTORS
set -u
vl1d=$1 ctrld=$2 tapd=$3 vl2d=$4 ctl=$5 vectors=$6
. "$(dirname "$0")/lib.sh"
need_root
sh "$(dirname "$0")/../setup-users.sh"

p=zr$$
net_setup "$p" 4
chmod 755 "$tmp"
eval "$(python3 -c 'import json, sys
for v in json.load(open(sys.argv[1]))["valid"]:
    if v["name"] in ("root1", "controller", "alice", "bob"):
        for k in ("secret", "public", "address"):
            print("%s_%s=%s" % (v["name"], k, v[k]))' \
    "$vectors/identities.json")"
"$ctl" world genkey "$tmp/planet.key" >/dev/null || exit 1
"$ctl" world make planet 7 1700000000000 "$tmp/planet.key" "$tmp/planet" \
    "$root1_public@198.18.1.1/9993" >/dev/null || exit 1

tun=""
if [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
	tun=$tmp/tun
	mknod "$tun" c 10 200 && chmod 666 "$tun" || exit 1
fi

# ICMP echo over a raw socket: COUNT pings INTERVAL s apart within
# DEADLINE s; succeeds if any came back
cat >"$tmp/ping.py" <<'PING'
import os, select, socket, struct, sys, time
dst, count, gap, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), \
    float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident = os.getpid() & 0xffff
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    return ~(t + (t >> 16)) & 0xffff
start = time.time()
seq = got = 0
nxt = start
while time.time() < start + limit:
    now = time.time()
    if seq < count and now >= nxt:
        h = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"zt-privsep" * 5
        s.sendto(h[:2] + struct.pack("!H", csum(h)) + h[4:], (dst, 0))
        seq += 1
        nxt += gap
    if seq >= count and got >= count:
        break
    r, _, _ = select.select([s], [], [], 0.02)
    if not r:
        continue
    b = s.recv(2048)
    o = (b[0] & 15) * 4
    if len(b) >= o + 8 and b[o] == 0 and \
            struct.unpack("!H", b[o + 4:o + 6])[0] == ident:
        got += 1
sys.exit(0 if got else 1)
PING

start_vl1d() {	# start_vl1d INDEX NAME
	h=$tmp/home$1
	mkdir -p "$h" "$tmp/run$1"
	chmod 755 "$tmp/run$1"
	eval "echo \"\$${2}_secret\"" >"$h/identity.secret"
	eval "echo \"\$${2}_public\"" >"$h/identity.public"
	cp "$tmp/planet" "$h/planet"
	echo '{"settings":{"allowSecondaryPort":false}}' >"$h/local.conf"
	chown -R zt-vl1 "$h"
	chmod 700 "$h"
	ip netns exec "$p$1" "$vl1d" -H "$h" -R "$tmp/run$1" \
	    -b "198.18.$1.1/9993" 2>"$tmp/log$1" &
	pids="$pids $!"
}

start_member() {	# start_member INDEX: zt-tapd, and zt-vl2d alone
	mkdir -p "$tmp/tapd$1" "$tmp/vl2d$1"
	chown zt-tap:zt-tap "$tmp/tapd$1"
	chown zt-vl2:zt-vl2 "$tmp/vl2d$1"
	ip netns exec "$p$1" sh -c '[ -z "$1" ] || mount --bind "$1" \
	    /dev/net/tun || exit 1; shift; exec "$@"' sh "$tun" "$tapd" \
	    -H "$tmp/tapd$1" -R "$tmp/run$1" -m 300 2>>"$tmp/logt$1" &
	pids="$pids $!"
	unshare -n "$vl2d" -d "$tmp/vl2d$1" -R "$tmp/run$1" -l debug \
	    --time-scale 5 2>>"$tmp/logv$1" &
	pids="$pids $!"
}

start_vl1d 1 root1
start_vl1d 2 controller
start_vl1d 3 alice
start_vl1d 4 bob
mkdir -p "$tmp/ctrl"
chown zt-ctrl "$tmp/ctrl"
cp "$tmp/home2/identity.public" "$tmp/ctrl.public"
ip netns exec "${p}2" "$ctrld" -d "$tmp/ctrl" -R "$tmp/run2" \
    -I "$tmp/ctrl.public" -P 0 2>"$tmp/logc" &
pids="$pids $!"
for i in 3 4; do
	start_member $i
done
check "controller socket appears" \
    wait_for 10 test -S "$tmp/run2/zt-controllerd.sock"

ctlc() { "$ctl" -R "$tmp/run2" "$@"; }
nwid=$(ctlc -j controller network create rootnet |
    sed -n 's/.*"id": *"\([0-9a-f]\{16\}\)".*/\1/p' | head -n 1)
check "network created ($nwid)" test -n "$nwid"
ctlc controller network update "$nwid" '{"private": true,
    "ipAssignmentPools": [{"ipRangeStart": "10.147.18.10",
    "ipRangeEnd": "10.147.18.20"}], "v4AssignMode": {"zt": true},
    "routes": [{"target": "10.147.18.0/24"}]}' >/dev/null
ctlc controller member authorize "$nwid" "$alice_address" >/dev/null
ctlc controller member authorize "$nwid" "$bob_address" >/dev/null
for i in 3 4; do
	check "member $i reaches the root" wait_for 10 sh -c \
	    "'$ctl' -R '$tmp/run$i' peers 2>/dev/null | grep PLANET |
	    grep -q DIRECT"
	check "zt-vl2d $i serves" wait_for 10 test -S "$tmp/run$i/zt-vl2d.sock"
done
# no packet has reached zt-vl2d yet: zt-vl1d told it the address
check "zt-vl1d names the node address at connect" wait_for 5 grep -q \
    "node address $alice_address" "$tmp/logv3"
mac=$(python3 -c 'import sys
a, n = int(sys.argv[1], 16), int(sys.argv[2], 16)
# spec/vl2.md §1: first octet from the nwid, locally administered
f = (n & 0xfe) | 0x02
f = 0x32 if f == 0x52 else f
m = f << 40 | a
for i in range(5):
    m ^= ((n >> (8 * (i + 1))) & 0xff) << (32 - 8 * i)
print(":".join("%02x" % ((m >> (40 - 8 * i)) & 0xff) for i in range(6)))' \
    "$alice_address" "$nwid")
for i in 3 4; do
	check "join on $i" sh -c \
	    "'$ctl' -R '$tmp/run$i' join $nwid | grep -q '200 join OK'"
done
check "the MAC ($mac) is shown at once" sh -c \
    "'$ctl' -R '$tmp/run3' listnetworks | grep -q ' $mac '"
for i in 3 4; do
	check "member $i OK through the root" wait_for 12 sh -c \
	    "'$ctl' -R '$tmp/run$i' listnetworks | grep -q ' OK PRIVATE '"
done
check "the controller is a leaf to the members" sh -c \
    "'$ctl' -R '$tmp/run3' peers | grep '$controller_address' |
    grep -q LEAF"
a3=$("$ctl" -R "$tmp/run3" get "$nwid" ip4)
a4=$("$ctl" -R "$tmp/run4" get "$nwid" ip4)
dev3=$("$ctl" -R "$tmp/run3" get "$nwid" portDeviceName)
dev4=$("$ctl" -R "$tmp/run4" get "$nwid" portDeviceName)
check "addresses assigned ($a3, $a4)" test -n "$a3" -a -n "$a4"
for i in 3 4; do
	eval "d=\$dev$i a=\$a$i"
	check "member $i's TAP has its address" wait_for 10 sh -c \
	    "ip -n $p$i addr show dev $d | grep -q 'inet $a/'"
done
ip -n "${p}3" neigh flush all
ip -n "${p}4" neigh flush all
# ARP: alice's GATHER is answered by the root with bob's LIKE
ip netns exec "${p}3" python3 "$tmp/ping.py" "$a4" 2 0.5 5
check "first ping with empty ARP caches (answered by the root)" \
    test $? = 0
ip netns exec "${p}4" python3 "$tmp/ping.py" "$a3" 2 0.2 3
check "ping the other way" test $? = 0
check "members announce their groups to each other" wait_for 5 sh -c \
    "'$ctl' -R '$tmp/run3' -j listnetworks |
    grep -q '\"memberLikes\": *[1-9]'"

if [ "$failed" != 0 ] || [ -n "${ZT_TEST_VERBOSE:-}" ]; then
	for i in 3 4; do
		echo "--- listnetworks $i"
		"$ctl" -R "$tmp/run$i" -j listnetworks
	done
	for f in log1 log2 log3 log4 logc logt3 logv3 logv4; do
		echo "--- $f"
		tail -n 40 "$tmp/$f"
	done
fi
finish
