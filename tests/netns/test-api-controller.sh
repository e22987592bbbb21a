#!/bin/sh
# One address for a controller host, as UIs (ztncui, zero-ui, ztnet) use
# it: zt-vl1d's HTTP API on 127.0.0.1:9993 with the node's
# authtoken.secret passes /controller and /unstable/controller on to
# zt-controllerd's HTTP socket in the run directory (its own TCP port is
# 127.0.0.1:9994), auth header included;
# zt-controllerd takes the node's token (--node-token) as an admin token
# and its own named tokens still work.  A controller that is down is a
# 502, one that does not answer a 504, both in JSON; zt-vl1d stays up
# under its sandbox through all of it.
# usage: test-api-controller.sh ZT-VL1D ZT-CONTROLLERD ZT-CTL VECTORS
set -u
vl1d=$1 ctrld=$2 ctl=$3 vectors=$4
. "$(dirname "$0")/lib.sh"
need_root
sh "$(dirname "$0")/../setup-users.sh"

p=zq$$
net_setup "$p" 1
chmod 755 "$tmp"
"$ctl" world genkey "$tmp/planet.key" >/dev/null || exit 1
"$ctl" world make planet 7 1700000000000 "$tmp/planet.key" "$tmp/planet" \
    "$(identity controller public)@198.18.1.1/9993" >/dev/null || exit 1

h=$tmp/home1
mkdir -p "$h" "$tmp/run1" "$tmp/ctrl"
chmod 755 "$tmp/run1"
identity controller >"$h/identity.secret"
identity controller public >"$h/identity.public"
cp "$h/identity.public" "$tmp/ctrl.public"
cp "$tmp/planet" "$h/planet"
echo '{"settings":{"allowSecondaryPort":false}}' >"$h/local.conf"
chown -R zt-vl1 "$h"
chmod 700 "$h"
chown zt-ctrl "$tmp/ctrl"
# the token where the daemon is told it is (--api-token), group zt
printf 'nodetoken0123456789abcd\n' >"$tmp/authtoken.secret"
chown zt-vl1:zt "$tmp/authtoken.secret"
chmod 640 "$tmp/authtoken.secret"

ip netns exec "${p}1" "$vl1d" -H "$h" -R "$tmp/run1" -b 198.18.1.1/9993 \
    --api-token "$tmp/authtoken.secret" -l debug 2>"$tmp/log1" &
pids="$pids $!"
vl1pid=$!
check "the node API is up" wait_for 10 grep -q 'HTTP API on' "$tmp/log1"

start_ctrld() {
	ip netns exec "${p}1" "$ctrld" -d "$tmp/ctrl" -R "$tmp/run1" \
	    -I "$tmp/ctrl.public" --node-token "$tmp/authtoken.secret" \
	    2>>"$tmp/logc" &
	ctrlpid=$!
	pids="$pids $ctrlpid"
	wait_for 10 grep -q 'controller .* up' "$tmp/logc"
}

# api.py PHASE: the UI's calls for one phase; prints a line per failure
cat >"$tmp/api.py" <<'PY'
import http.client, json, socket, sys
phase, node_tok, ctrl_tok, addr = sys.argv[1:5]
bad = []

def call(method, path, body=None, tok=node_tok, port=9993):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    h = {} if tok is None else {"X-ZT1-Auth": tok}
    data = None
    if body is not None:
        data = json.dumps(body)
        h["Content-Type"] = "application/json"
    c.request(method, path, data, h)
    r = c.getresponse()
    text = r.read()
    c.close()
    try:
        return r.status, json.loads(text) if text else None
    except ValueError:
        return r.status, text

def check(what, ok):
    if not ok:
        bad.append(what)

if phase == "down":
    s, j = call("GET", "/status")
    check("status 200 with the node token", s == 200 and
          j.get("address") == addr)
    s, j = call("GET", "/controller")
    check("controller down: 502 JSON (%s %s)" % (s, j), s == 502 and
          isinstance(j, dict) and j.get("error") == 502)
    s, j = call("GET", "/unstable/controller/network")
    check("unstable route down: 502", s == 502)
    s, j = call("GET", "/controllerx")
    check("/controllerx is not passed on (%s)" % s, s == 404)
elif phase == "up":
    s, j = call("GET", "/controller")
    check("GET /controller (%s %s)" % (s, j), s == 200 and
          j.get("controller") is True)
    s, j = call("POST", "/controller/network/%s______" % addr,
                {"name": "uinet", "private": True})
    nwid = j.get("id", "") if isinstance(j, dict) else ""
    check("POST network (%s %s)" % (s, j), s == 200 and
          nwid.startswith(addr) and j.get("name") == "uinet")
    s, j = call("GET", "/controller/network")
    check("network list (%s)" % j, s == 200 and nwid in j)
    s, j = call("POST", "/controller/network/%s/member/deadbeef01" % nwid,
                {"authorized": True})
    check("member authorized (%s %s)" % (s, j), s == 200 and
          j.get("authorized") is True)
    s, j = call("GET", "/controller/network/%s/member" % nwid)
    check("member list (%s %s)" % (s, j), s == 200 and
          "deadbeef01" in j)
    s, j = call("GET", "/unstable/controller/network/%s/member" % nwid)
    check("unstable member list (%s %s)" % (s, j), s == 200 and
          j.get("meta", {}).get("totalCount") == 1)
    s, j = call("GET", "/controller/network", tok="wrongtoken")
    check("a bad token is refused by the controller (%s)" % s, s == 401)
    s, j = call("GET", "/controller/network", tok=None)
    check("no token is refused (%s)" % s, s == 401)
    s, j = call("DELETE", "/controller/network/%s" % nwid,
                tok=ctrl_tok)
    check("the controller's own token works through 9993 (%s)" % s,
          s == 200)
    s, j = call("GET", "/controller", port=9994)
    check("the node token on 9994 itself (%s)" % s, s == 200)
    s, j = call("GET", "/peer", tok="wrongtoken")
    check("node routes still want the node token (%s)" % s, s == 401)
elif phase == "hang":
    s, j = call("GET", "/controller")
    check("a controller that does not answer: 504 (%s %s)" % (s, j),
          s == 504 and isinstance(j, dict))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY

addr=$(identity controller address)
api() {	# api PHASE
	ip netns exec "${p}1" python3 "$tmp/api.py" "$1" \
	    nodetoken0123456789abcd "$(cat "$tmp/ctrl/authtoken.secret" \
	    2>/dev/null || echo none)" "$addr" >>"$tmp/api.out" 2>&1
}

check "no controller: status served, controller routes 502" api down
check "zt-controllerd up on its own port" start_ctrld
check "node token accepted by zt-controllerd" \
    grep -q 'node token .* accepted as an admin token' "$tmp/logc"
check "ztncui-like calls through 9993" api up
kill "$ctrlpid"
wait "$ctrlpid" 2>/dev/null
check "controller stopped: 502 again" api down

# something on the controller's socket that accepts and never answers
rm -f "$tmp/run1/zt-controllerd-http.sock"
python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
s.listen(4)
c = s.accept()
time.sleep(30)' "$tmp/run1/zt-controllerd-http.sock" &
hang=$!
pids="$pids $hang"
sleep 0.3
check "a hanging controller: 504" api hang
kill "$hang" 2>/dev/null

check "zt-vl1d is still up" kill -0 "$vl1pid"
check "zt-vl1d is sandboxed" \
    grep -Eq '^Seccomp:[[:space:]]+2' "/proc/$vl1pid/status"

if [ "$failed" != 0 ]; then
	echo "--- api: $(cat "$tmp/api.out")"
	for f in log1 logc; do
		echo "--- $f"
		tail -n 30 "$tmp/$f"
	done
fi
finish
