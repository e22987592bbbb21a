#!/bin/sh
# The demo, as root on a Debian 12 machine: a private ZeroTier network
# between three hosts made of network namespaces on one bridge.
#  - the controller host runs zt-vl1d (also the private planet's root)
#    and zt-controllerd;
#  - the members alice and bob each run zt-tapd, zt-vl1d and zt-vl2d,
#    zt-vl2d in a network namespace of its own with no interface, as
#    systemd runs it.
# A network is made on the controller, alice and bob join it, are
# authorized, get a TAP and an address from the pool, and alice pings bob.
# Every daemon runs as its own user in its sandbox.  Traffic stays inside
# the demo's namespaces (198.18.0.0/15); everything the demo made
# (namespaces, processes, temporary files) goes away at the end, also on
# failure or Ctrl-C.  Exits non-zero if the ping fails.
#
# usage: sh scripts/demo.sh            installs dependencies, builds ./build
#        sh scripts/demo.sh BUILD-DIR  uses the binaries of a build (CI)
# Identities are the fixtures of vectors/identities.json when the vectors
# are there (ZT_VECTORS_DIR, ZT_VECTORS or ../shared/vectors), else new.
set -u
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (namespaces, daemon users, TAP devices)" >&2
	exit 77
fi

say() {		# a section header
	printf '\n== %s\n' "$*"
}

if [ $# -ge 1 ]; then
	build=$(cd "$1" && pwd) || exit 1
else
	say "Dependencies and build"
	sh scripts/deps.sh || exit 1
	build=$top/build
	if [ ! -d build ]; then
		out=$(meson setup build 2>&1) || { echo "$out"; exit 1; }
	fi
	echo "building the daemons and zt-ctl in ./build"
	ninja -C build vl1d/zt-vl1d controllerd/zt-controllerd \
	    tapd/zt-tapd vl2d/zt-vl2d ctl/zt-ctl || exit 1
fi
vl1d=$build/vl1d/zt-vl1d
ctrld=$build/controllerd/zt-controllerd
tapd=$build/tapd/zt-tapd
vl2d=$build/vl2d/zt-vl2d
ctl=$build/ctl/zt-ctl
for b in "$vl1d" "$ctrld" "$tapd" "$vl2d" "$ctl"; do
	[ -x "$b" ] || { echo "demo: $b is not built" >&2; exit 1; }
done
vectors=${ZT_VECTORS_DIR:-${ZT_VECTORS:-$top/../shared/vectors}}

p=ztdemo$$
tmp=$(mktemp -d) || exit 1
pids=""
namespaces=""
failed=""
cleanup() {	# on failure, the daemons' last words first
	trap '' INT TERM
	if [ -n "$failed" ]; then
		for f in "$tmp"/*.log; do
			[ -s "$f" ] || continue
			echo "--- ${f##*/}"
			tail -n 20 "$f"
		done
	fi
	say "Cleaning up"
	for pid in $pids; do
		kill "$pid" 2>/dev/null
	done
	for pid in $pids; do
		wait "$pid" 2>/dev/null
	done
	for n in $namespaces; do
		ip netns del "$n" 2>/dev/null
	done
	# a veth not yet moved into its namespace
	for i in 1 2 3; do
		ip link del "${p}v$i" 2>/dev/null
	done
	rm -rf "$tmp"
	echo "daemons stopped, namespaces and temporary files removed"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted"; exit 130' INT
trap 'failed=1; exit 143' TERM

die() {
	echo "demo: $*" >&2
	failed=1
	exit 1
}

wait_for() {	# wait_for SECONDS command...: retries until it succeeds
	end=$(($(date +%s) + $1))
	shift
	while [ "$(date +%s)" -lt "$end" ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.2
	done
	"$@"
}

show() {	# show HOST zt-ctl-arguments...: runs zt-ctl, shows it
	host=$1
	shift
	echo "$host# zt-ctl $*"
	case $host in
	controller) "$ctl" -R "$tmp/run1" "$@" ;;
	alice) "$ctl" -R "$tmp/run2" "$@" ;;
	bob) "$ctl" -R "$tmp/run3" "$@" ;;
	esac
}

say "Three hosts: network namespaces on one bridge"
sh tests/setup-users.sh || exit 1
ip netns add "${p}sw" || die "cannot make a network namespace"
namespaces=${p}sw
ip -n "${p}sw" link add br0 type bridge
ip -n "${p}sw" link set br0 up
i=1
for name in controller alice bob; do
	ip netns add "$p$i" || die "cannot make a network namespace"
	namespaces="$namespaces $p$i"
	ip link add "${p}v$i" type veth peer name "${p}p$i" || die "no veth"
	ip link set "${p}v$i" netns "$p$i"
	ip link set "${p}p$i" netns "${p}sw"
	ip -n "${p}sw" link set "${p}p$i" master br0 up
	ip -n "$p$i" addr add "198.18.$i.1/16" dev "${p}v$i"
	ip -n "$p$i" link set "${p}v$i" up
	ip -n "$p$i" link set lo up
	echo "$name: namespace $p$i, 198.18.$i.1"
	i=$((i + 1))
done
chmod 755 "$tmp"

say "Identities"
if [ -f "$vectors/identities.json" ]; then
	python3 -c 'import json, sys
for v in json.load(open(sys.argv[1]))["valid"]:
    if v["name"] in ("controller", "alice", "bob"):
        for k in ("secret", "public"):
            with open("%s/%s.%s" % (sys.argv[2], v["name"], k), "w") as f:
                f.write(v[k] + "\n")' "$vectors/identities.json" "$tmp" ||
	    die "cannot read $vectors/identities.json"
	echo "fixtures from $vectors/identities.json"
else
	for name in controller alice bob; do
		"$ctl" identity generate "$tmp/$name.secret" \
		    "$tmp/$name.public" >/dev/null || die "identity generate"
	done
	echo "generated with zt-ctl identity generate"
fi
controller=$(cut -c1-10 "$tmp/controller.public")
alice=$(cut -c1-10 "$tmp/alice.public")
bob=$(cut -c1-10 "$tmp/bob.public")
echo "controller: $controller"
echo "alice: $alice"
echo "bob: $bob"

say "A private planet whose only root is the controller host"
"$ctl" world genkey "$tmp/planet.key" >/dev/null || die "world genkey"
"$ctl" world make planet 7 1700000000000 "$tmp/planet.key" "$tmp/planet" \
    "$(cat "$tmp/controller.public")@198.18.1.1/9993" >/dev/null ||
    die "world make"
"$ctl" world show "$tmp/planet" | sed 's/^/  /'

# zt-tapd opens /dev/net/tun after dropping to zt-tap; where the host's
# node is not 0666, a 0666 node of the same device is bind-mounted over
# it for zt-tapd only (systemd grants it with DeviceAllow=)
tun=""
if [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
	tun=$tmp/tun
	mknod "$tun" c 10 200 || die "cannot make $tun"
	chmod 666 "$tun" || die "cannot chmod $tun"
fi

start_vl1d() {	# start_vl1d INDEX NAME
	h=$tmp/home$1
	mkdir -p "$h" "$tmp/run$1"
	chmod 755 "$tmp/run$1"
	cp "$tmp/$2.secret" "$h/identity.secret"
	cp "$tmp/$2.public" "$h/identity.public"
	cp "$tmp/planet" "$h/planet"
	echo '{"settings":{"allowSecondaryPort":false}}' >"$h/local.conf"
	chown -R zt-vl1 "$h"
	chmod 700 "$h"
	ip netns exec "$p$1" "$vl1d" -H "$h" -R "$tmp/run$1" \
	    -b "198.18.$1.1/9993" 2>"$tmp/$2-zt-vl1d.log" &
	pids="$pids $!"
	eval "pid_vl1d_$2=\$!"
}

start_tapd() {	# start_tapd INDEX NAME
	mkdir -p "$tmp/tapd$1"
	chown zt-tap:zt-tap "$tmp/tapd$1"
	# shellcheck disable=SC2016 # the inner shell expands them
	ip netns exec "$p$1" sh -c '[ -z "$1" ] || mount --bind "$1" \
	    /dev/net/tun || exit 1; shift; exec "$@"' sh "$tun" "$tapd" \
	    -H "$tmp/tapd$1" -R "$tmp/run$1" 2>"$tmp/$2-zt-tapd.log" &
	pids="$pids $!"
	eval "pid_tapd_$2=\$!"
}

start_vl2d() {	# start_vl2d INDEX NAME: a namespace with no interface
	mkdir -p "$tmp/vl2d$1"
	chown zt-vl2:zt-vl2 "$tmp/vl2d$1"
	unshare -n "$vl2d" -d "$tmp/vl2d$1" -R "$tmp/run$1" \
	    2>"$tmp/$2-zt-vl2d.log" &
	pids="$pids $!"
	eval "pid_vl2d_$2=\$!"
}

say "Starting the daemons"
start_vl1d 1 controller
mkdir -p "$tmp/ctrl"
chown zt-ctrl "$tmp/ctrl"
ip netns exec "${p}1" "$ctrld" -d "$tmp/ctrl" -R "$tmp/run1" \
    -I "$tmp/controller.public" -P 0 2>"$tmp/controller-zt-controllerd.log" &
pids="$pids $!"
# shellcheck disable=SC2034 # read through eval below
pid_ctrld_controller=$!
echo "controller: zt-vl1d, zt-controllerd"
i=2
for name in alice bob; do
	start_tapd $i $name
	start_vl1d $i $name
	start_vl2d $i $name
	echo "$name: zt-tapd, zt-vl1d, zt-vl2d"
	i=$((i + 1))
done
for i in 2 3; do
	wait_for 15 sh -c "'$ctl' -R '$tmp/run$i' peers | grep -q DIRECT" ||
	    die "member $i does not reach the controller host"
	wait_for 10 test -S "$tmp/run$i/zt-vl2d.sock" ||
	    die "zt-vl2d $i does not serve"
done
wait_for 10 test -S "$tmp/run1/zt-controllerd.sock" ||
    die "zt-controllerd does not serve"
echo "each in its sandbox, as its own user (seccomp 2: filter on):"
# one awk for all: process starts are slow on a loaded machine
set --
for d in vl1d_controller ctrld_controller tapd_alice vl1d_alice vl2d_alice \
    tapd_bob vl1d_bob vl2d_bob; do
	eval "pid=\$pid_$d"
	[ -r "/proc/$pid/status" ] || die "zt-${d%_*} of ${d#*_} is gone"
	set -- "$@" "/proc/$pid/status"
done
awk -F'[:\t ]+' -v names="controller zt-vl1d controller zt-controllerd
    alice zt-tapd alice zt-vl1d alice zt-vl2d bob zt-tapd bob zt-vl1d
    bob zt-vl2d" '
BEGIN { split(names, name, /[ \n]+/) }
NR == FNR { user[$3] = $1; next }
FNR == 1 { n++; pid = FILENAME; gsub(/[^0-9]/, "", pid) }
$1 == "Uid" { uid = $3 in user ? user[$3] : $3 }
$1 == "CapEff" {
	cap = $2 == "0000000000000000" ? "none" : \
	    $2 == "0000000000001000" ? "CAP_NET_ADMIN" : $2
}
$1 == "Seccomp" {
	printf "  %-11s %-15s pid %-7s user %-7s seccomp %s, capabilities %s\n",
	    name[2 * n - 1], name[2 * n], pid, uid, $2, cap
}' /etc/passwd "$@"
echo "alice's zt-vl2d has no network interface but lo:"
# shellcheck disable=SC2154 # set through eval by start_vl2d
nsenter -t "$pid_vl2d_alice" -n ip -o link | cut -d' ' -f1-3 | sed 's/^/  /'

say "A network on the controller: private, IPv4 pool 10.147.17.10-20"
show controller -j controller network create demo >"$tmp/network" ||
    die "no network made"
nwid=$(sed -n 's/.*"id": *"\([0-9a-f]\{16\}\)".*/\1/p' "$tmp/network" |
    head -n 1)
[ -n "$nwid" ] || die "no network id in $(cat "$tmp/network")"
show controller controller network update "$nwid" '{"private": true,
  "ipAssignmentPools": [{"ipRangeStart": "10.147.17.10",
  "ipRangeEnd": "10.147.17.20"}], "v4AssignMode": {"zt": true},
  "routes": [{"target": "10.147.17.0/24"}]}' >/dev/null ||
    die "network update"
echo "network $nwid"

say "alice and bob join; the controller refuses them until authorized"
for name in alice bob; do
	show $name join "$nwid" || die "$name cannot join"
done
i=2
for name in alice bob; do
	wait_for 10 sh -c "'$ctl' -R '$tmp/run$i' listnetworks |
	    grep -q ACCESS_DENIED" || die "$name is not refused first"
	i=$((i + 1))
done
show alice listnetworks
for m in "alice $alice" "bob $bob"; do
	show controller controller member authorize "$nwid" "${m#* }" \
	    >/dev/null || die "cannot authorize ${m% *}"
	echo "${m% *} (${m#* }) authorized"
done
i=2
for name in alice bob; do
	wait_for 10 sh -c "'$ctl' -R '$tmp/run$i' listnetworks |
	    grep -q ' OK PRIVATE '" || die "$name is not let in"
	i=$((i + 1))
done
a2=$("$ctl" -R "$tmp/run2" get "$nwid" ip4)
a3=$("$ctl" -R "$tmp/run3" get "$nwid" ip4)
dev2=$("$ctl" -R "$tmp/run2" get "$nwid" portDeviceName)
if [ -z "$a2" ] || [ -z "$a3" ] || [ -z "$dev2" ]; then
	die "no addresses from the pool"
fi
wait_for 10 sh -c "ip -n ${p}2 addr show dev $dev2 | grep -q 'inet $a2/'" ||
    die "alice's TAP $dev2 has no address"

say "alice's view: the network, its TAP with an address from the pool"
show alice listnetworks
echo "alice# ip -br addr show $dev2"
ip -n "${p}2" -br addr show dev "$dev2"

say "alice pings bob ($a3) across the network"
if command -v ping >/dev/null; then
	echo "alice# ping -c 3 $a3"
	ip netns exec "${p}2" ping -c 3 -i 0.5 -W 3 "$a3" ||
	    die "the ping failed"
else
	# no ping binary: ICMP echo over a raw socket
	echo "alice# (python raw-socket ping) $a3"
	ip netns exec "${p}2" python3 -c 'import os, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(3)
h = struct.pack("!BBHHH", 8, 0, 0, os.getpid() & 0xffff, 1) + b"zt" * 28
t = sum(struct.unpack("!%dH" % (len(h) // 2), h))
t = (t >> 16) + (t & 0xffff)
s.sendto(h[:2] + struct.pack("!H", ~(t + (t >> 16)) & 0xffff) + h[4:],
    (sys.argv[1], 0))
try:
    while True:
        b, a = s.recvfrom(2048)
        o = (b[0] & 15) * 4
        if a[0] == sys.argv[1] and b[o] == 0:
            print("reply from", a[0]); break
except socket.timeout:
    sys.exit(1)' "$a3" || die "the ping failed"
fi

say "alice's peers: the controller host (the planet's root) and bob"
wait_for 5 sh -c "'$ctl' -R '$tmp/run2' peers | grep -q '^$bob.*DIRECT'"
show alice peers

say "Demo OK: alice and bob talk over a private ZeroTier network"
