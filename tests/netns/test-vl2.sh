#!/bin/sh
# zt-vl2d end to end: a controller host (zt-vl1d + zt-controllerd, also
# the planet's root) and two member hosts (zt-tapd + zt-vl1d + zt-vl2d,
# zt-vl2d in a network namespace of its own with no interface).  The
# members join a private network through `zt-ctl join`, are authorized
# through `zt-ctl controller`, get their TAP, MAC and pool address from
# zt-tapd and ping each other starting with empty ARP caches (ARP goes
# by LIKE / GATHER / MULTICAST_FRAME).  zt-vl2d is killed with -9 during
# a ping: its interface and address never vanish and the ping resumes
# within 3 s of the restart.  A deauthorized member's frames stop within
# 5 s.  A rule dropping a UDP port holds both ways.  zt-vl2d reconnects
# to a restarted zt-tapd and zt-vl1d.  Leaving deletes the device and the
# state.
# usage: test-vl2.sh ZT-VL1D ZT-CONTROLLERD ZT-TAPD ZT-VL2D ZT-CTL VECTORS
# shellcheck disable=SC2154 # set by lib.sh and lib-vl2.sh, also through eval
set -u
vl1d=$1 ctrld=$2 tapd=$3 vl2d=$4 ctl=$5 vectors=$6
netns_lib=$(dirname "$0")
. "$netns_lib/lib.sh"
. "$netns_lib/lib-vl2.sh"
vl2_setup zv$$ 3 controller alice bob

# UDP both ways at once: listens on 7777 and 7778, sends to the peer's
# two ports for SECONDS, prints "got PORT" once per port that received
cat >"$tmp/udp.py" <<'UDP'
import select, socket, sys, time
peer, secs = sys.argv[1], float(sys.argv[2])
socks = {}
for port in (7777, 7778):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    socks[s] = port
out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
got, end, nxt = set(), time.time() + secs, 0
while time.time() < end:
    if time.time() >= nxt:
        for port in (7777, 7778):
            out.sendto(b"zt-privsep", (peer, port))
        nxt = time.time() + 0.1
    r, _, _ = select.select(list(socks), [], [], 0.05)
    for s in r:
        s.recv(64)
        got.add(socks[s])
for port in sorted(got):
    print("got", port)
UDP

vl2_start 1 controller alice bob
alice=$alice_address
vl2_network vl2net 10.147.17 '"v6AssignMode": {"rfc4193": true}'
vl2_up 2 3
vl2_join 2 3
check "the state file is made" test -f "$tmp/vl2d2/networks.d/$nwid.conf"
for i in 2 3; do
	check "member $i denied first" wait_for 10 net_has $i ACCESS_DENIED
done
vl2_authorize alice bob
vl2_ok 2 3
check "the TAP is up" sh -c \
    "ip -n ${p}2 link show dev $dev2 | grep -q 'state UNKNOWN\|,UP'"
check "zt-vl2d has no interface but lo" sh -c \
    "[ \$(nsenter -t $vl2d2 -n ip -o link | wc -l) = 1 ]"
ip -n "${p}2" neigh flush all
ip -n "${p}3" neigh flush all
check "first ping with empty ARP caches" \
    zping_q "${p}2" "$a3" 1 1 3
check "ping the other way" zping_q "${p}3" "$a2" 2 0.2 3
b6=$("$ctl" -R "$tmp/run3" get "$nwid" ip6)
check "IPv6 (RFC4193, NDP emulated) ping ($b6)" \
    wait_for 10 zping_q "${p}2" "$b6" 1 1 1
check "get status" sh -c \
    "[ \"\$('$ctl' -R '$tmp/run2' get $nwid status)\" = OK ]"
counters_ok() {	# counters_ok INDEX PYTHON-CONDITION ON c (info -j)
	"$ctl" -R "$tmp/run$1" -j info 2>/dev/null | python3 -c '
import json, sys
c = json.load(sys.stdin)
sys.exit(0 if eval("(" + sys.argv[1] + ")") else 1)' "$2"
}
check "info -j: zt-vl2d and zt-tapd counters after the pings" counters_ok 2 \
    'c["zt-vl2d"]["counters"]["zt_network_packets_tx"] > 0 and
    c["zt-vl2d"]["counters"]["networksByStatus"]["OK"] == 1 and
    c["zt-vl2d"]["counters"]["credentials"]["accepted"] > 0 and
    c["zt-tapd"]["counters"]["requests"] > 0'
check "info -j: zt-controllerd answered both members" counters_ok 1 \
    'c["zt-controllerd"]["counters"]["configAnswered"] >= 2 and
    c["zt-controllerd"]["counters"]["configDenied"] >= 2'
check "zt-vl2d heard peers up from zt-vl1d (VL2_PEER_EVENT)" counters_ok 2 \
    'c["zt-vl2d"]["counters"]["peerEvents"]["up"] > 0'
# warm rejoin: bob leaves and joins again.  Alice holds his old COM, he
# none of hers; his new COM makes her push hers ahead of her ARP reply,
# so his first echo needs no ARP retry (1 s)
"$ctl" -R "$tmp/run3" leave "$nwid" >/dev/null
wait_for 5 sh -c "[ \$(ip -n ${p}3 -o link | grep -c ' zt') = 0 ]"
"$ctl" -R "$tmp/run3" join "$nwid" >/dev/null
wait_for 10 tap_has "${p}3" "$dev3" "$a3"
zping "${p}3" "$a2" 20 0.05 3 >"$tmp/ping3" 2>&1
check "warm rejoin: the first echo is answered within 1 s" awk '
$1 == "sent" && s == "" { s = $3 } $1 == "reply" { ok = $3 - s < 1; exit }
END { exit !ok }' "$tmp/ping3"
check "the ARP group of the address is subscribed" sh -c \
    "'$ctl' -R '$tmp/run2' -j listnetworks | grep -q \
    '\"adi\": *$(echo "$a2" | awk -F. '{ print (($1 * 256 + $2) * 256 + \
    $3) * 256 + $4 }')'"
# an ARP request: broadcast, from 32:00:00:00:00:01, who has 10.147.17.17
arp=ffffffffffff32000000000108060001080006040001320000000001
arp=${arp}0a9311100000000000000a931111
check "rules test explains the decision" sh -c "'$ctl' -R '$tmp/run2' \
    rules test $nwid $arp | grep -q 'by rule 0: accepted'"
check "allowManaged is zt-tapd's, shown by listnetworks -j" sh -c \
    "[ \"\$('$ctl' -R '$tmp/run2' get $nwid allowManaged)\" = 1 ] &&
    '$ctl' -R '$tmp/run2' -j listnetworks | grep -q '\"allowManaged\": true'"
check "joinToken is zt-vl2d's setting" sh -c "'$ctl' -R '$tmp/run2' \
    set $nwid joinToken=abc | grep -q '200 set' &&
    grep -q joinToken=abc '$tmp/vl2d2/networks.d/$nwid.local.conf'"

# a rule that drops UDP to port 7777 is enforced both ways; 7778 passes
ctlc controller network update "$nwid" '{"rules": [
    {"type": "MATCH_IP_PROTOCOL", "ipProtocol": 17},
    {"type": "MATCH_IP_DEST_PORT_RANGE", "start": 7777, "end": 7777},
    {"type": "ACTION_DROP"}, {"type": "ACTION_ACCEPT"}]}' >/dev/null
udp=ffffffffffff3200000000010800450000240000000040110000
udp=${udp}0a9311100a9311111e611e610010000000000000000000000000
for i in 2 3; do
	check "member $i has the new rules" wait_for 10 sh -c \
	    "'$ctl' -R '$tmp/run$i' rules test $nwid $udp | grep -q dropped"
done
ip netns exec "${p}2" python3 "$tmp/udp.py" "$a3" 2 >"$tmp/udp2" &
u2=$!
ip netns exec "${p}3" python3 "$tmp/udp.py" "$a2" 2 >"$tmp/udp3"
wait "$u2"
check "UDP 7778 passes both ways, 7777 neither" sh -c \
    "[ \"\$(cat '$tmp/udp2' '$tmp/udp3')\" = \"got 7778
got 7778\" ]"

# kill -9 during a ping: the device and address stay, traffic resumes
zping "${p}2" "$a3" 80 0.1 8 >"$tmp/ping" 2>&1 &
pinger=$!
wait_for 5 grep -q reply "$tmp/ping"
kill -9 "$vl2d2"
wait "$vl2d2" 2>/dev/null
check "the interface stayed" ip -n "${p}2" link show dev "$dev2"
check "the address stayed" sh -c \
    "ip -n ${p}2 addr show dev $dev2 | grep -q 'inet $a2/'"
sleep 0.5
killed=$(date +%s.%N)
start_vl2d 2
wait "$pinger"
check "ping resumed within 3 s of the restart" awk -v t0="$killed" '
$1 == "reply" && $3 > t0 { ok = $3 - t0 <= 3; exit }
END { exit !ok }' "$tmp/ping"
check "restarted zt-vl2d re-attached" wait_for 5 sh -c \
    "'$ctl' -R '$tmp/run2' listnetworks | grep -q \" OK PRIVATE $dev2 \""
check "zt-vl1d kept its peers" sh -c \
    "'$ctl' -R '$tmp/run2' peers | grep -q DIRECT"
check "zt-vl2d is sandboxed as zt-vl2" sh -c "grep -Eq \
    '^Seccomp:[[:space:]]+2' /proc/$vl2d2/status && grep -Eq \
    \"^Uid:[[:space:]]+$(id -u zt-vl2)\" /proc/$vl2d2/status"

# zt-tapd restarts (kill -9 leaves its devices): zt-vl2d reconnects,
# the adopted device keeps carrying traffic
kill -9 "$tapd2"
wait "$tapd2" 2>/dev/null
start_tapd 2
check "zt-vl2d reconnects to a restarted zt-tapd" wait_for 10 sh -c \
    "[ \$(grep -c 'zt-vl2d connected' '$tmp/logt2') -ge 2 ]"
check "traffic goes on" zping_q "${p}2" "$a3" 2 0.2 3

# zt-vl1d restarts: zt-vl2d reconnects and asks for its config again
kill -9 "$vl1d2"
wait "$vl1d2" 2>/dev/null
start_vl1d 2 alice
check "zt-vl2d reconnects to a restarted zt-vl1d" wait_for 10 sh -c \
    "[ \$(grep -c 'zt-vl2d connected' '$tmp/log2') -ge 1 ]"
check "traffic goes on after it" wait_for 10 \
    zping_q "${p}2" "$a3" 1 1 1

# deauthorizing alice: the controller revokes her credentials, bob's
# zt-vl2d drops her frames from then on
zping "${p}3" "$a2" 100 0.1 10 >"$tmp/ping2" 2>&1 &
pinger=$!
wait_for 5 grep -q reply "$tmp/ping2"
t0=$(date +%s.%N)
ctlc controller member deauthorize "$nwid" "$alice" >/dev/null
wait "$pinger"
check "replies before the deauthorization" awk -v t0="$t0" '
$1 == "reply" && $3 < t0 { ok = 1 } END { exit !ok }' "$tmp/ping2"
check "no reply 5 s after it" awk -v t0="$t0" '
$1 == "reply" && $3 > t0 + 5 { bad = 1 } END { exit bad }' "$tmp/ping2"

check "leave" sh -c \
    "'$ctl' -R '$tmp/run3' leave $nwid | grep -q '200 leave OK'"
check "leaving deletes the device" wait_for 5 sh -c \
    "[ \$(ip -n ${p}3 -o link | grep -c ' zt') = 0 ]"
check "leaving deletes the state" \
    test ! -e "$tmp/vl2d3/networks.d/$nwid.conf"

vl2_report 60 "2 3" log1 log2 log3 logc logt2 logt3 logv2 logv3 ping ping2 \
    ping3
finish
