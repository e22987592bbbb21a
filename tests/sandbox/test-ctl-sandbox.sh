#!/bin/sh
# zt-ctl status, doctor and sandbox show/verify against real daemons:
# zt-tapd, zt-vl1d (network half and key holder) and zt-controllerd,
# started as root, each in its own network namespace (unshare; no packet
# leaves), sharing one run directory.  Then zt-vl1d is restarted with a
# seccomp filter that its libseccomp only pretends to load (selftest.so):
# the daemon still reports a filter, and verify must catch the kernel's
# "Seccomp: 0" and exit 1.
# usage: test-ctl-sandbox.sh ZT-CTL SELFTEST.so|- ZT-TAPD ZT-VL1D ZT-CONTROLLERD
set -u
ctl=$1 lib=$2 tapd=$3 vl1d=$4 ctrld=$5
checks=0 failed=0

if [ "$(id -u)" != 0 ]; then
	echo "needs root (daemons drop from root)"
	exit 77
fi
sh "$ZT_SOURCE_ROOT/tests/setup-users.sh" || exit 1
case $lib in /*|-) ;; *) lib=$(pwd)/$lib ;; esac

tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
chmod 755 "$tmp"

check() {	# check DESCRIPTION command...
	what=$1
	shift
	checks=$((checks + 1))
	if ! "$@"; then
		echo "FAIL: $what"
		failed=$((failed + 1))
	fi
}

wait_for() {	# wait_for SECONDS command...
	n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

c() { "$ctl" -R "$tmp/run" "$@"; }

mkdir -p "$tmp/tapd" "$tmp/vl1d" "$tmp/ctrld" "$tmp/run"
# 0755 as under systemd's RuntimeDirectory: the daemons' IPC sockets
# are reached by other users; control sockets are 0660 group zt
chmod 755 "$tmp/run"
chown zt-tap:zt-tap "$tmp/tapd"
python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["valid"][0]["secret"])' \
    "$ZT_VECTORS_DIR/identities.json" >"$tmp/vl1d/identity.secret" || exit 1
chown -R zt-vl1:zt-vl1 "$tmp/vl1d"
chmod 700 "$tmp/vl1d"
chmod 600 "$tmp/vl1d/identity.secret"
cut -d: -f1-3 "$tmp/vl1d/identity.secret" >"$tmp/identity.public"
chown zt-ctrl:zt-ctrl "$tmp/ctrld"
mknod "$tmp/tun" c 10 200 && chmod 666 "$tmp/tun" || exit 1

unshare --net --mount sh -c 'ip link set lo up &&
    mount --bind "$0" /dev/net/tun && exec "$@"' "$tmp/tun" \
    "$tapd" -H "$tmp/tapd" -R "$tmp/run" 2>"$tmp/tapd.log" &
tapd_pid=$!
pids="$pids $tapd_pid"
start_vl1d() {	# start_vl1d [VAR=VALUE...]
	env "$@" unshare --net sh -c 'ip link set lo up && exec "$@"' sh \
	    "$vl1d" -H "$tmp/vl1d" -R "$tmp/run" -p 19995 \
	    2>>"$tmp/vl1d.log" &
	vl1d_pid=$!
	pids="$pids $vl1d_pid"
}
start_vl1d ZT_UNUSED=1
wait_for 10 test -S "$tmp/run/zt-vl1d-ipc.sock" ||
    { cat "$tmp/vl1d.log"; exit 1; }
unshare --net sh -c 'ip link set lo up && exec "$@"' sh \
    "$ctrld" -d "$tmp/ctrld" -R "$tmp/run" -I "$tmp/identity.public" \
    -P 19996 2>"$tmp/ctrld.log" &
ctrld_pid=$!
pids="$pids $ctrld_pid"
for s in zt-tapd zt-vl1d zt-controllerd; do
	wait_for 10 test -S "$tmp/run/$s.sock" ||
	    { echo "no $s socket"; cat "$tmp"/*.log; exit 1; }
done
# zt-controllerd's link to zt-vl1d comes up after its HELLO
wait_for 10 sh -c "'$ctl' -R '$tmp/run' status | grep -q 'zt-vl1d=up'"

c status >"$tmp/status" 2>&1
cat "$tmp/status"
for d in zt-tapd zt-vl1d zt-controllerd; do
	check "status: $d up" grep -q "^$d  *up " "$tmp/status"
done
check "status: zt-vl2d down" grep -q '^zt-vl2d  *down' "$tmp/status"
check "status: controllerd's link to zt-vl1d" \
    grep -q '^zt-controllerd .*links: zt-vl1d=up' "$tmp/status"
check "status: zt-vl1d sees zt-controllerd" \
    grep -q '^zt-vl1d .*zt-controllerd=up' "$tmp/status"
c -j status >"$tmp/status.json"
check "status -j: pids, versions and uptimes" python3 - "$tmp/status.json" \
    "$tapd_pid" "$vl1d_pid" "$ctrld_pid" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
want = dict(zip(["zt-tapd", "zt-vl1d", "zt-controllerd"],
    map(int, sys.argv[2:5])))
for d, pid in want.items():
    x = s[d]
    assert x["state"] == "up" and x["pid"] == pid, (d, x)
    assert x["version"] and 0 <= x["uptime"] < 120, (d, x)
assert s["zt-vl2d"] == {"state": "down"}, s["zt-vl2d"]
PY

c sandbox show >"$tmp/show" 2>&1
cat "$tmp/show"
check "show: the key holder is listed" \
    grep -q '^zt-vl1d-keyholder (pid' "$tmp/show"
check "show: nothing looser" sh -c "! grep -q LOOSER '$tmp/show'"
check "show: tapd keeps CAP_NET_ADMIN only" \
    grep -q 'CapEff  *0000000000001000  *0000000000001000  *ok' "$tmp/show"
check "verify: exit 0 on the real daemons" c sandbox verify
c -j sandbox >"$tmp/sandbox.json"
check "sandbox -j: live ids are the daemons' users, all checks ok" \
    python3 - "$tmp/sandbox.json" "$(id -u zt-tap)" "$(id -u zt-vl1)" \
    "$(id -u zt-ctrl)" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
uids = dict(zip(["zt-tapd", "zt-vl1d", "zt-vl1d-keyholder",
    "zt-controllerd"], [sys.argv[2], sys.argv[3], sys.argv[3], sys.argv[4]]))
seen = set()
for d in ("zt-tapd", "zt-vl1d", "zt-controllerd"):
    for p in s[d]["processes"]:
        seen.add(p["name"])
        assert p["ok"], p
        rows = {r["item"]: r for r in p["checks"]}
        assert rows["Uid"]["live"] == " ".join([uids[p["name"]]] * 4), rows
        assert rows["NoNewPrivs"]["live"] == "1"
        assert rows["Seccomp"]["live"].startswith("mode 2")
        if p["status"] is not None:
            assert p["status"]["applied"] and p["status"]["seccomp"]
assert seen == set(uids), seen
PY

# an isolated zt-vl1d reaches no root: doctor warns (exit 1), and says why
c doctor >"$tmp/doctor" 2>&1
st=$?
cat "$tmp/doctor"
check "doctor: WARNING (exit 1) for an offline node" test "$st" = 1
check "doctor: names the offline node" \
    grep -q '^WARNING  *node .*offline' "$tmp/doctor"
check "doctor: daemons OK" grep -q '^OK  *zt-tapd  *up' "$tmp/doctor"
check "doctor -j: result" sh -c "'$ctl' -R '$tmp/run' -j doctor |
    grep -q '\"result\": \"WARNING\"'"

# zt-controllerd killed: its socket stays, nobody listens: CRITICAL
kill -9 "$ctrld_pid"
wait "$ctrld_pid" 2>/dev/null
c doctor >"$tmp/doctor" 2>&1
st=$?
check "doctor: CRITICAL (exit 2) when a daemon's socket is dead" test "$st" = 2
check "status: controllerd down" sh -c \
    "'$ctl' -R '$tmp/run' status | grep -q '^zt-controllerd  *down'"
rm -f "$tmp/run/zt-controllerd.sock"

# a filter the kernel never got: the daemon's word is not enough (the
# preload needs a build without sanitizers)
if [ "$lib" = - ]; then
	echo "sanitizer build: the faked seccomp filter is not tried"
	kill "$vl1d_pid" "$tapd_pid"
	wait "$vl1d_pid" "$tapd_pid" 2>/dev/null
	pids=""
	echo "$checks checks, $failed failed"
	[ "$failed" = 0 ]
	exit
fi
kill "$vl1d_pid"
wait "$vl1d_pid" 2>/dev/null
rm -f "$tmp/run"/zt-vl1d*.sock
start_vl1d LD_PRELOAD="$lib" ZT_SELFTEST_SKIP_SECCOMP=1
wait_for 10 test -S "$tmp/run/zt-vl1d.sock" || { cat "$tmp/vl1d.log"; exit 1; }
wait_for 5 sh -c "'$ctl' -R '$tmp/run' status | grep -q '^zt-vl1d  *up'"
c sandbox verify >"$tmp/verify" 2>&1
st=$?
cat "$tmp/verify"
check "verify: exit 1 when the kernel has no filter" test "$st" = 1
check "verify: names Seccomp as looser" \
    grep -q 'Seccomp .*mode 0.*LOOSER' "$tmp/verify"
check "verify: the rest still ok" \
    grep -q '^zt-tapd (pid [0-9]*): ok' "$tmp/verify"

kill "$vl1d_pid" "$tapd_pid"
wait "$vl1d_pid" "$tapd_pid" 2>/dev/null
pids=""
check "status after stop: all down" sh -c "'$ctl' -R '$tmp/run' status |
    grep -c '^zt-[a-z0-9]*  *down' | grep -qx 4"
check "verify with nothing running: exit 1" sh -c \
    "! '$ctl' -R '$tmp/run' sandbox verify >/dev/null"

echo "$checks checks, $failed failed"
[ "$failed" = 0 ]
