#!/bin/sh
# zt-vl1d started as systemd starts it, and its local HTTP API.
# Node 1 is the private planet's root (HTTP API off in its local.conf);
# node 2 is a leaf started by a small stand-in service manager that makes
# the three sockets (control, ipc, keys), passes them as fds 3-5 with
# LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES and execs the daemon: it must use
# them, not bind its own.  Sockets that are not what their name says stop
# start-up.  Then the API on 127.0.0.1:9993 (spec/service.md §6): the
# token from authtoken.secret, ZeroTier One's JSON shapes, errors, and
# /metrics (Prometheus text, per-verb counters, metricstoken.secret).
# usage: test-vl1-api.sh ZT-VL1D ZT-CTL VECTORS
set -u
vl1d=$1 ctl=$2 vectors=$3
. "$(dirname "$0")/lib.sh"
need_root
sh "$(dirname "$0")/../setup-users.sh"

p=za$$
net_setup "$p" 2
chmod 755 "$tmp"

"$ctl" world genkey "$tmp/planet.key" >/dev/null || exit 1
"$ctl" world make planet 7 1700000000000 "$tmp/planet.key" "$tmp/planet" \
    "$(identity controller public)@198.18.1.1/9993" >/dev/null || exit 1

home() {	# home INDEX NAME LOCAL.CONF
	h=$tmp/home$1
	mkdir -p "$h" "$tmp/run$1"
	identity "$2" >"$h/identity.secret"
	cp "$tmp/planet" "$h/planet"
	echo "$3" >"$h/local.conf"
	chown -R zt-vl1 "$h"
	chmod 700 "$h"
}

# the stand-in service manager: LAUNCH RUNDIR SPEC -- command...
# SPEC is name=kind:file,... with kind seq (listening seqpacket) or udp
cat >"$tmp/launch.py" <<'PY'
import fcntl, os, socket, sys
run, spec = sys.argv[1], sys.argv[2]
argv = sys.argv[sys.argv.index("--") + 1:]
names, fds, keep = [], [], []
for item in spec.split(","):
    name, rest = item.split("=")
    kind, fn = rest.split(":")
    if kind == "seq":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.bind(os.path.join(run, fn))
        s.listen(16)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    keep.append(s)
    names.append(name)
    # well above 3..5, so the dup2 calls below clobber none of them
    fds.append(fcntl.fcntl(s.fileno(), fcntl.F_DUPFD_CLOEXEC, 10))
for i, fd in enumerate(fds):
    os.dup2(fd, 3 + i, inheritable=True)
os.environ["LISTEN_PID"] = str(os.getpid())	# exec keeps the pid
os.environ["LISTEN_FDS"] = str(len(fds))
os.environ["LISTEN_FDNAMES"] = ":".join(names)
os.execvp(argv[0], argv)
PY

launch() {	# launch INDEX SPEC LOG: the daemon with passed sockets
	python3 "$tmp/launch.py" "$tmp/run$1" "$2" -- \
	    ip netns exec "$p$1" "$vl1d" -H "$tmp/home$1" -R "$tmp/run$1" \
	    -b "198.18.$1.1/9993" -l debug 2>"$3"
}

all="control=seq:zt-vl1d.sock,ipc=seq:zt-vl1d-ipc.sock"
all="$all,keys=seq:zt-vl1d-keys.sock"

# sockets that are not what their names say stop start-up
home 2 alice '{"settings":{"allowSecondaryPort":false}}'
launch 2 "control=seq:elsewhere.sock,ipc=seq:zt-vl1d-ipc.sock" \
    "$tmp/bad1.log"
check "a socket bound elsewhere stops start-up" test $? != 0
check "the error names the socket" grep -q "'control'.*elsewhere.sock" \
    "$tmp/bad1.log"
rm -f "$tmp"/run2/*
launch 2 "control=seq:zt-vl1d.sock,ipc=udp:x" "$tmp/bad2.log"
check "a UDP socket as 'ipc' stops start-up" test $? != 0
check "the error says what is wrong" \
    grep -q "'ipc'.*not a listening unix seqpacket" "$tmp/bad2.log"
rm -f "$tmp"/run2/*

home 1 controller '{"settings":{"allowSecondaryPort":false,"httpApi":false}}'
ip netns exec "${p}1" "$vl1d" -H "$tmp/home1" -R "$tmp/run1" \
    -b 198.18.1.1/9993 -l debug 2>"$tmp/log1" &
pids="$pids $!"

# not through launch(): $! must be the daemon (exec keeps the pid)
python3 "$tmp/launch.py" "$tmp/run2" "$all" -- ip netns exec "${p}2" \
    "$vl1d" -H "$tmp/home2" -R "$tmp/run2" -b 198.18.2.1/9993 -l debug \
    2>"$tmp/log2" &
pids="$pids $!"
pid2=$!
wait_for 10 test -S "$tmp/run2/zt-vl1d.sock"
wait_for 10 grep -q 'up on port' "$tmp/log2"

check "activation logged" \
    grep -q 'socket activation: 3 of 3 sockets passed' "$tmp/log2"
inode() { stat -c %i "$tmp/run2/$1"; }
# the stand-in made them; a daemon that bound its own would replace them
for f in zt-vl1d.sock zt-vl1d-ipc.sock zt-vl1d-keys.sock; do
	eval "ino_$(echo "$f" | tr -c 'a-z0-9\n' _)=$(inode "$f")"
done
check "zt-ctl works over the passed control socket" \
    sh -c "'$ctl' -R '$tmp/run2' info >/dev/null"
check "the leaf reaches the root" wait_for 15 sh -c \
    "'$ctl' -R '$tmp/run2' -j peers | grep -q '198.18.1.1/9993'"
for f in zt-vl1d.sock zt-vl1d-ipc.sock zt-vl1d-keys.sock; do
	eval "was=\$ino_$(echo "$f" | tr -c 'a-z0-9\n' _)"
	check "$f is the passed socket" test "$(inode "$f")" = "$was"
done
# the keys socket is the key holder's alone (socket inode by path)
kh=$(cat "/proc/$pid2/task/$pid2/children" 2>/dev/null | tr -d ' ')
# (the stand-in made the sockets in this namespace, not in node 2's)
ino=$(awk -v p="$tmp/run2/zt-vl1d-keys.sock" '$8 == p { print $7; exit }' \
    /proc/net/unix)
holds() {	# holds PID: the process has the keys socket open
	ls -l "/proc/$1/fd" 2>/dev/null | grep -q "socket:\[$ino\]"
}
check "the keys socket is listed" test -n "$ino"
check "the key holder holds the passed keys socket" holds "$kh"
check "the network half does not" sh -c "! $(command -v ls) -l \
    /proc/$pid2/fd | grep -q 'socket:\[$ino\]'"

# --- the HTTP API ---
tok=$tmp/home2/authtoken.secret
check "authtoken.secret made" test -s "$tok"
check "token is 24 of [a-z0-9]" grep -Eqx '[a-z0-9]{24}' "$tok"
check "token mode 0640" test "$(stat -c %a "$tok")" = 640
check "token group zt" test "$(stat -c %G "$tok")" = zt

# one Python run for every request: each python3 start costs seconds on
# a loaded machine.  It prints "FAIL: ..." lines and "N M" (checks, failed).
cat >"$tmp/api.py" <<'PY'
import http.client, json, re, sys, time
token, root, alice, mtoken = sys.argv[1:5]
checks = failed = 0

def check(what, ok):
    global checks, failed
    checks += 1
    if not ok:
        failed += 1
        print("FAIL:", what)

ctype = None

def api(method, path, header=None, body=None):
    global ctype
    c = http.client.HTTPConnection("127.0.0.1", 9993, timeout=5)
    try:
        c.request(method, path, body=body, headers=dict([header]) if header
                  else {})
        r = c.getresponse()
        ctype = r.getheader("Content-Type")
        return r.status, r.read().decode()
    except (OSError, http.client.HTTPException) as e:
        return 0, str(e)

def j(body):
    try:
        return json.loads(body)
    except ValueError:
        return None

auth = ("X-ZT1-Auth", token)
check("no token: 401 {}", api("GET", "/status") == (401, "{}"))
check("wrong token: 401 {}",
      api("GET", "/status", ("X-ZT1-Auth", token + "x")) == (401, "{}"))
check("not a bearer token: 401",
      api("GET", "/status", ("Authorization", "Basic " + token))[0] == 401)
st, b = api("GET", "/status?auth=" + token, auth)
check("a token in the URL is 400 JSON", st == 400 and j(b)["error"] == 400)

st, b = api("GET", "/status", auth)
s = j(b)
check("/status with X-ZT1-Auth", st == 200 and s["address"] == alice and
      s["version"] == "1.14.1" and s["versionMajor"] == 1 and
      s["publicIdentity"].startswith(alice + ":0:") and
      s["planetWorldId"] == 7 and s["tcpFallbackActive"] is False)
st_ = s["config"]["settings"]
check("/status config as ZeroTier's", st_["primaryPort"] == 9993 and
      st_["allowSecondaryPort"] is False and
      "198.18.2.1/9993" in st_["listeningOn"])
check("/status compact with sorted keys",
      b.startswith('{"address":"%s","clock":' % alice))
end = time.time() + 10
while not j(api("GET", "/status", auth)[1])["online"] and time.time() < end:
    time.sleep(0.2)
check("online through the root", j(api("GET", "/status", auth)[1])["online"])
st, b = api("GET", "/status", ("Authorization", "Bearer " + token))
check("/status with Authorization: Bearer",
      st == 200 and j(b)["address"] == alice)
st, b = api("GET", "/health", auth)
check("/health", st == 200 and set(j(b)) == {"clock", "online", "version",
      "versionBuild", "versionMajor", "versionMinor", "versionRev"})

st, b = api("GET", "/peer", auth)
peers = j(b)
check("/peer lists the root as PLANET", st == 200 and
      [p["role"] for p in peers if p["address"] == root] == ["PLANET"])
check("/peer objects have ZeroTier's keys", all(set(p) == {"address",
      "isBonded", "latency", "paths", "role", "tunneled", "version",
      "versionMajor", "versionMinor", "versionRev"} for p in peers))
check("/peer paths have ZeroTier's keys", any(p["paths"] for p in peers) and
      all(set(x) == {"active", "address", "expired", "lastReceive",
      "lastSend", "localPort", "localSocket", "preferred", "trustedPathId"}
      for p in peers for x in p["paths"]))
st, b = api("GET", "/peer/" + root, auth)
check("/peer/<address>", st == 200 and j(b)["address"] == root and
      j(b)["version"] == "1.14.1")
check("/peer/<unknown> is 200 {}",
      api("GET", "/peer/0000000001", auth) == (200, "{}"))
check("/peer/<not an address> is 404, no body",
      api("GET", "/peer/xyz", auth) == (404, ""))

check("/moon empty", api("GET", "/moon", auth) == (200, "[]"))
st, b = api("POST", "/moon/00000000ab", auth, '{"seed":"%s"}' % root)
check("POST /moon/<id> starts orbiting", st == 200 and j(b) == {
      "id": "00000000000000ab", "roots": [], "signature": None,
      "timestamp": 0, "updatesMustBeSignedBy": None, "waiting": True})
st, b = api("GET", "/moon", auth)
check("/moon lists it waiting", st == 200 and len(j(b)) == 1 and
      j(b)[0]["waiting"] is True)
st, b = api("GET", "/moon/00000000ab", auth)
check("/moon/<id>", st == 200 and j(b)["id"] == "00000000000000ab")
st, b = api("POST", "/moon/00000000ac", auth, '{"seed":')
check("bad JSON body is 400 JSON", st == 400 and j(b)["error"] == 400 and
      j(b)["description"])
check("bad seed is 400", api("POST", "/moon/00000000ac", auth,
      '{"seed":"nothex"}')[0] == 400)
check("no seed, moon not held: 200 {}",
      api("POST", "/moon/00000000ac", auth, "{}") == (200, "{}"))
check("... and nothing orbited",
      len(j(api("GET", "/moon", auth)[1])) == 1)
check("DELETE /moon/<id>", api("DELETE", "/moon/00000000ab", auth) ==
      (200, '{"result":true}'))
check("/moon empty again", api("GET", "/moon", auth) == (200, "[]"))

st, b = api("GET", "/network", auth)
check("/network without zt-vl2d: 503 JSON", st == 503 and
      j(b)["error"] == 503 and "zt-vl2d" in j(b)["description"])
check("POST /network/<nwid> without zt-vl2d: 503",
      api("POST", "/network/8056c2e21c000001", auth, "{}")[0] == 503)
check("unknown path: 404, no body", api("GET", "/nothing", auth) == (404, ""))
st, b = api("DELETE", "/status", auth)
check("wrong method: 405 JSON", st == 405 and j(b)["error"] == 405)
st, b = api("PATCH", "/status", auth)
check("PATCH: 405 JSON", st == 405 and j(b)["error"] == 405)
st, b = api("POST", "/moon/00000000ab", auth, "a" * 20000)
check("oversized body: 413 JSON", st == 413 and j(b)["error"] == 413)
st, b = api("POST", "/moon/00000000ab", auth, "a" * 200000)
check("huge body refused", st in (0, 413))
check("still serving after bad requests",
      api("GET", "/status", auth)[0] == 200)

# /metrics: Prometheus text with ZeroTier One's names and labels
check("/metrics without a token: 401", api("GET", "/metrics")[0] == 401)
st, b = api("GET", "/metrics", auth)
check("/metrics is text/plain", st == 200 and
      (ctype or "").startswith("text/plain"))
sample = re.compile(r'([a-z_]+)(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? '
                    r'([0-9]+)$')
m = {}
bad = [l for l in b.splitlines() if not l.startswith("#") and
       not sample.match(l)]
check("every sample line is name{labels} value: %r" % bad[:3], not bad)
for l in b.splitlines():
    if not l.startswith("#") and sample.match(l):
        k, v = l.rsplit(" ", 1)
        m[k] = int(v)
check("# TYPE zt_packet counter", "# TYPE zt_packet counter" in b)
check("# TYPE zt_peer_path_count gauge",
      "# TYPE zt_peer_path_count gauge" in b)
check("HELLOs went out", m.get('zt_packet{direction="tx",'
      'packet_type="hello"}', 0) > 0)
check("OK(HELLO)s came in", m.get('zt_packet{direction="rx",'
      'packet_type="ok"}', 0) > 0)
check("every verb both ways", len([k for k in m if
      k.startswith("zt_packet{")]) >= 40)
check("UDP bytes counted", m.get('zt_data{direction="rx",'
      'protocol="udp"}', 0) > 0)
check("the root's path is alive", m.get('zt_peer_path_count{node_id="%s",'
      'status="alive"}' % root, 0) >= 1)
check("/metrics with the metrics token",
      api("GET", "/metrics", ("X-ZT1-Auth", mtoken))[0] == 200)
check("the metrics token is not an API token",
      api("GET", "/status", ("X-ZT1-Auth", mtoken))[0] == 401)
check("POST /metrics: 405", api("POST", "/metrics", auth, "")[0] == 405)
print(checks, failed)
PY
check "metricstoken.secret made" test -s "$tmp/home2/metricstoken.secret"
out=$(ip netns exec "${p}2" python3 "$tmp/api.py" "$(cat "$tok")" \
    "$(identity controller address)" "$(identity alice address)" \
    "$(cat "$tmp/home2/metricstoken.secret")" 2>&1)
echo "$out" | grep -v '^[0-9]* [0-9]*$'
res=$(echo "$out" | tail -1)
case $res in
*[!0-9\ ]* | "") echo "FAIL: api.py did not finish"; failed=$((failed + 1)) ;;
*) checks=$((checks + ${res% *})); failed=$((failed + ${res#* })) ;;
esac
check "the network half survived every request" kill -0 "$pid2"
# zt_packet{packet_type,direction} flattened as zt_data_udp_rx is
"$ctl" -R "$tmp/run2" -j info >"$tmp/info.json"
check "info -j counts HELLOs sent" \
    grep -Eq '"zt_packet_hello_tx": [1-9]' "$tmp/info.json"
check "info -j counts OKs received" \
    grep -Eq '"zt_packet_ok_rx": [1-9]' "$tmp/info.json"
check "info -j has error counters" \
    grep -q '"zt_packet_error_obj_not_found_rx": ' "$tmp/info.json"
# an ECHO to the root: counted out here and in at the root, whose HELLOs
# came in from the leaf
"$ctl" -R "$tmp/run2" ping "$(identity controller address)" >/dev/null
check "the leaf counts its ECHO" sh -c "'$ctl' -R '$tmp/run2' -j info |
    grep -Eq '\"zt_packet_echo_tx\": [1-9]'"
check "the root counts the ECHO" wait_for 5 sh -c "'$ctl' -R '$tmp/run1' \
    -j info | grep -Eq '\"zt_packet_echo_rx\": [1-9]'"
check "the root counts HELLOs in" sh -c "'$ctl' -R '$tmp/run1' -j info |
    grep -Eq '\"zt_packet_hello_rx\": [1-9]'"

# only loopback: the node's own address does not answer HTTP
check "not listening on the external address" sh -c "! ip netns exec \
    '${p}2' python3 -c 'import socket; socket.create_connection((\"198.18.2.1\", 9993), 2)' 2>/dev/null"
check "HTTP API off on node 1" grep -q 'HTTP API off' "$tmp/log1"
check "nothing on 9993/tcp of node 1" sh -c "! ip netns exec '${p}1' \
    python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", 9993), 2)' 2>/dev/null"

if [ "$failed" != 0 ]; then
	for i in 1 2; do
		echo "--- log of node $i"
		tail -n 40 "$tmp/log$i"
	done
fi
finish
