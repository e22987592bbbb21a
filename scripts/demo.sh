#!/bin/sh
# The demo: builds zt-privsep and shows what it can do so far.  It grows
# with each daemon; today it creates a ZeroTier node identity, checks it,
# signs and verifies a message, exactly as zerotier-idtool would.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
ctl=build/ctl/zt-ctl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== zt-ctl identity generate (memory-hard address derivation)"
$ctl identity generate "$work/identity.secret" "$work/identity.public"
echo "identity.public: $(cat "$work/identity.public")"
echo "== zt-ctl identity validate"
$ctl identity validate "$work/identity.public"
echo "== zt-ctl identity sign / verify"
echo "hello from zt-privsep" >"$work/msg"
sig=$($ctl identity sign "$work/identity.secret" "$work/msg")
echo "signature: $sig"
$ctl identity verify "$work/identity.public" "$work/msg" "$sig"
echo "== a tampered identity is refused"
awk -F: '{ k = $3; c = substr(k, 5, 1); n = (c == "0") ? "1" : "0";
    print $1 ":" $2 ":" substr(k, 1, 4) n substr(k, 6) }' \
    "$work/identity.public" >"$work/bad"
if $ctl identity validate "$work/bad"; then
	echo "demo: tampered identity was accepted" >&2
	exit 1
fi
echo "demo: ok"
