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
# shellcheck disable=SC2154 # set by lib.sh and lib-vl2.sh, also through eval
set -u
vl1d=$1 ctrld=$2 ctl=$3 client=$4 vectors=$5
netns_lib=$(dirname "$0")
. "$netns_lib/lib.sh"
. "$netns_lib/lib-vl2.sh"
vl2_setup zc$$ 2 controller alice
start_vl1d 1 controller
start_vl1d 2 alice
start_controllerd 1
check "controller socket appears" \
    wait_for 10 test -S "$tmp/run1/zt-controllerd.sock"

ctrl_pub=$controller_public
alice=$alice_address
vl2_network testnet 10.147.17
check "alice reaches the controller" wait_for 15 at_root 2

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

# ZeroTier One's metrics in info -j: the controller's counts and both
# zt-vl1d's per-verb counters (labels flattened, vl1d/README.md)
"$ctl" -R "$tmp/run1" -j info >"$tmp/info1"
"$ctl" -R "$tmp/run2" -j info >"$tmp/info2"
has() {	# has FILE KEY VALUE-REGEX
	grep -Eq "\"$2\": $3(,|\$)" "$tmp/$1"
}
check "one network counted" has info1 controller_network_count 1
check "one member counted" has info1 controller_member_count 1
check "one authorization" has info1 controller_member_auth_count 1
check "one deauthorization" has info1 controller_member_deauth_count 1
check "network changes counted" has info1 controller_network_change_count \
    '[2-9][0-9]*'
check "member changes counted" has info1 controller_member_change_count \
    '[2-9][0-9]*'
check "config requests received" has info1 \
    zt_packet_network_config_request_rx '[1-9][0-9]*'
check "ACCESS_DENIED sent, by type" has info1 \
    zt_packet_error_network_access_denied_tx '[1-9][0-9]*'
check "... and received, by type" has info2 \
    zt_packet_error_network_access_denied_rx '[1-9][0-9]*'
check "configs received" has info2 zt_packet_ok_rx '[1-9][0-9]*'

# another process holding the database's write lock (an administrator's
# sqlite3, a backup): the controller's write waits in SQLite's busy
# handler, which sleeps (its sandbox once killed it there), then succeeds
python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(1)
c.execute("COMMIT")' "$tmp/ctrl/controller.db" >"$tmp/lock" 2>&1 &
lockpid=$!
wait_for 10 grep -q locked "$tmp/lock"
check "a change waits for another process's database lock" \
    sh -c "'$ctl' -R '$tmp/run1' controller network create locked >/dev/null"
wait "$lockpid"
check "the controller outlives a locked database" kill -0 "$ctrld1"

check "the controller runs as zt-ctrl without capabilities" \
    grep -Eq '^CapEff:[[:space:]]+0000000000000000' "/proc/$ctrld1/status"
check "the controller is sandboxed" \
    grep -Eq '^Seccomp:[[:space:]]+2' "/proc/$ctrld1/status"

if [ "$failed" != 0 ]; then
	echo "--- reply: $(cat "$tmp/reply")"
	echo "--- watch: $(cat "$tmp/watch")"
	for f in log1 log2 logc client.err; do
		echo "--- $f"
		tail -n 30 "$tmp/$f"
	done
fi
finish
