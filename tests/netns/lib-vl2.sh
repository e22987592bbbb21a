# The topology of the zt-vl2d tests, the demo and bench/vl2.sh, sourced
# after lib.sh: fixture identities, a private planet, namespaces, the
# daemons of each node, a controller network and the waits for its
# members.  Node i lives in namespace $p$i with 198.18.i.1 (lib.sh's
# net_setup); its daemons share $tmp/run$i.  The caller sets p (the
# namespace prefix), vectors, the binaries vl1d ctrld tapd vl2d ctl and
# netns_lib, the folder of this file (ping.py and ../setup-users.sh are
# found from it).
# shellcheck shell=sh disable=SC2154 # set by the caller, lib.sh or eval

# options of every zt-tapd and zt-vl2d started here: the tests scan for
# TAP changes often and speed zt-vl2d's timers up; the demo and the
# benchmark clear them to run the daemons as shipped
tapd_args="-m 300"
vl2d_args="-l debug --time-scale 5"

# vl2_log INDEX DAEMON: where DAEMON (vl1d, tapd, vl2d, controllerd) of
# node INDEX logs; a script may define its own after sourcing this
vl2_log() {
	case $2 in
	vl1d) echo "$tmp/log$1" ;;
	tapd) echo "$tmp/logt$1" ;;
	vl2d) echo "$tmp/logv$1" ;;
	*) echo "$tmp/logc" ;;
	esac
}

# vl2_fixtures NAME...: NAME_secret, NAME_public and NAME_address of each
# identity of identities.json, in one python run (a python start costs
# seconds on a loaded machine)
vl2_fixtures() {
	_fx=$(python3 -c 'import json, sys
for v in json.load(open(sys.argv[1]))["valid"]:
    if v["name"] in sys.argv[2:]:
        for k in ("secret", "public", "address"):
            print("%s_%s=%s" % (v["name"], k, v[k]))' \
	    "$vectors/identities.json" "$@") || return 1
	[ "$(echo "$_fx" | grep -c _address=)" = $# ] || return 1
	eval "$_fx"
}

# vl2_planet NAME: $tmp/planet, a planet whose one root is NAME's
# identity on node 1
vl2_planet() {
	eval "_pub=\$${1}_public"
	"$ctl" world genkey "$tmp/planet.key" >/dev/null &&
	    "$ctl" world make planet 7 1700000000000 "$tmp/planet.key" \
	    "$tmp/planet" "$_pub@198.18.1.1/9993" >/dev/null
}

# vl2_tun: zt-tapd opens /dev/net/tun after dropping to zt-tap; where the
# host's node is not 0666, a 0666 node of the same device ($tun) is
# bind-mounted over it for zt-tapd only (systemd grants it with
# DeviceAllow=)
vl2_tun() {
	tun=""
	[ "$(stat -c %a /dev/net/tun)" != 666 ] || return 0
	tun=$tmp/tun
	mknod "$tun" c 10 200 && chmod 666 "$tun"
}

# vl2_setup PREFIX COUNT ROOT NAME...: the daemons' users, namespaces
# PREFIX1 to PREFIXCOUNT, the fixtures ROOT and NAMEs, a planet whose
# root is ROOT, $tun.  Exits on failure: nothing can be tested without
# (77, skipped, when not root).
vl2_setup() {
	need_root
	p=$1
	sh "$netns_lib/../setup-users.sh" || exit 1
	net_setup "$p" "$2"
	# the daemons reach their directories below it under their users
	chmod 755 "$tmp"
	shift 2
	vl2_fixtures "$@" || { echo "fixtures $* not found"; exit 1; }
	vl2_planet "$1" || { echo "no planet"; exit 1; }
	vl2_tun || { echo "cannot make $tun"; exit 1; }
}

# vl2_home INDEX NAME [SETTINGS]: zt-vl1d's home for node INDEX (NAME's
# identity, the planet, local.conf with SETTINGS, by default no secondary
# port) and its run directory
vl2_home() {
	_h=$tmp/home$1
	mkdir -p "$_h" "$tmp/run$1"
	chmod 755 "$tmp/run$1"
	eval "printf '%s\n' \"\$${2}_secret\"" >"$_h/identity.secret"
	eval "printf '%s\n' \"\$${2}_public\"" >"$_h/identity.public"
	cp "$tmp/planet" "$_h/planet"
	echo "{\"settings\":{${3:-\"allowSecondaryPort\":false}}}" \
	    >"$_h/local.conf"
	chown -R zt-vl1:zt-vl1 "$_h"
	chmod 700 "$_h"
}

# start_vl1d INDEX NAME: zt-vl1d of node INDEX as NAME, its pid in
# vl1dINDEX.  A restart starts with a new log.
start_vl1d() {
	vl2_home "$1" "$2"
	ip netns exec "$p$1" "$vl1d" -H "$tmp/home$1" -R "$tmp/run$1" \
	    -b "198.18.$1.1/9993" 2>"$(vl2_log "$1" vl1d)" &
	pids="$pids $!"
	eval "vl1d$1=\$!"
}

# start_controllerd INDEX: zt-controllerd next to node INDEX's zt-vl1d,
# its pid in ctrldINDEX; ctlc runs zt-ctl there
start_controllerd() {
	ctrl_at=$1
	mkdir -p "$tmp/ctrl"
	chown zt-ctrl "$tmp/ctrl"
	cp "$tmp/home$1/identity.public" "$tmp/ctrl.public"
	ip netns exec "$p$1" "$ctrld" -d "$tmp/ctrl" -R "$tmp/run$1" \
	    -I "$tmp/ctrl.public" -P 0 2>"$(vl2_log "$1" controllerd)" &
	pids="$pids $!"
	eval "ctrld$1=\$!"
}

ctlc() {
	"$ctl" -R "$tmp/run$ctrl_at" "$@"
}

# start_tapd INDEX: zt-tapd of node INDEX, its pid in tapdINDEX.  The
# bind mount of $tun is made in a mount namespace of zt-tapd's own.
start_tapd() {
	mkdir -p "$tmp/tapd$1"
	chown zt-tap:zt-tap "$tmp/tapd$1"
	# shellcheck disable=SC2016,SC2086 # the inner shell expands them
	ip netns exec "$p$1" sh -c '[ -z "$1" ] || mount --bind "$1" \
	    /dev/net/tun || exit 1; shift; exec "$@"' sh "$tun" "$tapd" \
	    -H "$tmp/tapd$1" -R "$tmp/run$1" $tapd_args \
	    2>>"$(vl2_log "$1" tapd)" &
	pids="$pids $!"
	eval "tapd$1=\$!"
}

# start_vl2d INDEX [OPTION...]: zt-vl2d of node INDEX in a network
# namespace of its own with only lo, down (as systemd runs it), its pid
# in vl2dINDEX
start_vl2d() {
	_i=$1
	shift
	mkdir -p "$tmp/vl2d$_i"
	chown zt-vl2:zt-vl2 "$tmp/vl2d$_i"
	# shellcheck disable=SC2086 # options are words
	unshare -n "$vl2d" -d "$tmp/vl2d$_i" -R "$tmp/run$_i" $vl2d_args \
	    "$@" 2>>"$(vl2_log "$_i" vl2d)" &
	pids="$pids $!"
	eval "vl2d$_i=\$!"
}

# start_member INDEX [ZT-VL2D OPTION...]: zt-tapd and zt-vl2d
start_member() {
	start_tapd "$1"
	start_vl2d "$@"
}

# vl2_start CTRL NAME...: node i runs zt-vl1d as the i-th NAME, node CTRL
# zt-controllerd, every node after it (the members) zt-tapd and zt-vl2d,
# with the zt-vl2d options that follow a member's NAME in its word
# ("bob --no-offload"); checks that the controller serves.  Node 1, the
# root, starts first: a node that starts before it waits for a retry.
vl2_start() {
	_c=$1
	shift
	_n=1
	for _name; do
		start_vl1d "$_n" "${_name%% *}"
		_n=$((_n + 1))
	done
	start_controllerd "$_c"
	_n=1
	for _name; do
		# shellcheck disable=SC2086 # the options are words
		[ "$_n" -le "$_c" ] || start_member "$_n" ${_name#"${_name%% *}"}
		_n=$((_n + 1))
	done
	check "controller socket appears" \
	    wait_for 10 test -S "$tmp/run$_c/zt-controllerd.sock"
}

# vl2_network NAME SUBNET [JSON]: checks that a private network is made
# on the controller, its id in nwid: addresses SUBNET.10 to .20 (SUBNET
# is the first three octets), a route to SUBNET.0/24, more fields in JSON
vl2_network() {
	nwid=$(ctlc -j controller network create "$1" |
	    sed -n 's/.*"id": *"\([0-9a-f]\{16\}\)".*/\1/p' | head -n 1)
	check "network $1 created ($nwid)" test -n "$nwid"
	[ -n "$nwid" ] || return 1
	ctlc controller network update "$nwid" "{\"private\": true,
	    \"ipAssignmentPools\": [{\"ipRangeStart\": \"$2.10\",
	    \"ipRangeEnd\": \"$2.20\"}], \"v4AssignMode\": {\"zt\": true},
	    \"routes\": [{\"target\": \"$2.0/24\"}]${3:+, $3}}" >/dev/null
}

# vl2_authorize NAME...: the controller authorizes each in $nwid
vl2_authorize() {
	for _name; do
		eval "_a=\$${_name}_address"
		ctlc controller member authorize "$nwid" "$_a" >/dev/null
	done
}

# the waits' conditions, run in this shell (no sh -c per try)
at_root() {	# at_root INDEX: node INDEX has a direct path to a root
	"$ctl" -R "$tmp/run$1" peers 2>/dev/null | grep PLANET |
	    grep -q DIRECT
}
net_has() {	# net_has INDEX PATTERN: listnetworks of node INDEX matches
	"$ctl" -R "$tmp/run$1" listnetworks 2>/dev/null | grep -q "$2"
}
has_ip4() {	# has_ip4 INDEX: an IPv4 address in $nwid
	[ -n "$("$ctl" -R "$tmp/run$1" get "$nwid" ip4 2>/dev/null)" ]
}
tap_has() {	# tap_has NAMESPACE DEVICE ADDRESS
	ip -n "$1" addr show dev "$2" 2>/dev/null | grep -q "inet $3/"
}
joins() {	# joins INDEX: zt-ctl join $nwid on node INDEX succeeds
	"$ctl" -R "$tmp/run$1" join "$nwid" | grep -q '200 join OK'
}
not() {		# not command...: for check, which takes no "!"
	! "$@"
}

# vl2_up INDEX...: checks that each member reaches a root of the planet
# and that its zt-vl2d serves
vl2_up() {
	for _i; do
		check "member $_i reaches the root" wait_for 15 at_root "$_i"
		check "zt-vl2d $_i serves" \
		    wait_for 10 test -S "$tmp/run$_i/zt-vl2d.sock"
	done
}

# vl2_join INDEX...: zt-ctl join $nwid on each
vl2_join() {
	for _i; do
		check "join on $_i" joins "$_i"
	done
}

# vl2_ok INDEX...: checks that each member is let in and its TAP has its
# pool address; sets aINDEX (the address) and devINDEX (the TAP)
vl2_ok() {
	for _i; do
		check "member $_i OK" wait_for 15 net_has "$_i" ' OK PRIVATE '
		check "member $_i has an address" wait_for 10 has_ip4 "$_i"
		eval "a$_i=\$(\"\$ctl\" -R \"\$tmp/run$_i\" get \$nwid ip4)"
		eval "dev$_i=\$(\"\$ctl\" -R \"\$tmp/run$_i\" get \$nwid \
		    portDeviceName)"
		eval "check \"member $_i's TAP \$dev$_i has \$a$_i\" \
		    wait_for 10 tap_has $p$_i \"\$dev$_i\" \"\$a$_i\""
	done
}

# vl2_report LINES "INDEX..." FILE...: after a failure (or with
# ZT_TEST_VERBOSE set) listnetworks -j of each node INDEX and the last
# LINES lines of each FILE of $tmp, for the test's log
vl2_report() {
	[ "$failed" != 0 ] || [ -n "${ZT_TEST_VERBOSE:-}" ] || return 0
	_lines=$1 _nodes=$2
	shift 2
	for _i in $_nodes; do
		echo "--- listnetworks $_i"
		"$ctl" -R "$tmp/run$_i" -j listnetworks
	done
	for _f; do
		echo "--- $_f"
		tail -n "$_lines" "$tmp/$_f"
	done
}

# zping NAMESPACE DEST COUNT INTERVAL DEADLINE: ping.py there, its
# "sent" and "reply" lines on stdout; zping_q the same, quiet
zping() {
	ip netns exec "$1" python3 "$netns_lib/ping.py" "$2" "$3" "$4" "$5"
}
zping_q() {
	zping "$@" >/dev/null
}
