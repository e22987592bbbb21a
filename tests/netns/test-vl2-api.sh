#!/bin/sh
# The node API's /network routes, answered by zt-vl2d through zt-vl1d: a
# controller host and one member (zt-tapd + zt-vl1d + zt-vl2d).  With
# the member's token, POST /network/<nwid> joins, GET /network and GET
# /network/<nwid> show the network object with ZeroTier's field names
# (status OK, the pool address and the TAP once authorized), DELETE
# leaves (then 404 and no state file).  zt-tapd's settings in a POST body
# are a 403, a bad network id a 400, no token a 401.  A request pending
# when zt-vl2d drops is a 503, as are later ones; zt-vl1d stays up.
# usage: test-vl2-api.sh ZT-VL1D ZT-CONTROLLERD ZT-TAPD ZT-VL2D ZT-CTL VECTORS
set -u
vl1d=$1 ctrld=$2 tapd=$3 vl2d=$4 ctl=$5 vectors=$6
. "$(dirname "$0")/lib.sh"
need_root
sh "$(dirname "$0")/../setup-users.sh"

p=zn$$
net_setup "$p" 2
chmod 755 "$tmp"
"$ctl" world genkey "$tmp/planet.key" >/dev/null || exit 1
"$ctl" world make planet 7 1700000000000 "$tmp/planet.key" "$tmp/planet" \
    "$(identity controller public)@198.18.1.1/9993" >/dev/null || exit 1

tun=""
if [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
	tun=$tmp/tun
	mknod "$tun" c 10 200 && chmod 666 "$tun" || exit 1
fi

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
	eval "vl1d$1=$!"
}

start_vl1d 1 controller
start_vl1d 2 alice
mkdir -p "$tmp/ctrl" "$tmp/tapd2" "$tmp/vl2d2"
chown zt-ctrl "$tmp/ctrl"
chown zt-tap:zt-tap "$tmp/tapd2"
chown zt-vl2:zt-vl2 "$tmp/vl2d2"
cp "$tmp/home1/identity.public" "$tmp/ctrl.public"
ip netns exec "${p}1" "$ctrld" -d "$tmp/ctrl" -R "$tmp/run1" \
    -I "$tmp/ctrl.public" -P 0 2>"$tmp/logc" &
pids="$pids $!"
ip netns exec "${p}2" sh -c '[ -z "$1" ] || mount --bind "$1" \
    /dev/net/tun || exit 1; shift; exec "$@"' sh "$tun" "$tapd" \
    -H "$tmp/tapd2" -R "$tmp/run2" -m 300 2>"$tmp/logt2" &
pids="$pids $!"
unshare -n "$vl2d" -d "$tmp/vl2d2" -R "$tmp/run2" -l debug \
    --time-scale 5 2>"$tmp/logv2" &
vl2pid=$!
pids="$pids $vl2pid"
t0=$(date +%s)
check "controller socket appears" \
    wait_for 10 test -S "$tmp/run1/zt-controllerd.sock"

ctlc() { "$ctl" -R "$tmp/run1" "$@"; }
alice=$(identity alice address)
nwid=$(ctlc -j controller network create apinet |
    sed -n 's/.*"id": *"\([0-9a-f]\{16\}\)".*/\1/p' | head -n 1)
check "network created ($nwid)" test -n "$nwid"
ctlc controller network update "$nwid" '{"private": true,
    "ipAssignmentPools": [{"ipRangeStart": "10.147.18.10",
    "ipRangeEnd": "10.147.18.20"}], "v4AssignMode": {"zt": true},
    "routes": [{"target": "10.147.18.0/24"}]}' >/dev/null
check "member reaches the controller" wait_for 15 sh -c \
    "'$ctl' -R '$tmp/run2' peers 2>/dev/null | grep -q DIRECT"
echo "member up after $(($(date +%s) - t0)) s" >"$tmp/times"
check "zt-vl2d serves" wait_for 10 test -S "$tmp/run2/zt-vl2d.sock"
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
s, j = req("POST", path, json.dumps({"allowManaged": False}))
step("tapd-setting", s == 403 and j.get("error") == 403, (s, j))
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
for s in list-empty no-token bad-token tapd-setting not-joined-404 join \
    bad-body bad-nwid authorized list leave left-404 list-after; do
	check "HTTP $s" has_line "ok $s"
done
check "leaving deletes the state" \
    test ! -e "$tmp/vl2d2/networks.d/$nwid.conf"

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
	for f in times out down log1 log2 logc logt2 logv2; do
		echo "--- $f"
		tail -n 40 "$tmp/$f"
	done
fi
finish
