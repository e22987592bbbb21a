#!/bin/sh
# zt-vl1d end to end in network namespaces, in real time: a private planet
# whose root is one zt-vl1d, two leaves that HELLO it, then one leaf pings
# the other: WHOIS through the root, a relayed ECHO, RENDEZVOUS to both,
# and a direct path punched between the leaves.  Also checks that each
# daemon runs sandboxed under its own user.
# usage: test-vl1.sh ZT-VL1D ZT-CTL VECTORS
set -u
vl1d=$1 ctl=$2 vectors=$3
. "$(dirname "$0")/lib.sh"
need_root
sh "$(dirname "$0")/../setup-users.sh"

p=zv$$
net_setup "$p" 3
chmod 755 "$tmp"

# the private planet: the "controller" identity is its only root
"$ctl" world genkey "$tmp/planet.key" >/dev/null || exit 1
"$ctl" world make planet 7 1700000000000 "$tmp/planet.key" "$tmp/planet" \
    "$(identity controller public)@198.18.1.1/9993" >/dev/null || exit 1

start() {	# start INDEX NAME [VAR=VALUE...]
	h=$tmp/home$1
	mkdir -p "$h" "$tmp/run$1"
	identity "$2" >"$h/identity.secret"
	cp "$tmp/planet" "$h/planet"
	chown -R zt-vl1 "$h"
	chmod 700 "$h"
	# shellcheck disable=SC2086
	env ${3:-} ip netns exec "$p$1" "$vl1d" -H "$h" -R "$tmp/run$1" \
	    -b "198.18.$1.1/9993" -l debug 2>"$tmp/log$1" &
	pids="$pids $!"
	eval "pid$1=$!"
}

peers_json() {	# peers_json INDEX
	"$ctl" -R "$tmp/run$1" -j peers 2>/dev/null
}

# has_path INDEX ADDRESS [IP]: the node has an unexpired direct path to
# ADDRESS (a root hears nothing from a leaf for minutes after the first
# exchange, so "alive" would be the wrong question)
has_path() {
	peers_json "$1" | python3 -c 'import json, sys
peers = json.load(sys.stdin)
want = sys.argv[1]; ip = sys.argv[2] if len(sys.argv) > 2 else ""
for p in peers:
    if p["address"] == want:
        for x in p["paths"]:
            if not x["expired"] and x["address"].startswith(ip):
                sys.exit(0)
sys.exit(1)' "$2" "${3:-}"
}

info_field() {	# info_field INDEX FIELD
	"$ctl" -R "$tmp/run$1" -j info 2>/dev/null | python3 -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(json.dumps(v))' "$2"
}

root=$(identity controller address 2>/dev/null || true)
root=$(python3 -c 'import json, sys
print([v["address"] for v in json.load(open(sys.argv[1]))["valid"]
    if v["name"] == "controller"][0])' "$vectors/identities.json")
alice=$(identity alice address)
bob=$(identity bob address)

# node 3 also speaks the service manager's protocol to a stand-in
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(1)
end = time.time() + 60
with open(sys.argv[2], "w") as f:
    while time.time() < end:
        try:
            f.write(s.recv(512).decode() + "\n")
            f.flush()
        except socket.timeout:
            pass' "$tmp/notify" "$tmp/notified" &
pids="$pids $!"
wait_for 10 test -S "$tmp/notify"

start 1 controller
start 2 alice
start 3 bob "NOTIFY_SOCKET=$tmp/notify WATCHDOG_USEC=400000"
wait_for 10 test -S "$tmp/run3/zt-vl1d.sock"

check "alice reaches the root" wait_for 15 has_path 2 "$root" 198.18.1.1
check "bob reaches the root" wait_for 15 has_path 3 "$root" 198.18.1.1
check "the root learned alice's path" wait_for 20 has_path 1 "$alice"
check "alice is online" test "$(info_field 2 online)" = true
check "the root knows it is a root" test "$(info_field 1 root)" = true
check "READY=1 sent to the service manager" \
    wait_for 10 grep -qx READY=1 "$tmp/notified"
check "watchdog pings from the event loop" \
    wait_for 10 grep -qx WATCHDOG=1 "$tmp/notified"

# alice -> bob: unknown to alice, found through the root, then direct
check "ping accepted" "$ctl" -R "$tmp/run2" ping "$bob"
check "alice punched a direct path to bob" \
    wait_for 15 has_path 2 "$bob" 198.18.3.1
check "bob has a direct path to alice" \
    wait_for 10 has_path 3 "$alice" 198.18.2.1
check "the root relayed the first packet" \
    test "$(info_field 1 stats.relayed)" -ge 1
check "no bad MACs anywhere" test "$(info_field 2 stats.rxBadMac)" = 0
# info -j counters (zt_data_* as ZeroTier One's metrics) after the ping
check "bob counted packets in" \
    test "$(info_field 3 counters.packetsIn)" -gt 0
check "alice counted UDP bytes out" \
    test "$(info_field 2 counters.zt_data_udp_tx)" -gt 0
check "alice counts a peer and its paths" \
    test "$(info_field 2 counters.paths)" -ge 2
check "no replays dropped" \
    test "$(info_field 2 counters.dropped.replay)" = 0

# each half runs sandboxed as zt-vl1 with no capabilities
vl1uid=$(id -u zt-vl1)
for i in 1 2 3; do
	eval "pid=\$pid$i"
	st=/proc/$pid/status
	check "node $i network half uid" \
	    grep -Eq "^Uid:[[:space:]]+$vl1uid[[:space:]]+$vl1uid" "$st"
	check "node $i seccomp" grep -Eq '^Seccomp:[[:space:]]+2' "$st"
	check "node $i no_new_privs" grep -Eq '^NoNewPrivs:[[:space:]]+1' "$st"
	check "node $i no capabilities" \
	    grep -Eq '^CapEff:[[:space:]]+0000000000000000' "$st"
	kh=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null | tr -d ' ')
	check "node $i has a key holder" test -n "$kh"
	[ -n "$kh" ] && check "node $i key holder seccomp" \
	    grep -Eq '^Seccomp:[[:space:]]+2' "/proc/$kh/status"
done
# the network half never mapped the secret key file's contents: only the
# key holder answers agreements, and the network half cannot open the file
# outside its own home (Landlock); bad control clients are refused
check "a bad control request is refused" \
    sh -c "! '$ctl' -R '$tmp/run2' ping zzzzzzzzzz 2>/dev/null"

if [ "$failed" != 0 ]; then
	for i in 1 2 3; do
		echo "--- log of node $i"
		tail -n 40 "$tmp/log$i"
	done
fi
finish
