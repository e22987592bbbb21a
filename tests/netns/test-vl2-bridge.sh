#!/bin/sh
# Bridging (spec/vl2.md §7.2, §9): a controller host and two members,
# alice (A) and bob (B).  On B's host a Linux bridge joins B's TAP and a
# veth to a namespace "behind" B whose MAC is not a ZeroTier MAC, with an
# address in the network's subnet.  The controller marks B activeBridge:
# A pings the host behind B over empty ARP caches (the ARP request goes
# by multicast, the reply and the pings by EXT_FRAME), A learns that the
# host's MAC is behind B.  Un-marked (pushed to every member by a network
# change), B's zt-vl2d drops the frames with a foreign source MAC and the
# pings stop.  Marked again by a member change, which is pushed to B
# only: B sends the bridged frames, A (whose config does not list B as a
# bridge yet) drops them as spoofed; a network change tells A and the
# pings come back.
# usage: test-vl2-bridge.sh ZT-VL1D ZT-CONTROLLERD ZT-TAPD ZT-VL2D ZT-CTL VECTORS
set -u
vl1d=$1 ctrld=$2 tapd=$3 vl2d=$4 ctl=$5 vectors=$6
. "$(dirname "$0")/lib.sh"
need_root
sh "$(dirname "$0")/../setup-users.sh"

p=zb$$
net_setup "$p" 3
chmod 755 "$tmp"
eval "$(python3 -c 'import json, sys
for v in json.load(open(sys.argv[1]))["valid"]:
    if v["name"] in ("controller", "alice", "bob"):
        for k in ("secret", "public", "address"):
            print("%s_%s=%s" % (v["name"], k, v[k]))' \
    "$vectors/identities.json")"
"$ctl" world genkey "$tmp/planet.key" >/dev/null || exit 1
"$ctl" world make planet 7 1700000000000 "$tmp/planet.key" "$tmp/planet" \
    "$controller_public@198.18.1.1/9993" >/dev/null || exit 1

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

# counter INDEX NAME: a switch counter of member INDEX's network
counter() {
	"$tmp/counter" "$@"
}

# a switch counter: counter INDEX NAME (zt-ctl's JSON has one per line)
cat >"$tmp/counter" <<CNT
#!/bin/sh
"$ctl" -R "$tmp/run\$1" -j listnetworks |
    sed -n "s/^ *\"\$2\": *\([0-9]*\).*/\1/p" | grep . || echo -1
CNT
chmod 755 "$tmp/counter"

start_vl1d 1 controller
start_vl1d 2 alice
start_vl1d 3 bob
mkdir -p "$tmp/ctrl"
chown zt-ctrl "$tmp/ctrl"
cp "$tmp/home1/identity.public" "$tmp/ctrl.public"
ip netns exec "${p}1" "$ctrld" -d "$tmp/ctrl" -R "$tmp/run1" \
    -I "$tmp/ctrl.public" -P 0 2>"$tmp/logc" &
pids="$pids $!"
start_member 2
start_member 3
check "controller socket appears" \
    wait_for 10 test -S "$tmp/run1/zt-controllerd.sock"

ctlc() { "$ctl" -R "$tmp/run1" "$@"; }
nwid=$(ctlc -j controller network create bridgenet |
    sed -n 's/.*"id": *"\([0-9a-f]\{16\}\)".*/\1/p' | head -n 1)
check "network created ($nwid)" test -n "$nwid"
ctlc controller network update "$nwid" '{"private": true,
    "ipAssignmentPools": [{"ipRangeStart": "10.147.19.10",
    "ipRangeEnd": "10.147.19.20"}], "v4AssignMode": {"zt": true},
    "routes": [{"target": "10.147.19.0/24"}]}' >/dev/null
# B is a bridge before anyone's first config: A's lists it from the start
check "bob marked activeBridge" sh -c "'$ctl' -R '$tmp/run1' -j controller \
    member update $nwid $bob_address '{\"activeBridge\": true}' |
    grep -q '\"activeBridge\": *true'"
ctlc controller member authorize "$nwid" "$alice_address" >/dev/null
ctlc controller member authorize "$nwid" "$bob_address" >/dev/null
for i in 2 3; do
	check "member $i reaches the controller" wait_for 10 sh -c \
	    "'$ctl' -R '$tmp/run$i' peers 2>/dev/null | grep -q DIRECT"
	check "zt-vl2d $i serves" wait_for 10 test -S "$tmp/run$i/zt-vl2d.sock"
	check "join on $i" sh -c \
	    "'$ctl' -R '$tmp/run$i' join $nwid | grep -q '200 join OK'"
done
for i in 2 3; do
	check "member $i OK" wait_for 10 sh -c \
	    "'$ctl' -R '$tmp/run$i' listnetworks | grep -q ' OK PRIVATE '"
done
a2=$("$ctl" -R "$tmp/run2" get "$nwid" ip4)
dev2=$("$ctl" -R "$tmp/run2" get "$nwid" portDeviceName)
dev3=$("$ctl" -R "$tmp/run3" get "$nwid" portDeviceName)
check "A's TAP has its address ($a2)" wait_for 10 sh -c \
    "ip -n ${p}2 addr show dev $dev2 | grep -q 'inet $a2/'"

# the host behind B: its own MAC (locally administered, not derived from
# any ZeroTier address), an address of the network's subnet
hmac=0e:5a:11:22:33:44
ip netns add "${p}h" || exit 1
namespaces="$namespaces ${p}h"
ip -n "${p}3" link add zbr type bridge &&
ip -n "${p}3" link set "$dev3" master zbr &&
ip -n "${p}3" link add zbv type veth peer name zbh &&
ip -n "${p}3" link set zbh netns "${p}h" &&
ip -n "${p}3" link set zbv master zbr up &&
ip -n "${p}3" link set zbr up &&
ip -n "${p}h" link set zbh address "$hmac" &&
ip -n "${p}h" addr add 10.147.19.100/24 dev zbh &&
ip -n "${p}h" link set zbh up
check "bridge on B's host made" test $? = 0
check "B's TAP is a bridge port" sh -c \
    "ip -n ${p}3 link show dev $dev3 | grep -q 'master zbr'"

ip -n "${p}2" neigh flush all
ip -n "${p}h" neigh flush all
check "A pings the host behind bridge B over empty ARP caches" \
    ip netns exec "${p}2" python3 "$tmp/ping.py" 10.147.19.100 3 0.2 5
check "A has the host's MAC in its ARP cache" sh -c \
    "ip -n ${p}2 neigh show 10.147.19.100 | grep -q $hmac"
check "B sent bridged frames" test "$(counter 3 out_bridged)" -gt 0
check "A learned a MAC behind a bridge" \
    test "$(counter 2 mac_learned)" -gt 0
check "A sent unicast to the MAC behind B" \
    test "$(counter 2 out_bridged)" -gt 0
check "the host pings A back" \
    ip netns exec "${p}h" python3 "$tmp/ping.py" "$a2" 2 0.2 3

# un-marked, with a network change that pushes to every member: B no
# longer forwards frames whose source MAC is not its own
ctlc controller member update "$nwid" "$bob_address" \
    '{"activeBridge": false}' >/dev/null
ctlc controller network update "$nwid" '{"name": "bridgenet2"}' >/dev/null
check "B's config no longer makes it a bridge" wait_for 10 sh -c \
    "[ \"\$('$ctl' -R '$tmp/run3' get $nwid name)\" = bridgenet2 ] &&
    [ \"\$('$ctl' -R '$tmp/run2' get $nwid name)\" = bridgenet2 ]"
nb0=$(counter 3 out_drop_not_bridge)
ip netns exec "${p}2" python3 "$tmp/ping.py" 10.147.19.100 3 0.2 1.5
check "no reply from the host once B is not a bridge" test $? != 0
ip netns exec "${p}h" python3 "$tmp/ping.py" "$a2" 3 0.2 1.5
check "the host gets no reply from A" test $? != 0
check "B dropped the host's frames (source MAC not its own)" \
    test "$(counter 3 out_drop_not_bridge)" -gt "$nb0"

# marked again: a member change is pushed to B only, A's config still
# lacks B as a bridge and A drops what B bridges to it.  The host knows
# A's MAC for good: its ARP broadcasts would be dropped by A's multicast
# path instead, never reaching the unicast check
mac2=$("$ctl" -R "$tmp/run2" get "$nwid" mac)
ip -n "${p}h" neigh replace "$a2" lladdr "$mac2" dev zbh nud permanent
nc3=$(grep -c 'config revision' "$tmp/logv3")
ctlc controller member update "$nwid" "$bob_address" \
    '{"activeBridge": true}' >/dev/null
check "the member change is pushed to B" wait_for 10 sh -c \
    "[ \$(grep -c 'config revision' '$tmp/logv3') -gt $nc3 ]"
nr0=$(counter 2 in_drop_bridging_remote)
check "A drops frames B bridges before A knows B is a bridge" \
    wait_for 8 sh -c "ip netns exec ${p}h python3 '$tmp/ping.py' $a2 1 0.2 \
    0.3; [ \$(\"\$0\" 2 in_drop_bridging_remote) -gt $nr0 ]" "$tmp/counter"
ctlc controller network update "$nwid" '{"name": "bridgenet3"}' >/dev/null
check "pings come back once A's config lists B as a bridge" wait_for 10 \
    ip netns exec "${p}h" python3 "$tmp/ping.py" "$a2" 1 0.2 1

if [ "$failed" != 0 ] || [ -n "${ZT_TEST_VERBOSE:-}" ]; then
	for i in 2 3; do
		echo "--- listnetworks $i"
		"$ctl" -R "$tmp/run$i" -j listnetworks
	done
	for f in log1 log2 log3 logc logt2 logt3 logv2 logv3; do
		echo "--- $f"
		tail -n 40 "$tmp/$f"
	done
fi
finish
