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
# shellcheck disable=SC2154 # set through eval by tests/netns/lib-vl2.sh
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

# the set-up the netns tests share: namespaces, the daemons of each host
# (logs under the host's name), network, waits; cleanup() of lib.sh
# stops what it started
netns_lib=tests/netns
# shellcheck source=SCRIPTDIR/../tests/netns/lib.sh
. "$netns_lib/lib.sh"
# shellcheck source=SCRIPTDIR/../tests/netns/lib-vl2.sh
. "$netns_lib/lib-vl2.sh"
tapd_args=""
vl2d_args=""
vl2_log() {
	case $1 in
	1) echo "$tmp/controller-zt-$2.log" ;;
	2) echo "$tmp/alice-zt-$2.log" ;;
	3) echo "$tmp/bob-zt-$2.log" ;;
	esac
}
p=ztdemo$$
dead=""
demo_cleanup() {	# on failure, the daemons' last words first
	trap '' INT TERM
	if [ -n "$dead" ]; then
		for f in "$tmp"/*.log; do
			[ -s "$f" ] || continue
			echo "--- ${f##*/}"
			tail -n 20 "$f"
		done
	fi
	say "Cleaning up"
	cleanup
	# a veth not yet moved into its namespace
	for i in 1 2 3; do
		ip link del "${p}v$i" 2>/dev/null
	done
	echo "daemons stopped, namespaces and temporary files removed"
}
trap demo_cleanup EXIT
trap 'echo; echo "demo: interrupted"; exit 130' INT
trap 'dead=1; exit 143' TERM

die() {
	echo "demo: $*" >&2
	dead=1
	exit 1
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
net_setup "$p" 3
i=1
for name in controller alice bob; do
	echo "$name: namespace $p$i, 198.18.$i.1"
	i=$((i + 1))
done
chmod 755 "$tmp"

say "Identities"
if [ -f "$vectors/identities.json" ]; then
	vl2_fixtures controller alice bob ||
	    die "cannot read $vectors/identities.json"
	echo "fixtures from $vectors/identities.json"
else
	for name in controller alice bob; do
		"$ctl" identity generate "$tmp/$name.secret" \
		    "$tmp/$name.public" >/dev/null || die "identity generate"
		eval "${name}_secret=\$(cat \"\$tmp/$name.secret\")"
		eval "${name}_public=\$(cat \"\$tmp/$name.public\")"
		eval "${name}_address=\$(cut -c1-10 \"\$tmp/$name.public\")"
	done
	echo "generated with zt-ctl identity generate"
fi
echo "controller: $controller_address"
echo "alice: $alice_address"
echo "bob: $bob_address"

say "A private planet whose only root is the controller host"
vl2_planet controller || die "cannot make the planet"
"$ctl" world show "$tmp/planet" | sed 's/^/  /'
vl2_tun || die "cannot make $tun"

say "Starting the daemons"
vl2_start 1 controller alice bob
echo "controller: zt-vl1d, zt-controllerd"
echo "alice: zt-tapd, zt-vl1d, zt-vl2d"
echo "bob: zt-tapd, zt-vl1d, zt-vl2d"
vl2_up 2 3
[ "$failed" = 0 ] || die "the daemons did not come up"
echo "each in its sandbox, as its own user (seccomp 2: filter on):"
# one awk for all: process starts are slow on a loaded machine
set --
for d in vl1d1 ctrld1 tapd2 vl1d2 vl2d2 tapd3 vl1d3 vl2d3; do
	eval "pid=\$$d"
	[ -r "/proc/$pid/status" ] ||
	    die "zt-${d%?} of host ${d#"${d%?}"} is gone"
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
nsenter -t "$vl2d2" -n ip -o link | cut -d' ' -f1-3 | sed 's/^/  /'

say "A network on the controller: private, IPv4 pool 10.147.17.10-20"
vl2_network demo 10.147.17 || die "no network made"
echo "network $nwid"

say "alice and bob join; the controller refuses them until authorized"
for name in alice bob; do
	show $name join "$nwid" || die "$name cannot join"
done
i=2
for name in alice bob; do
	wait_for 10 net_has $i ACCESS_DENIED || die "$name is not refused first"
	i=$((i + 1))
done
show alice listnetworks
for name in alice bob; do
	eval "a=\$${name}_address"
	show controller controller member authorize "$nwid" "$a" \
	    >/dev/null || die "cannot authorize $name"
	echo "$name ($a) authorized"
done
vl2_ok 2 3
[ "$failed" = 0 ] || die "alice and bob are not let in with an address"

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
	zping "${p}2" "$a3" 3 0.5 5 || die "the ping failed"
fi

say "alice's peers: the controller host (the planet's root) and bob"
wait_for 5 sh -c "'$ctl' -R '$tmp/run2' peers 2>/dev/null |
    grep -q '^$bob_address.*DIRECT'"
show alice peers

say "Demo OK: alice and bob talk over a private ZeroTier network"
