#!/bin/sh
# zt-controllerd as a process: --print-policy against its golden file,
# start-up under its sandbox (user zt-ctrl, seccomp, no capabilities),
# zt-ctl controller commands, the HTTP API with the default and a
# read-only token, a restart keeping the data, and a corrupt database
# stopping start-up.  Needs root (the user drop); skipped otherwise.
ctrld=$1 ctl=$2 golden=$3
checks=0 failed=0

fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { checks=$((checks + 1)); }

check
"$ctrld" -d /var/lib/zt-privsep/controllerd --print-policy |
    diff -u "$golden" - >/dev/null ||
    fail "--print-policy differs from $golden"
if [ "$(id -u)" != 0 ] || ! getent passwd zt-ctrl >/dev/null; then
	echo "not root or no zt-ctrl user: daemon part skipped"
	[ "$failed" = 0 ] || exit 1
	exit 77
fi

tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
mkdir -p "$tmp/state" "$tmp/run" "$tmp/vl1d"
chown zt-ctrl "$tmp/state"
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["valid"][0]["public"])' \
    "$ZT_VECTORS_DIR/identities.json" >"$tmp/vl1d/identity.public"
addr=$(cut -c1-10 "$tmp/vl1d/identity.public")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

start() {	# start [VAR=value...]: the daemon, with that environment
	env "$@" "$ctrld" -d "$tmp/state" -R "$tmp/run" -I "$tmp/vl1d/identity.public" \
	    -P "$port" >>"$tmp/log" 2>&1 &
	pid=$!
	i=0
	while [ ! -S "$tmp/run/zt-controllerd.sock" ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	sleep 0.2
}
stop() {
	kill "$pid"; wait "$pid" 2>/dev/null; pid=
	rm -f "$tmp/run/zt-controllerd.sock"
}
c() { "$ctl" -R "$tmp/run" "$@"; }
http() {	# http METHOD PATH TOKEN [BODY] -> "status body"
	python3 - "$port" "$@" <<'PY'
import sys, urllib.request, urllib.error
port, method, path, token = sys.argv[1:5]
body = sys.argv[5].encode() if len(sys.argv) > 5 else None
req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path),
    data=body, method=method,
    headers={"X-ZT1-Auth": token, "Connection": "close"})
try:
    r = urllib.request.urlopen(req)
    print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
PY
}

start
check
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || { fail "daemon did not start"; cat "$tmp/log"; exit 1; }
check
grep -q '^Seccomp:[[:space:]]*2' "/proc/$pid/status" || fail "no seccomp filter"
check
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status" || fail "no NoNewPrivs"
check
grep -q '^CapEff:[[:space:]]*0000000000000000' "/proc/$pid/status" || fail "capabilities left"
check
[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = "$(id -u zt-ctrl)" ] || fail "not running as zt-ctrl"

token=$(cat "$tmp/state/authtoken.secret")
check
http GET /status "$token" | grep -q "^200 .*\"address\":\"$addr\"" || fail "/status"
check
http GET /status wrong | grep -q '^401 ' || fail "bad token accepted"

nwid=$(c controller network create first)
check
echo "$nwid" | grep -q "^$addr[0-9a-f]\{6\}\$" || fail "network create: $nwid"
check
c controller member authorize "$nwid" 1122334455 >/dev/null || fail "authorize"
check
c controller member update "$nwid" 1122334455 '{"ipAssignments":["10.1.1.1"]}' \
    | grep -q '10.1.1.1' || fail "member update"
check
c controller member list "$nwid" | grep -q '^1122334455 yes' || fail "member list"
check
c -j controller member show "$nwid" 1122334455 | grep -q '"authorized": true' || fail "member show"
check
c controller member update "$nwid" 1122334455 'not json' 2>/dev/null; [ $? = 2 ] || fail "bad JSON not a usage error"
check
c controller network show 0000000000000001 2>/dev/null && fail "unknown network shown"

ro=$(c controller token create ui read)
check
http GET "/controller/network/$nwid/member" "$ro" | grep -q '^200 {"1122334455":2}' || fail "read-only GET"
check
http POST "/controller/network/$nwid" "$ro" '{"name":"x"}' | grep -q '^403 ' || fail "read-only POST"
check
http POST "/controller/network/$nwid" "$token" '{"name":' | grep -q '^400 {"description"' || fail "bad body"
check
c controller token list | grep -q '^ui read$' || fail "token list"
check
c controller token revoke ui >/dev/null && http GET /status "$ro" | grep -q '^401 ' || fail "revoked token still works"

check
c controller history "$nwid" | grep -q "uid:0 member update $nwid 1122334455" || fail "history"
check
c controller export "$tmp/export" >/dev/null &&
    [ -f "$tmp/export/network/$nwid.json" ] &&
    [ -f "$tmp/export/network/$nwid/member/1122334455.json" ] || fail "export layout"
c controller network delete "$nwid" >/dev/null
check
c controller network list | grep -q "$nwid" && fail "network not deleted"
check
c controller import "$tmp/export" | grep -q 'imported 1 networks, 1 members' || fail "import"

# a ZeroTier 1.14.1 controller.d (objects as spec/controller.md §4
# shows them) moves over unchanged, revisions and all
zt="$tmp/zerotier/controller.d/network"
mkdir -p "$zt/808977c85d6e1451/member"
cat >"$zt/808977c85d6e1451.json" <<'JSON'
{"authTokens":[null],"authorizationEndpoint":"","capabilities":[],"clientId":"","creationTime":1795626279138,"dns":[],"enableBroadcast":true,"id":"808977c85d6e1451","ipAssignmentPools":[{"ipRangeEnd":"10.147.17.254","ipRangeStart":"10.147.17.1"}],"mtu":2800,"multicastLimit":32,"name":"zt","nwid":"808977c85d6e1451","objtype":"network","private":true,"remoteTraceLevel":0,"remoteTraceTarget":null,"revision":4,"routes":[{"target":"10.147.17.0/24","via":null}],"rules":[{"not":false,"or":false,"type":"ACTION_ACCEPT"}],"rulesSource":"","ssoEnabled":false,"tags":[{"default":100,"id":1000}],"v4AssignMode":{"zt":true},"v6AssignMode":{"6plane":false,"rfc4193":false,"zt":false}}
JSON
cat >"$zt/808977c85d6e1451/member/bb665e0d7e.json" <<'JSON'
{"activeBridge":false,"address":"bb665e0d7e","authenticationExpiryTime":0,"authorized":true,"capabilities":[],"creationTime":1795626335444,"id":"bb665e0d7e","identity":"bb665e0d7e:0:39ec","ipAssignments":["10.147.17.224"],"lastAuthorizedCredential":null,"lastAuthorizedCredentialType":"api","lastAuthorizedTime":1795626342583,"lastDeauthorizedTime":0,"noAutoAssignIps":false,"nwid":"808977c85d6e1451","objtype":"member","remoteTraceLevel":0,"remoteTraceTarget":null,"revision":3,"ssoExempt":false,"tags":[[1000,100]],"vMajor":1,"vMinor":14,"vProto":12,"vRev":1}
JSON
echo 'not json' >"$zt/808977c85d6e1452.json"
check
c controller import "$tmp/zerotier/controller.d" 2>/dev/null |
    grep -q 'imported 1 networks, 1 members' || fail "ZeroTier import"
check
c controller export "$tmp/again" >/dev/null &&
    cmp -s "$zt/808977c85d6e1451/member/bb665e0d7e.json" \
    "$tmp/again/network/808977c85d6e1451/member/bb665e0d7e.json" ||
    [ "$(tr -d '\n' <"$zt/808977c85d6e1451/member/bb665e0d7e.json")" = \
    "$(cat "$tmp/again/network/808977c85d6e1451/member/bb665e0d7e.json")" ] ||
    fail "member not kept exactly"
check
[ "$(tr -d '\n' <"$zt/808977c85d6e1451.json")" = \
    "$(cat "$tmp/again/network/808977c85d6e1451.json")" ] ||
    fail "network not kept exactly"

# 1,500 members (about 0.9 MB of JSON): zt-ctl's requests run to many
# IPC frames each, sent in parts, and every member arrives
python3 - "$zt" "$tmp/big/network" <<'PY'
import os, sys
src, dst = sys.argv[1:3]
net = open(src + "/808977c85d6e1451.json").read()
mem = open(src + "/808977c85d6e1451/member/bb665e0d7e.json").read()
mem = mem.replace("bb665e0d7e:0:39ec", "")
os.makedirs(dst + "/808977c85d6e1453/member")
with open(dst + "/808977c85d6e1453.json", "w") as f:
    f.write(net.replace("808977c85d6e1451", "808977c85d6e1453"))
for i in range(1500):
    m = "%010x" % (0x2200000000 + i)
    with open("%s/808977c85d6e1453/member/%s.json" % (dst, m), "w") as f:
        f.write(mem.replace("bb665e0d7e", m).replace("808977c85d6e1451",
            "808977c85d6e1453"))
PY
check
c controller import "$tmp/big" | grep -q 'imported 1 networks, 1500 members' ||
    fail "large import"
check
[ "$(c controller member list 808977c85d6e1453 | grep -c ' yes')" = 1500 ] ||
    fail "large import: members missing"
# two members of 600 KB each: two requests, neither over the cap
python3 - "$zt" "$tmp/huge/network" <<'PY'
import os, sys
src, dst = sys.argv[1:3]
net = open(src + "/808977c85d6e1451.json").read()
mem = open(src + "/808977c85d6e1451/member/bb665e0d7e.json").read()
mem = mem.replace("bb665e0d7e:0:39ec", "")
os.makedirs(dst + "/808977c85d6e1454/member")
with open(dst + "/808977c85d6e1454.json", "w") as f:
    f.write(net.replace("808977c85d6e1451", "808977c85d6e1454"))
for m in ("3300000001", "3300000002"):
    with open("%s/808977c85d6e1454/member/%s.json" % (dst, m), "w") as f:
        f.write(mem.replace("bb665e0d7e", m).replace("808977c85d6e1451",
            "808977c85d6e1454").replace('"activeBridge"',
            '"pad":"%s","activeBridge"' % ("a" * 600000)))
PY
check
c controller import "$tmp/huge" | grep -q 'imported 1 networks, 2 members' ||
    fail "import of large members"
# a member near 1 MiB with its network is over one request's cap:
# refused before sending, with the limit named
python3 - "$zt" "$tmp/over/network" <<'PY'
import os, sys
src, dst = sys.argv[1:3]
net = open(src + "/808977c85d6e1451.json").read()
mem = open(src + "/808977c85d6e1451/member/bb665e0d7e.json").read()
os.makedirs(dst + "/808977c85d6e1455/member")
with open(dst + "/808977c85d6e1455.json", "w") as f:
    f.write(net.replace("808977c85d6e1451", "808977c85d6e1455").replace(
        '"authTokens"', '"pad":"%s","authTokens"' % ("b" * 20000)))
with open(dst + "/808977c85d6e1455/member/3300000003.json", "w") as f:
    f.write(mem.replace("bb665e0d7e", "3300000003").replace(
        '"activeBridge"', '"pad":"%s","activeBridge"' % ("a" * 1040000)))
PY
check
c controller import "$tmp/over" 2>&1 |
    grep -q 'over the 1048576-byte limit of one zt-ctl request' ||
    fail "over-cap import: no clear error"
check
grep -q 'malformed\|bad frame' "$tmp/log" && fail "over-cap import reached zt-controllerd"

stop
# the restart speaks the service manager's protocol to a stand-in
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.5)
end = time.time() + 30
with open(sys.argv[2], "w") as f:
    while time.time() < end and not __import__("os").path.exists(sys.argv[3]):
        try:
            f.write(s.recv(512).decode() + "\n")
            f.flush()
        except socket.timeout:
            pass' "$tmp/notify" "$tmp/notified" "$tmp/notify.done" &
npid=$!
i=0
while [ ! -S "$tmp/notify" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
start NOTIFY_SOCKET="$tmp/notify" WATCHDOG_USEC=400000
check
c controller member list "$nwid" | grep -q '^1122334455 yes' || fail "data lost over a restart"
check
grep -qx READY=1 "$tmp/notified" || fail "no READY=1"
sleep 0.5
check
grep -qx WATCHDOG=1 "$tmp/notified" || fail "no WATCHDOG=1 at half of WATCHDOG_USEC"
stop
sleep 0.2
check
grep -qx STOPPING=1 "$tmp/notified" || fail "no STOPPING=1"
touch "$tmp/notify.done"
wait "$npid"
# the audit trail's journal lines: one stable message id, after commit
check
grep -q 'MESSAGE_ID=b1f82da71f374a55b917db61abef58d8 ZT_WHO=uid:0 ZT_WHAT=member update ' \
    "$tmp/log" || fail "no audit record for a member update"

# a database that cannot be read stops start-up; it is never taken as empty
rm -f "$tmp/state/controller.db-wal" "$tmp/state/controller.db-shm"
printf 'garbage that is not SQLite at all, garbage garbage garbage garbage' \
    >"$tmp/state/controller.db"
"$ctrld" -d "$tmp/state" -R "$tmp/run" -I "$tmp/vl1d/identity.public" \
    -P "$port" >"$tmp/log2" 2>&1 &
p2=$!
i=0
while kill -0 "$p2" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check
if kill -0 "$p2" 2>/dev/null; then
	kill "$p2"; fail "started on a corrupt database"
else
	wait "$p2"; [ $? != 0 ] || fail "exit status 0 on a corrupt database"
fi
check
grep -q 'cannot open the controller database' "$tmp/log2" || fail "no clear error: $(cat "$tmp/log2")"

echo "$checks checks, $failed failed"
[ "$failed" = 0 ]
