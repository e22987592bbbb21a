#!/bin/sh
# zt-controllerd started as its unit starts it: as zt-ctrl from the first
# instruction, in a run directory it cannot write (root's, as
# /run/zt-privsep), with the sockets of zt-controllerd.socket ("control",
# seqpacket, 0660 group zt) and zt-controllerd-http.socket ("http",
# stream, 0666) passed by tests/netns/supervisor.py as systemd passes
# them.  It must serve zt-ctl and HTTP on those, and refuse a passed
# socket of the wrong type.  Needs root; skipped otherwise.
# usage: test-ctrl-activation.sh ZT-CONTROLLERD ZT-CTL SUPERVISOR.PY
ctrld=$1 ctl=$2 supervisor=$3
checks=0 failed=0

fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { checks=$((checks + 1)); }

if [ "$(id -u)" != 0 ] || ! getent passwd zt-ctrl >/dev/null ||
    ! getent group zt >/dev/null; then
	echo "not root or no zt-ctrl user / zt group: skipped"
	exit 77
fi

tmp=$(mktemp -d)
sup=
trap '[ -n "$sup" ] && kill "$sup" 2>/dev/null && wait "$sup"; rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
mkdir -p "$tmp/state" "$tmp/run" "$tmp/vl1d" "$tmp/sup"
# root's and closed to zt-ctrl's writes, as the real run directory
chmod 755 "$tmp/run"
chown zt-ctrl:zt-ctrl "$tmp/state"
chmod 700 "$tmp/state"
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["valid"][0]["public"])' \
    "$ZT_VECTORS_DIR/identities.json" >"$tmp/vl1d/identity.public"

spec() {	# spec HTTP-TYPE: the unit's settings, the http socket's type
	cat >"$tmp/sup/spec" <<SPEC
{"scale": 1, "daemons": [
 {"name": "zt-controllerd", "user": "zt-ctrl",
  "argv": ["$ctrld", "-d", "$tmp/state", "-R", "$tmp/run",
   "-I", "$tmp/vl1d/identity.public", "-P", "0"],
  "sockets": [
   {"name": "control", "path": "$tmp/run/zt-controllerd.sock",
    "group": "zt", "mode": "0660"},
   {"name": "http", "path": "$tmp/run/zt-controllerd-http.sock",
    "mode": "0666", "type": "$1"}],
  "notify": true, "restart_sec": 30, "watchdog_sec": 30,
  "log": "$tmp/sup/zt-controllerd.log"}
]}
SPEC
}
run() {	# run: the supervisor, until the daemon is ready or has exited
	# a fresh directory: the supervisor binds its notify socket there
	rm -rf "$tmp/sup.old"
	mv "$tmp/sup" "$tmp/sup.old"
	mkdir "$tmp/sup"
	mv "$tmp/sup.old/spec" "$tmp/sup/spec"
	python3 "$supervisor" "$tmp/sup/spec" "$tmp/sup" \
	    2>"$tmp/sup/supervisor.log" &
	sup=$!
	i=0
	while [ $i -lt 100 ] && ! grep -q ' \(ready\|exit\) ' \
	    "$tmp/sup/events" 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
}
halt() {
	kill "$sup"; wait "$sup"; sup=
}

spec stream
run
check
grep -q ' zt-controllerd ready ' "$tmp/sup/events" ||
    { fail "not ready on the passed sockets"; cat "$tmp/sup/events" \
    "$tmp/sup/zt-controllerd.log"; exit 1; }
pid=$(cat "$tmp/sup/zt-controllerd.pid")
check
[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = "$(id -u zt-ctrl)" ] ||
    fail "not running as zt-ctrl"
check
grep -q 'socket activation: 2 of 2 sockets passed' \
    "$tmp/sup/zt-controllerd.log" || fail "passed sockets not used"
check
nwid=$("$ctl" -R "$tmp/run" controller network create activated) &&
    "$ctl" -R "$tmp/run" controller network list | grep -q "$nwid" ||
    fail "zt-ctl not served on the passed control socket"
check
python3 - "$tmp/run/zt-controllerd-http.sock" \
    "$(cat "$tmp/state/authtoken.secret")" <<'PY' || fail "HTTP not served on the passed socket"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(("GET /status HTTP/1.1\r\nHost: x\r\nX-ZT1-Auth: %s\r\n"
           "Connection: close\r\n\r\n" % sys.argv[2]).encode())
r = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    r += b
sys.exit(0 if r.startswith(b"HTTP/1.1 200") and b'"address"' in r else 1)
PY
halt

# the "http" name on a seqpacket socket: refused, not served
spec seqpacket
run
check
grep -q ' zt-controllerd exit .* code [1-9]' "$tmp/sup/events" ||
    fail "a passed socket of the wrong type was accepted"
check
grep -q "inherited socket 'http' (fd [0-9]*) is not a listening unix stream" \
    "$tmp/sup/zt-controllerd.log" || fail "no clear error for the wrong socket"
halt

echo "$checks checks, $failed failed"
[ "$failed" = 0 ]
