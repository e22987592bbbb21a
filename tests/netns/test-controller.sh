#!/bin/sh
# zt-controllerd on its own host (zt-vl1d + zt-controllerd, no TAP, no
# capability) and a member host whose stand-in for zt-vl2d asks for a
# network config through its zt-vl1d: a private network refuses the
# unauthorized member (and adds it, unauthorized), then after
# `zt-ctl controller member authorize` the config comes back in signed
# chunks that reassemble and verify under the controller's identity,
# with an IPv4 address from the pool.  The key holder signs; the
# controller holds no key.
# usage: test-controller.sh ZT-VL1D ZT-CONTROLLERD ZT-CTL CONFIG-CLIENT VECTORS
set -u
vl1d=$1 ctrld=$2 ctl=$3 client=$4 vectors=$5
. "$(dirname "$0")/lib.sh"
need_root
sh "$(dirname "$0")/../setup-users.sh"

p=zc$$
net_setup "$p" 2
chmod 755 "$tmp"
"$ctl" world genkey "$tmp/planet.key" >/dev/null || exit 1
"$ctl" world make planet 7 1700000000000 "$tmp/planet.key" "$tmp/planet" \
    "$(identity controller public)@198.18.1.1/9993" >/dev/null || exit 1

start_vl1d() {	# start_vl1d INDEX NAME
	h=$tmp/home$1
	mkdir -p "$h" "$tmp/run$1"
	chmod 755 "$tmp/run$1"
	identity "$2" >"$h/identity.secret"
	identity "$2" public >"$h/identity.public"
	cp "$tmp/planet" "$h/planet"
	echo '{"settings":{"allowSecondaryPort":false}}' >"$h/local.conf"
	chown -R zt-vl1 "$h"
	chmod 700 "$h"
	ip netns exec "$p$1" "$vl1d" -H "$h" -R "$tmp/run$1" \
	    -b "198.18.$1.1/9993" 2>"$tmp/log$1" &
	pids="$pids $!"
}

start_vl1d 1 controller
start_vl1d 2 alice
mkdir -p "$tmp/ctrl"
chown zt-ctrl "$tmp/ctrl"
cp "$tmp/home1/identity.public" "$tmp/ctrl.public"
ip netns exec "${p}1" "$ctrld" -d "$tmp/ctrl" -R "$tmp/run1" \
    -I "$tmp/ctrl.public" -P 0 2>"$tmp/logc" &
pids="$pids $!"
ctrlpid=$!
check "controller socket appears" \
    wait_for 10 test -S "$tmp/run1/zt-controllerd.sock"

ctlc() { "$ctl" -R "$tmp/run1" "$@"; }
ctrl_pub=$(identity controller public)
alice=$(identity alice address)
nwid=$(ctlc -j controller network create testnet | python3 -c \
    'import json, sys; print(json.load(sys.stdin)["id"])')
check "network created ($nwid)" test -n "$nwid"
ctlc controller network update "$nwid" '{"private": true,
    "ipAssignmentPools": [{"ipRangeStart": "10.147.17.10",
    "ipRangeEnd": "10.147.17.20"}], "v4AssignMode": {"zt": true},
    "routes": [{"target": "10.147.17.0/24"}]}' >/dev/null
check "alice reaches the controller" wait_for 15 sh -c \
    "'$ctl' -R '$tmp/run2' peers 2>/dev/null | grep -q DIRECT"

ask() {	# the stand-in runs as zt-vl2, the role's user
	setpriv --reuid=zt-vl2 --regid=zt-vl2 --clear-groups \
	    "$client" "$tmp/run2/zt-vl1d-ipc.sock" "$ctrl_pub" "$nwid" 10 \
	    >"$tmp/reply" 2>>"$tmp/client.err"
}
ask
rc=$?
check "unauthorized: ACCESS_DENIED (rc $rc: $(cat "$tmp/reply"))" \
    test "$rc" = 4 -a "$(cat "$tmp/reply")" = "error 7"
check "the member was added, unauthorized" sh -c \
    "'$ctl' -R '$tmp/run1' -j controller member show $nwid $alice |
    grep -q '\"authorized\": *false'"
check "authorize" ctlc controller member authorize "$nwid" "$alice"
sleep 1.1	# one answer per member per second, as 1.14.1
ask
rc=$?
check "authorized: a verified config (rc $rc)" test "$rc" = 0
check "config names the network and the member" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
assert c["nwid"] == sys.argv[2], c
assert c["issuedTo"] == sys.argv[3], c
assert c["name"] == "testnet" and c["com"], c
assert any(ip.startswith("10.147.17.") for ip in c["ips"]), c
' "$tmp/reply" "$nwid" "$alice"
# pushes: a watching member gets the renamed network's config unasked,
# then the revocation of its own credentials when deauthorized
sleep 1.1
setpriv --reuid=zt-vl2 --regid=zt-vl2 --clear-groups \
    "$client" "$tmp/run2/zt-vl1d-ipc.sock" "$ctrl_pub" "$nwid" 10 8 \
    >"$tmp/watch" 2>>"$tmp/client.err" &
watcher=$!
pids="$pids $watcher"
check "the watcher got its first config" \
    wait_for 10 grep -q testnet "$tmp/watch"
ctlc controller network update "$nwid" '{"name": "renamed"}' >/dev/null
check "a changed network is pushed" wait_for 10 grep -q renamed "$tmp/watch"
ctlc controller member deauthorize "$nwid" "$alice" >/dev/null
check "deauthorizing pushes a revocation" \
    wait_for 10 grep -q credentials "$tmp/watch"
wait "$watcher"

check "the controller runs as zt-ctrl without capabilities" \
    grep -Eq '^CapEff:[[:space:]]+0000000000000000' "/proc/$ctrlpid/status"
check "the controller is sandboxed" \
    grep -Eq '^Seccomp:[[:space:]]+2' "/proc/$ctrlpid/status"

if [ "$failed" != 0 ]; then
	echo "--- reply: $(cat "$tmp/reply")"
	echo "--- watch: $(cat "$tmp/watch")"
	for f in log1 log2 logc client.err; do
		echo "--- $f"
		tail -n 30 "$tmp/$f"
	done
fi
finish
