#!/bin/sh
# The demo: builds zt-privsep and shows what it does so far, as root on a
# Debian 12 machine.  It grows with each daemon.  Today:
#  1. a ZeroTier identity made, checked, used to sign (zerotier-idtool's job);
#  2. a private ZeroTier planet in three network namespaces: one zt-vl1d
#     root and two zt-vl1d leaves; the leaves find each other through the
#     root (WHOIS, relay, RENDEZVOUS) and punch a direct path.
# Traffic stays inside the demo's own namespaces (198.18.0.0/15).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
ctl=$(pwd)/build/ctl/zt-ctl
vl1d=$(pwd)/build/vl1d/zt-vl1d
work=$(mktemp -d)
p=ztdemo$$
pids=""
cleanup() {
	for pid in $pids; do kill "$pid" 2>/dev/null || true; done
	for pid in $pids; do wait "$pid" 2>/dev/null || true; done
	for n in ${p}sw ${p}1 ${p}2 ${p}3; do
		ip netns del "$n" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "== 1. identities"
$ctl identity generate "$work/identity.secret" "$work/identity.public"
echo "identity.public: $(cat "$work/identity.public")"
$ctl identity validate "$work/identity.public"
echo "hello from zt-privsep" >"$work/msg"
sig=$($ctl identity sign "$work/identity.secret" "$work/msg")
$ctl identity verify "$work/identity.public" "$work/msg" "$sig"
awk -F: '{ k = $3; c = substr(k, 5, 1); n = (c == "0") ? "1" : "0";
    print $1 ":" $2 ":" substr(k, 1, 4) n substr(k, 6) }' \
    "$work/identity.public" >"$work/bad"
if $ctl identity validate "$work/bad" 2>/dev/null; then
	echo "demo: a tampered identity was accepted" >&2
	exit 1
fi
echo "a tampered identity is refused"

echo "== 2. a private planet in network namespaces"
if [ "$(id -u)" != 0 ]; then
	echo "demo: part 2 needs root (namespaces, daemon users)" >&2
	exit 1
fi
sh tests/setup-users.sh
ip netns add "${p}sw"
ip -n "${p}sw" link add br0 type bridge
ip -n "${p}sw" link set br0 up
for i in 1 2 3; do
	ip netns add "$p$i"
	ip link add "${p}v$i" type veth peer name "${p}p$i"
	ip link set "${p}v$i" netns "$p$i"
	ip link set "${p}p$i" netns "${p}sw"
	ip -n "${p}sw" link set "${p}p$i" master br0 up
	ip -n "$p$i" addr add "198.18.$i.1/16" dev "${p}v$i"
	ip -n "$p$i" link set "${p}v$i" up
	mkdir -p "$work/home$i" "$work/run$i"
	$ctl identity generate "$work/home$i/identity.secret" \
	    "$work/home$i/identity.public" >/dev/null
done
chmod 755 "$work"
$ctl world genkey "$work/planet.key" >/dev/null
$ctl world make planet 4242 "$(date +%s)000" "$work/planet.key" \
    "$work/planet" "$(cat "$work/home1/identity.public")@198.18.1.1/9993"
$ctl world show "$work/planet"
for i in 1 2 3; do
	cp "$work/planet" "$work/home$i/planet"
	chown -R zt-vl1 "$work/home$i"
	ip netns exec "$p$i" "$vl1d" -H "$work/home$i" -R "$work/run$i" \
	    -b "198.18.$i.1/9993" 2>"$work/log$i" &
	pids="$pids $!"
done
root=$(cut -c1-10 "$work/home1/identity.public")
bob=$(cut -c1-10 "$work/home3/identity.public")
echo "root $root, alice $(cut -c1-10 "$work/home2/identity.public"), bob $bob"
for t in $(seq 50); do
	$ctl -R "$work/run2" peers 2>/dev/null | grep -q "$root.*DIRECT" &&
	    break
	sleep 0.2
done
echo "-- alice's peers:"
$ctl -R "$work/run2" peers
echo "-- alice pings bob (unknown to her: WHOIS via the root, relay,"
echo "   RENDEZVOUS, hole punching)"
$ctl -R "$work/run2" ping "$bob"
for t in $(seq 50); do
	$ctl -R "$work/run2" peers 2>/dev/null | grep -q "$bob.*DIRECT" &&
	    break
	sleep 0.2
done
echo "-- alice's peers:"
$ctl -R "$work/run2" peers
$ctl -R "$work/run2" peers | grep -q "$bob.*DIRECT" || {
	echo "demo: no direct path between the leaves" >&2
	exit 1
}
echo "-- the root's counters:"
$ctl -R "$work/run1" -j info | python3 -c 'import json, sys
s = json.load(sys.stdin)["stats"]
print("relayed", s["relayed"], "packets; bad MACs", s["rxBadMac"])'
echo "demo: ok"
