# Shared by the netns tests: namespaces on one bridge, each node in its own
# /24 of 198.18.0.0/15 (ZeroTier rate-limits new identities per /24), and
# cleanup of exactly what the test made.
# shellcheck shell=sh

checks=0
failed=0
pids=""
namespaces=""
tmp=$(mktemp -d)

check() {	# check DESCRIPTION command...
	what=$1
	shift
	checks=$((checks + 1))
	if ! "$@"; then
		echo "FAIL: $what"
		failed=$((failed + 1))
	fi
}

cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	for n in $namespaces; do
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "netns tests need root"
		exit 77
	fi
}

# net_setup PREFIX N: namespaces PREFIX1..PREFIXN plus a switch namespace;
# node i gets 198.18.i.1/16 on its veth
net_setup() {
	prefix=$1 count=$2
	sw=${prefix}sw
	ip netns add "$sw" || exit 1
	namespaces="$sw"
	ip -n "$sw" link add br0 type bridge
	ip -n "$sw" link set br0 up
	i=1
	while [ "$i" -le "$count" ]; do
		ns=$prefix$i
		ip netns add "$ns" || exit 1
		namespaces="$namespaces $ns"
		ip link add "${prefix}v$i" type veth peer name "${prefix}p$i"
		ip link set "${prefix}v$i" netns "$ns"
		ip link set "${prefix}p$i" netns "$sw"
		ip -n "$sw" link set "${prefix}p$i" master br0 up
		ip -n "$ns" addr add "198.18.$i.1/16" dev "${prefix}v$i"
		ip -n "$ns" link set "${prefix}v$i" up
		ip -n "$ns" link set lo up
		i=$((i + 1))
	done
}

# wait_for SECONDS command...: retries until the command succeeds
wait_for() {
	limit=$1
	shift
	end=$(($(date +%s) + limit))
	while [ "$(date +%s)" -lt "$end" ]; do
		"$@" && return 0
		sleep 0.2
	done
	"$@"
}

# identity NAME: secret identity string from identities.json
identity() {
	python3 -c 'import json, sys
for v in json.load(open(sys.argv[1]))["valid"]:
    if v["name"] == sys.argv[2]:
        print(v[sys.argv[3]], end="")' \
	    "$vectors/identities.json" "$1" "${2:-secret}"
}

finish() {
	echo "$checks checks, $failed failed"
	[ "$failed" = 0 ]
}
