#!/bin/sh
# The key holder's signing socket on a real zt-vl1d (vl1d/keysign.c):
# opened before the sandbox with mode 0660 and the controller user's
# group; zt-ctrl gets typed objects of the node's own networks signed
# (and only those), another daemon's uid is refused, and the sandboxed
# key holder survives serving it (accept4 and getsockopt are allowed).
# usage: test-keysign.sh ZT-VL1D ZT-CTL KEYSIGN-CLIENT VECTORS
set -u
vl1d=$1 ctl=$2 client=$3 vectors=$4
. "$(dirname "$0")/lib.sh"
need_root
sh "$(dirname "$0")/../setup-users.sh"

p=zk$$
net_setup "$p" 1
chmod 755 "$tmp"

"$ctl" world genkey "$tmp/planet.key" >/dev/null || exit 1
"$ctl" world make planet 7 1700000000000 "$tmp/planet.key" "$tmp/planet" \
    "$(identity controller public)@198.18.1.1/9993" >/dev/null || exit 1

h=$tmp/home1
run=$tmp/run1
mkdir -p "$h" "$run"
chmod 755 "$run"
identity controller >"$h/identity.secret"
cp "$tmp/planet" "$h/planet"
chown -R zt-vl1 "$h"
chmod 700 "$h"
ip netns exec "${p}1" "$vl1d" -H "$h" -R "$run" -b 198.18.1.1/9993 \
    -l debug 2>"$tmp/log1" &
pids="$pids $!"
vl1pid=$!
sock=$run/zt-vl1d-keys.sock

check "signing socket appears" wait_for 10 test -S "$sock"
check "socket mode 0660, group zt-ctrl" \
    test "$(stat -c '%a %G' "$sock")" = "660 zt-ctrl"

as() {	# as USER command...: run with only that user's ids
	u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --clear-groups "$@"
}

ctrl_pub=$(identity controller public)
alice_pub=$(identity alice public)
as zt-ctrl "$client" "$sock" "$ctrl_pub" "$alice_pub"
rc=$?
check "zt-ctrl: chunk and COM signed, blob and foreign net refused (rc $rc)" \
    test "$rc" = 0
as zt-vl2 "$client" "$sock" "$ctrl_pub" "$alice_pub"
rc=$?
check "zt-vl2 refused (rc $rc)" test "$rc" = 3
"$client" "$sock" "$ctrl_pub" "$alice_pub"
rc=$?
check "root refused (rc $rc)" test "$rc" = 3
# the sandboxed key holder is still there to serve a second time
as zt-ctrl "$client" "$sock" "$ctrl_pub" "$alice_pub"
rc=$?
check "key holder alive after serving (rc $rc)" test "$rc" = 0
check "zt-vl1d alive" kill -0 "$vl1pid"
check "key holder logged the refusals" grep -q \
    "signing request: kind 1, network not controlled by this node" \
    "$tmp/log1"

if [ "$failed" != 0 ]; then
	echo "--- zt-vl1d log"
	tail -n 40 "$tmp/log1"
fi
finish
