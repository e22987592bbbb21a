#!/bin/sh
# zt-vl1d across two NATs: a root on the "Internet" switch, each leaf in
# its own private /24 behind its own masquerading NAT namespace, the two
# private networks with no route to each other.  The root relays first,
# then a direct path is punched whose address is the other NAT's public
# address; cutting that path falls back to relaying through the root, and
# restoring it gets the direct path back.  Timers run 20 times faster
# (--time-scale) so that the 243 s path expiry takes 12 s.
# usage: test-vl1-nat.sh ZT-VL1D ZT-CTL VECTORS
set -u
vl1d=$1 ctl=$2 vectors=$3
. "$(dirname "$0")/lib.sh"
need_root
command -v iptables >/dev/null || { echo "iptables missing"; exit 77; }
sh "$(dirname "$0")/../setup-users.sh"

p=zn$$
# 1: root 198.18.1.1, 2 and 3: the NATs' public sides 198.18.2.1/.3.1
net_setup "$p" 3
chmod 755 "$tmp"

# leaf i+2 behind NAT i: private 198.19.i.0/24, NAT inside 198.19.i.1
leaf_setup() {	# leaf_setup NAT-INDEX
	n=$1 l=$p${1}l
	ip netns add "$l" || exit 1
	namespaces="$namespaces $l"
	ip link add "${p}n$n" type veth peer name "${p}m$n"
	ip link set "${p}n$n" netns "$p$n"
	ip link set "${p}m$n" netns "$l"
	ip -n "$p$n" addr add "198.19.$n.1/24" dev "${p}n$n"
	ip -n "$p$n" link set "${p}n$n" up
	ip -n "$l" addr add "198.19.$n.2/24" dev "${p}m$n"
	ip -n "$l" link set "${p}m$n" up
	ip -n "$l" link set lo up
	ip -n "$l" route add default via "198.19.$n.1"
	ip netns exec "$p$n" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$p$n" iptables -t nat -A POSTROUTING \
	    -o "${p}v$n" -j MASQUERADE
	# like a home router, the NAT itself answers nothing from outside:
	# an unsolicited probe dropped here leaves no conntrack entry that
	# would make the masquerade move the leaf's port (§5.8 punching)
	ip netns exec "$p$n" iptables -A INPUT -i "${p}v$n" -j DROP
}
leaf_setup 2
leaf_setup 3

# the three identities in one pass over the vectors: NAME ADDRESS PUBLIC
python3 -c 'import json, sys
for v in json.load(open(sys.argv[1]))["valid"]:
    if v["name"] in ("controller", "alice", "bob"):
        print(v["name"], v["address"], v["public"])
        open(sys.argv[2] + "/" + v["name"] + ".secret", "w").write(
            v["secret"])' "$vectors/identities.json" "$tmp" >"$tmp/ids" ||
    exit 1
field() {	# field NAME COLUMN
	awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$tmp/ids"
}
root=$(field controller 2)
alice=$(field alice 2)
bob=$(field bob 2)

"$ctl" world genkey "$tmp/planet.key" >/dev/null || exit 1
"$ctl" world make planet 7 1700000000000 "$tmp/planet.key" "$tmp/planet" \
    "$(field controller 3)@198.18.1.1/9993" >/dev/null || exit 1

start() {	# start INDEX NAMESPACE BIND NAME
	h=$tmp/home$1
	mkdir -p "$h" "$tmp/run$1"
	cp "$tmp/$4.secret" "$h/identity.secret"
	cp "$tmp/planet" "$h/planet"
	chown -R zt-vl1 "$h"
	chmod 700 "$h"
	ip netns exec "$2" "$vl1d" -H "$h" -R "$tmp/run$1" -b "$3/9993" \
	    --time-scale 20 -l debug 2>"$tmp/log$1" &
	pids="$pids $!"
}

peers_json() {
	"$ctl" -R "$tmp/run$1" -j peers 2>/dev/null
}

# path INDEX ADDRESS IP [active]: the node has a path to ADDRESS at IP
# (alive within 19 s of scaled time when "active" is given; at 20 times
# the speed a quiet upstream path is alive for only a second at a time)
path() {
	peers_json "$1" | python3 -c 'import json, sys
want, ip, act = sys.argv[1], sys.argv[2], len(sys.argv) > 3
for p in json.load(sys.stdin):
    if p["address"] == want:
        for x in p["paths"]:
            if x["address"].startswith(ip + "/") and \
                (x["active"] or not act):
                sys.exit(0)
sys.exit(1)' "$2" "$3" ${4:+"$4"}
}

has_path() {	# has_path INDEX ADDRESS IP
	path "$1" "$2" "$3"
}

has_live_path() {	# has_live_path INDEX ADDRESS IP
	path "$1" "$2" "$3" active
}

no_live_path() {
	! has_live_path "$@"
}

relayed() {
	"$ctl" -R "$tmp/run1" -j info 2>/dev/null | python3 -c 'import json, sys
print(json.load(sys.stdin)["stats"]["relayed"])'
}

# pings alice -> bob until the command succeeds or SECONDS pass
ping_until() {	# ping_until SECONDS command...
	limit=$1
	shift
	end=$(($(date +%s) + limit))
	while [ "$(date +%s)" -lt "$end" ]; do
		"$ctl" -R "$tmp/run2" ping "$bob" >/dev/null 2>&1
		"$@" && return 0
		sleep 0.2
	done
	"$@"
}

relayed_more_than() {
	[ "$(relayed)" -gt "$1" ]
}

start 1 "${p}1" 198.18.1.1 controller
start 2 "${p}2l" 198.19.2.2 alice
start 3 "${p}3l" 198.19.3.2 bob
wait_for 10 test -S "$tmp/run3/zt-vl1d.sock"

check "alice reaches the root through her NAT" \
    wait_for 15 has_path 2 "$root" 198.18.1.1
check "bob reaches the root through his NAT" \
    wait_for 15 has_path 3 "$root" 198.18.1.1
check "the root sees alice at her NAT's address" \
    wait_for 10 has_path 1 "$alice" 198.18.2.1
check "the leaf networks have no route to each other" \
    sh -c "! ip netns exec ${p}2l ping -c1 -W1 198.19.3.2 >/dev/null 2>&1"

check "alice punched a direct path to bob's NAT" \
    ping_until 20 has_live_path 2 "$bob" 198.18.3.1
check "bob has a direct path to alice's NAT" \
    ping_until 10 has_live_path 3 "$alice" 198.18.2.1
check "the root relayed the first packets" relayed_more_than 0

# cut the direct path in alice's NAT; the root still reaches both
ip netns exec "${p}2" iptables -A FORWARD -s 198.18.3.1 -j DROP
ip netns exec "${p}2" iptables -A FORWARD -d 198.18.3.1 -j DROP
before=$(relayed)
check "traffic falls back to relaying through the root" \
    ping_until 40 relayed_more_than "$((before + 3))"
check "the direct path is dead" no_live_path 2 "$bob" 198.18.3.1

ip netns exec "${p}2" iptables -F FORWARD
check "the direct path comes back when the link is restored" \
    ping_until 40 has_live_path 2 "$bob" 198.18.3.1
after=$(relayed)
sleep 1
check "and the root no longer relays" test "$(relayed)" -le "$((after + 1))"

if [ "$failed" != 0 ]; then
	for i in 1 2 3; do
		echo "--- log of node $i"
		tail -n 30 "$tmp/log$i"
	done
fi
finish
