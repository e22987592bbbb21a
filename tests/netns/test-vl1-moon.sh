#!/bin/sh
# Moons and local.conf with real zt-vl1d daemons in network namespaces:
# node 1 is the private planet's root, node 3 the root of a moon made with
# "zt-ctl moon init" and "moon gen", node 2 a leaf that orbits the moon by
# id and seed (spec/vl1.md §6.4): it finds the seed through the planet's
# root, gets the moon in OK(HELLO), saves it and uses the moon's root as
# an upstream (role MOON).  All three share a trusted path (local.conf),
# so relayed and queued traffic runs on cipher 2; a bad local.conf stops
# start-up with a one-line error naming the key.
# usage: test-vl1-moon.sh ZT-VL1D ZT-CTL VECTORS
set -u
vl1d=$1 vectors=$3
# absolute: "moon gen" runs in another directory
ctl=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
. "$(dirname "$0")/lib.sh"
need_root
sh "$(dirname "$0")/../setup-users.sh"

p=zm$$
net_setup "$p" 3
chmod 755 "$tmp"

"$ctl" world genkey "$tmp/planet.key" >/dev/null || exit 1
"$ctl" world make planet 7 1700000000000 "$tmp/planet.key" "$tmp/planet" \
    "$(identity controller public)@198.18.1.1/9993" >/dev/null || exit 1

# the moon, as an operator makes it with zerotier-idtool
"$ctl" moon init "$(identity moonroot public)" >"$tmp/moon.json" || exit 1
python3 - "$tmp/moon.json" <<'PY' || exit 1
import json, sys
spec = json.load(open(sys.argv[1]))
spec["roots"][0]["stableEndpoints"] = ["198.18.3.1/9993"]
json.dump(spec, open(sys.argv[1], "w"))
PY
moon=$(identity moonroot address)
(cd "$tmp" && "$ctl" moon gen moon.json >"$tmp/gen.out") || exit 1
moonid=$(printf '%016x' "0x$moon")
moonfile=$moonid.moon
check "moon gen names the file by id" test -s "$tmp/$moonfile"
check "moon gen says what it wrote" grep -q "^wrote $moonfile (signed world" \
    "$tmp/gen.out"
check "the moon verifies" "$ctl" world show "$tmp/$moonfile"

conf='{"physical":{"198.18.0.0/16":{"trustedPathId":42}},
 "settings":{"allowSecondaryPort":false}}'

start() {	# start INDEX NAME
	h=$tmp/home$1
	mkdir -p "$h" "$tmp/run$1"
	identity "$2" >"$h/identity.secret"
	cp "$tmp/planet" "$h/planet"
	[ -e "$h/local.conf" ] || echo "$conf" >"$h/local.conf"
	chown -R zt-vl1 "$h"
	chmod 700 "$h"
	ip netns exec "$p$1" "$vl1d" -H "$h" -R "$tmp/run$1" \
	    -b "198.18.$1.1/9993" -l debug 2>>"$tmp/log$1" &
	pids="$pids $!"
	eval "pid$1=$!"
}

# a bad value stops start-up with one line naming the key
mkdir -p "$tmp/bad" "$tmp/runbad"
identity alice >"$tmp/bad/identity.secret"
echo '{"settings":{"primaryPort":"x"}}' >"$tmp/bad/local.conf"
"$vl1d" -H "$tmp/bad" -R "$tmp/runbad" 2>"$tmp/bad.err"
check "bad local.conf stops start-up" test $? != 0
check "the error names the key" grep -q 'settings.primaryPort' "$tmp/bad.err"
check "the error is one line" test "$(wc -l <"$tmp/bad.err")" = 1

# an interface blacklist that leaves nothing to bind stops it too
mkdir -p "$tmp/bad2"
identity alice >"$tmp/bad2/identity.secret"
echo "{\"settings\":{\"interfacePrefixBlacklist\":[\"${p}v\"]}}" \
    >"$tmp/bad2/local.conf"
ip netns exec "${p}2" "$vl1d" -H "$tmp/bad2" -R "$tmp/runbad" \
    2>"$tmp/bad2.err"
check "interface blacklist applied" test $? != 0
check "the error names the key" \
    grep -q 'settings.interfacePrefixBlacklist' "$tmp/bad2.err"

mkdir -p "$tmp/home3/moons.d"
cp "$tmp/$moonfile" "$tmp/home3/moons.d/"
# node 3 has its trusted path (id 42) from the legacy trustedpaths file
echo '{"settings":{"allowSecondaryPort":false}}' >"$tmp/home3/local.conf"
printf '# legacy\n2a 198.18.0.0/16\n' >"$tmp/home3/trustedpaths"
start 1 controller
start 2 alice
start 3 moonroot
wait_for 10 test -S "$tmp/run3/zt-vl1d.sock"

root=$(identity controller address)

# role_of INDEX ADDRESS: the role node INDEX gives ADDRESS
role_of() {
	"$ctl" -R "$tmp/run$1" -j peers 2>/dev/null | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p["address"] == sys.argv[1]:
        print(p["role"])' "$2"
}

has_path() {	# has_path INDEX ADDRESS IP
	"$ctl" -R "$tmp/run$1" -j peers 2>/dev/null | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p["address"] == sys.argv[1]:
        for x in p["paths"]:
            if x["active"] and x["address"].startswith(sys.argv[2]):
                sys.exit(0)
sys.exit(1)' "$2" "$3"
}

moon_state() {	# moon_state INDEX: "<id> waiting|held", one per moon
	"$ctl" -R "$tmp/run$1" -j listmoons 2>/dev/null | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    print(m["id"], "waiting" if m["waiting"] else "held")'
}

moon_is() {	# moon_is INDEX STATE
	test "$(moon_state "$1")" = "$2"
}

moon_has() {	# moon_has INDEX "ID STATE": one of the moons
	moon_state "$1" | grep -qx "$2"
}

role_is() {	# role_is INDEX ADDRESS ROLE
	test "$(role_of "$1" "$2")" = "$3"
}

counter() {	# counter INDEX KEY...
	i=$1
	shift
	"$ctl" -R "$tmp/run$i" -j info 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin)["counters"]
for k in sys.argv[1:]:
    v = v[k]
print(v)' "$@"
}

check "the leaf reaches the planet root" \
    wait_for 15 has_path 2 "$root" 198.18.1.1
check "the moon root reaches the planet root" \
    wait_for 15 has_path 3 "$root" 198.18.1.1
check "the moon root orbits its own moon" moon_is 3 "$moonid held"
check "trusted path logged at start-up" grep -q 'trusted path 198.18.0.0/16' \
    "$tmp/log2"
check "trustedpaths file read" \
    grep -q 'trusted path 198.18.0.0/16 (id 42)' "$tmp/log3"
check "trustedpaths file called deprecated" grep -q 'deprecated' "$tmp/log3"

out=$("$ctl" -R "$tmp/run2" orbit "$moon" "$moon")
check "orbit answers as zerotier-cli" test "$out" = "200 orbit OK"
check "the leaf fetched the moon from its seed" \
    wait_for 20 test -s "$tmp/home2/moons.d/$moonfile"
check "listmoons shows it held" wait_for 10 moon_is 2 "$moonid held"
check "the saved moon is the one made" cmp -s "$tmp/$moonfile" \
    "$tmp/home2/moons.d/$moonfile"
check "the moon root is a MOON upstream" wait_for 10 role_is 2 "$moon" MOON
check "the planet root is PLANET" test "$(role_of 2 "$root")" = PLANET
check "identity cached in peers.d" \
    test "$(cat "$tmp/home2/peers.d/$moon.peer")" = \
    "$(identity moonroot public)"
check "direct path to the moon root" wait_for 20 has_path 2 "$moon" 198.18.3.1

check "the fetched moon left no .seed file" \
    test ! -e "$tmp/home2/moons.d/$moonid.seed"
# an orbit whose seed nobody knows stays waiting, and is kept as a seed
lost=00000000ee
"$ctl" -R "$tmp/run2" orbit "$lost" "$lost" >/dev/null
check "an unreachable moon waits" moon_has 2 "00000000000000ee waiting"
check "its seed is kept in moons.d" \
    test "$(cat "$tmp/home2/moons.d/00000000000000ee.seed")" = "$lost"

# a restart keeps the orbits: moons.d is read again at start-up
kill "$pid2"
wait "$pid2" 2>/dev/null
rm -f "$tmp/run2/zt-vl1d.sock"
start 2 alice
wait_for 10 test -S "$tmp/run2/zt-vl1d.sock"
check "after a restart the moon is held" \
    wait_for 10 moon_has 2 "$moonid held"
check "after a restart the unfetched moon is still wanted" \
    moon_has 2 "00000000000000ee waiting"
out=$("$ctl" -R "$tmp/run2" deorbit "$lost")
check "deorbit of a waiting moon" test "$out" = "200 deorbit OK"
check "its seed file is gone" \
    test ! -e "$tmp/home2/moons.d/00000000000000ee.seed"
check "after a restart the moon root is a MOON again" \
    wait_for 10 role_is 2 "$moon" MOON
check "after a restart the moon root is reached" \
    wait_for 20 has_path 2 "$moon" 198.18.3.1

# zerotier-cli's text formats
out=$("$ctl" -R "$tmp/run2" peers)
check "peers header" sh -c "echo '$out' | head -2 | tail -1 | grep -q \
    '^<ztaddr>   <ver>  <role> <lat> <link>   <lastTX> <lastRX> <path>$'"
check "peers line of the moon" sh -c "echo '$out' | grep -Eq \
    '^$moon [0-9.]+ +MOON +[ 0-9-]+ DIRECT   [0-9-]+ +[0-9-]+ +198.18.3.1/'"
out=$("$ctl" -R "$tmp/run2" listpeers)
check "listpeers line" sh -c "echo '$out' | grep -Eq \
    '^200 listpeers $root 198.18.1.1/9993;[0-9-]+;[0-9-]+ -?[0-9]+ \
1.14.1 PLANET$'"
out=$("$ctl" -R "$tmp/run2" info)
check "info line" sh -c "echo '$out' | grep -Eq \
    '^200 info $(identity alice address) [0-9.]+ ONLINE$'"

# counters: traffic on cipher 2 was believed, nothing was forged
check "packets in" test "$(counter 2 packetsIn)" -gt 0
check "bytes out" test "$(counter 2 bytesOut)" -gt 0
check "paths counted" test "$(counter 2 paths)" -ge 2
check "no bad MACs" test "$(counter 2 dropped badMac)" = 0
check "no refused trusted packets" test "$(counter 1 dropped badCipher)" = 0

out=$("$ctl" -R "$tmp/run2" deorbit "$moon")
check "deorbit answers as zerotier-cli" test "$out" = "200 deorbit OK"
check "listmoons is empty" test "$(moon_state 2)" = ""
check "the moon file is gone" test ! -e "$tmp/home2/moons.d/$moonfile"
check "the moon root is a leaf again" test "$(role_of 2 "$moon")" = LEAF
check "a bad orbit is refused" \
    sh -c "! '$ctl' -R '$tmp/run2' orbit zz '$moon' 2>/dev/null"

if [ "$failed" != 0 ]; then
	for i in 1 2 3; do
		echo "--- log of node $i"
		tail -n 40 "$tmp/log$i"
	done
fi
finish
