#!/bin/sh
# The node API's /network routes, answered by zt-vl2d through zt-vl1d: a
# controller host and one member (zt-tapd + zt-vl1d + zt-vl2d).  With
# the member's token, POST /network/<nwid> joins, GET /network and GET
# /network/<nwid> show the network object with ZeroTier's field names
# (status OK, the pool address and the TAP once authorized), DELETE
# leaves (then 404 and no state file).  allowManaged & co. in a POST body
# go to zt-tapd through zt-vl1d: allowManaged false shows in GET and takes
# the managed address off the TAP, true (or 1) puts it back; a value that
# is not a boolean is a 400, and without zt-tapd such a POST is a 503
# that joins nothing.  zt-vl2d's uid can neither claim zt-vl1d's role at
# zt-tapd nor send it a settings request in its own.  A bad network id
# is a 400, no token a 401.  A request pending when zt-vl2d drops is a
# 503, as are later ones; zt-vl1d stays up.
# usage: test-vl2-api.sh ZT-VL1D ZT-CONTROLLERD ZT-TAPD ZT-VL2D ZT-CTL VECTORS
set -u
vl1d=$1 ctrld=$2 tapd=$3 vl2d=$4 ctl=$5 vectors=$6
netns_lib=$(dirname "$0")
. "$netns_lib/lib.sh"
. "$netns_lib/lib-vl2.sh"
vl2_setup zn$$ 2 controller alice
t0=$(date +%s)
vl2_start 1 controller alice
tapdpid=$tapd2 vl2pid=$vl2d2
alice=$alice_address
vl2_network apinet 10.147.18
vl2_up 2
echo "member up after $(($(date +%s) - t0)) s" >"$tmp/times"
check "the member's token is made" test -s "$tmp/home2/authtoken.secret"

# every request in one Python run (a python3 start costs seconds on a
# loaded machine); prints "ok NAME" or "FAIL NAME: detail" per step.
# The authorization happens in between, through the command in argv.
cat >"$tmp/api.py" <<'API'
import http.client, json, subprocess, sys, time
tok, nwid, auth = sys.argv[1], sys.argv[2], sys.argv[3:]
def req(method, path, body=None, token=tok):
    h = {"X-ZT1-Auth": token} if token else {}
    for _ in range(50):
        try:
            c = http.client.HTTPConnection("127.0.0.1", 9993, timeout=8)
            c.request(method, path, body, h)
            r = c.getresponse()
            data = r.read()
            c.close()
            return r.status, json.loads(data) if data else None
        except OSError:
            time.sleep(0.2)
    return 0, None
t0 = time.time()
def step(name, ok, detail=""):
    print(("ok %s" % name) if ok else ("FAIL %s: %s" % (name, detail)),
          flush=True)
    print("at %.1f s" % (time.time() - t0), flush=True)
def until(secs, fn):
    end = time.time() + secs
    while True:
        r = fn()
        if r[0] or time.time() > end:
            return r
        time.sleep(0.2)
path = "/network/" + nwid
s, j = until(10, lambda: (lambda s, j: (s == 200, (s, j)))(
    *req("GET", "/network")))[1]
step("list-empty", s == 200 and j == [], (s, j))
s, j = req("GET", "/network", token="")
step("no-token", s == 401, s)
s, j = req("GET", "/network", token="x" * 24)
step("bad-token", s == 401, s)
s, j = req("POST", path, json.dumps({"allowManaged": "no"}))
step("allow-bad-type", s == 400 and j.get("error") == 400 and
     "allowManaged" in j.get("description", ""), (s, j))
s, j = req("POST", path, json.dumps({"allowDNS": 2}))
step("allow-bad-int", s == 400, (s, j))
s, j = req("GET", path)
step("not-joined-404", s == 404 and j is None, (s, j))
s, j = req("POST", path, "{}")
step("join", s == 200 and j.get("id") == nwid and j.get("nwid") == nwid
     and "status" in j and "mac" in j, (s, j))
s, j = req("POST", path, "[")
step("bad-body", s == 400, (s, j))
s, j = req("GET", "/network/zzzz")
step("bad-nwid", s == 400, (s, j))
subprocess.run(auth, check=False, stdout=subprocess.DEVNULL)
def authorized():
    s, j = req("GET", path)
    ok = (s == 200 and j.get("status") == "OK" and j.get("type") ==
          "PRIVATE" and any(a.startswith("10.147.18.")
          for a in j.get("assignedAddresses", [])) and
          j.get("portDeviceName", "") != "")
    return ok, (s, j)
ok, d = until(15, authorized)
step("authorized", ok, d)
dev = (d[1] or {}).get("portDeviceName", "")
addr = [a for a in (d[1] or {}).get("assignedAddresses", [])
        if a.startswith("10.147.18.")]
addr = addr[0] if addr else "none"
def on_tap():
    out = subprocess.run(["ip", "-o", "addr", "show", "dev", dev],
                         capture_output=True, text=True).stdout
    return " %s " % addr in out
step("allow-defaults", d[1].get("allowManaged") is True and
     d[1].get("allowGlobal") is False and d[1].get("allowDefault") is
     False and d[1].get("allowDNS") is False, d)
ok, _ = until(5, lambda: (on_tap(), None))
step("addr-on-tap", ok, addr)
s, j = req("POST", path, json.dumps({"allowManaged": False}))
step("managed-off", s == 200 and j.get("allowManaged") is False and
     j.get("id") == nwid, (s, j))
s, j = req("GET", path)
step("managed-off-get", s == 200 and j.get("allowManaged") is False,
     (s, j))
s, j = req("GET", "/network")
step("managed-off-list", s == 200 and len(j) == 1 and
     j[0].get("allowManaged") is False, (s, j))
ok, _ = until(5, lambda: (not on_tap(), None))
step("addr-removed", ok, addr)
s, j = req("POST", path, json.dumps({"allowManaged": 1, "allowDNS": True}))
step("managed-on", s == 200 and j.get("allowManaged") is True and
     j.get("allowDNS") is True, (s, j))
ok, _ = until(5, lambda: (on_tap(), None))
step("addr-back", ok, addr)
s, j = req("GET", "/network")
step("list", s == 200 and [n.get("id") for n in j] == [nwid] and
     all(k in j[0] for k in ("name", "mtu", "routes", "dns",
     "assignedAddresses", "portDeviceName")), (s, j))
s, j = req("DELETE", path)
step("leave", s == 200 and j == {"result": True}, (s, j))
s, j = req("GET", path)
step("left-404", s == 404, (s, j))
s, j = req("GET", "/network")
step("list-after", s == 200 and j == [], (s, j))
API
ip netns exec "${p}2" python3 "$tmp/api.py" \
    "$(cat "$tmp/home2/authtoken.secret")" "$nwid" \
    "$ctl" -R "$tmp/run1" controller member authorize "$nwid" "$alice" \
    >"$tmp/out" 2>&1
# a shell pattern, no process per check (the machine may be loaded)
res=$(cat "$tmp/out")
has_line() { case "
$res
" in *"
$1
"*) return 0 ;; esac; return 1; }
for s in list-empty no-token bad-token allow-bad-type allow-bad-int \
    not-joined-404 join bad-body bad-nwid authorized allow-defaults \
    addr-on-tap managed-off managed-off-get managed-off-list addr-removed \
    managed-on addr-back list leave left-404 list-after; do
	check "HTTP $s" has_line "ok $s"
done
check "leaving deletes the state" \
    test ! -e "$tmp/vl2d2/networks.d/$nwid.conf"

# zt-vl2d's uid at zt-tapd's daemon socket: zt-vl1d's role is refused
# before any answer; in its own role a settings request closes the link
# and changes nothing (the catalogue admits it from zt-vl1d only)
cat >"$tmp/uid.py" <<'UID'
import os, pwd, socket, struct, sys
path, nwid, version = sys.argv[1], int(sys.argv[2], 16), int(sys.argv[3])
# the interpreter may live where zt-vl2 cannot read: it drops itself
pw = pwd.getpwnam("zt-vl2")
os.setgroups([])
os.setgid(pw.pw_gid)
os.setuid(pw.pw_uid)
def frame(t, body, rid=0):
    return struct.pack(">HBBII", t, 0, 0, len(body), rid) + body
def attempt(role, then=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(3)
    s.connect(path)
    s.send(frame(1, struct.pack(">BH", role, version)))
    got = []
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            t = struct.unpack(">H", d[:2])[0]
            got.append(t)
            if t == 1 and then is not None:
                s.send(then)
                then = None
    except socket.timeout:
        got.append("timeout")
    s.close()
    return got
print("as-vl1d", attempt(1))
print("set-as-vl2d", attempt(3, frame(47, struct.pack(">QBB", nwid, 2, 2),
    7)))
UID
version=$(sed -n 's/^#define IPC_PROTO_VERSION[[:space:]]*\([0-9]*\).*/\1/p' \
    "$(dirname "$0")/../../common/ipc_catalogue.h")
python3 "$tmp/uid.py" \
    "$tmp/run2/zt-tapd-ipc.sock" "$nwid" "$version" >"$tmp/uid" 2>&1
check "zt-vl1d's role refused for zt-vl2d's uid" \
    grep -qx 'as-vl1d \[\]' "$tmp/uid"
check "a settings request in zt-vl2d's role closes the link" \
    grep -qx 'set-as-vl2d \[1\]' "$tmp/uid"
check "and changes nothing" test "$("$ctl" -R "$tmp/run2" get "$nwid" \
    allowGlobal)" = 0

# without zt-tapd a POST with allow* fields is a 503 and joins nothing
kill -TERM "$tapdpid"
wait "$tapdpid" 2>/dev/null
cat >"$tmp/notapd.py" <<'NOTAPD'
import http.client, json, sys, time
tok, nwid = sys.argv[1], sys.argv[2]
def req(method, body=None):
    c = http.client.HTTPConnection("127.0.0.1", 9993, timeout=8)
    c.request(method, "/network/" + nwid, body, {"X-ZT1-Auth": tok})
    r = c.getresponse()
    data = r.read()
    return r.status, json.loads(data) if data else None
s, j = req("POST", json.dumps({"allowDNS": True}))
print("post", s, (j or {}).get("error"), "zt-tapd" in str(j))
print("get", req("GET")[0])
NOTAPD
ip netns exec "${p}2" python3 "$tmp/notapd.py" \
    "$(cat "$tmp/home2/authtoken.secret")" "$nwid" >"$tmp/notapd" 2>&1
check "503 for settings without zt-tapd" \
    grep -qx 'post 503 503 True' "$tmp/notapd"
check "nothing joined by it" grep -qx 'get 404' "$tmp/notapd"

# a request pending at a stopped zt-vl2d is answered 503 when the link
# drops (kill -9), later ones are 503 at once; zt-vl1d stays up
kill -STOP "$vl2pid"
cat >"$tmp/down.py" <<'DOWN'
import http.client, os, signal, sys, threading, time
tok, pid = sys.argv[1], int(sys.argv[2])
def get():
    c = http.client.HTTPConnection("127.0.0.1", 9993, timeout=8)
    c.request("GET", "/network", headers={"X-ZT1-Auth": tok})
    r = c.getresponse()
    return "%d %s" % (r.status, r.read().decode())
out = []
t = threading.Thread(target=lambda: out.append(get()))
t.start()
time.sleep(1.5)
os.kill(pid, signal.SIGKILL)
t.join()
print("pending", out[0] if out else "none")
end = time.time() + 5
while True:
    a = get()
    if a.startswith("503") or time.time() > end:
        break
    time.sleep(0.2)
print("after", a)
DOWN
ip netns exec "${p}2" python3 "$tmp/down.py" \
    "$(cat "$tmp/home2/authtoken.secret")" "$vl2pid" >"$tmp/down" 2>&1
wait "$vl2pid" 2>/dev/null
check "a pending request: 503 when zt-vl2d drops" grep -q \
    '^pending 503 .*zt-vl2d disconnected.*"error":503' "$tmp/down"
check "503 without zt-vl2d" grep -q \
    '^after 503 .*"error":503' "$tmp/down"
check "zt-vl1d is still up" kill -0 "$vl1d2"

if [ "$failed" != 0 ] || [ -n "${ZT_TEST_VERBOSE:-}" ]; then
	for f in times out uid notapd down log1 log2 logc logt2 logv2; do
		echo "--- $f"
		tail -n 40 "$tmp/$f"
	done
fi
finish
