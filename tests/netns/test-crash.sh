#!/bin/sh
# Crash isolation (issue 7 item 5): a controller host (zt-vl1d +
# zt-controllerd, also the planet's root) and two members (zt-tapd +
# zt-vl1d + zt-vl2d), every daemon under supervisor.py, which starts it
# as its unit under systemd/ would and restarts it on failure.  During a
# continuous ping from member A to member B, kill -9 hits zt-vl2d,
# zt-tapd and zt-vl1d of A, zt-controllerd, then the same three of B.
# The others keep their pids; after zt-vl2d or zt-tapd ping resumes
# within 3 s, after zt-vl1d within 10 s with the peers back; the
# controller's downtime costs no reply, and once it is back a renamed
# network reaches the members.  Recovery times are printed.
# usage: test-crash.sh ZT-VL1D ZT-CONTROLLERD ZT-TAPD ZT-VL2D ZT-CTL
#     VECTORS SUPERVISOR
# shellcheck disable=SC2154 # set by lib.sh and through eval
set -u
vl1d=$1 ctrld=$2 tapd=$3 vl2d=$4 ctl=$5 vectors=$6 supervisor=$7
netns_lib=$(dirname "$0")
. "$netns_lib/lib.sh"
. "$netns_lib/lib-vl2.sh"

begin=$(date +%s.%N)
elapsed() {
	awk -v a="$begin" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}
vl2_setup zx$$ 3 controller alice bob

# one supervisor per host, as each host has its own service manager;
# unit settings from systemd/*.service and *.socket, RestartSec=1s and
# WatchdogSec=30s scaled by 5 as the daemons' --time-scale
host() {	# host INDEX NAME
	h=$tmp/home$1 r=$tmp/run$1 s=$tmp/sup$1
	vl2_home "$1" "$2" '"allowSecondaryPort":false,"httpApi":false'
	mkdir -p "$s"
	cat >"$s/spec" <<SPEC
{"scale": 5, "daemons": [
 {"name": "zt-vl1d", "netns": "$p$1", "user": "zt-vl1",
  "argv": ["$vl1d", "-H", "$h", "-R", "$r", "-b", "198.18.$1.1/9993"],
  "sockets": [
   {"name": "control", "path": "$r/zt-vl1d.sock", "group": "zt",
    "mode": "0660"},
   {"name": "ipc", "path": "$r/zt-vl1d-ipc.sock", "mode": "0666"},
   {"name": "keys", "path": "$r/zt-vl1d-keys.sock", "group": "zt-ctrl",
    "mode": "0660"}],
  "notify": true, "restart_sec": 1, "watchdog_sec": 30,
  "log": "$s/zt-vl1d.log"}$3
]}
SPEC
	python3 "$supervisor" "$s/spec" "$s" 2>"$s/supervisor.log" &
	pids="$pids $!"
}

# the controller host: zt-controllerd started as User=zt-ctrl, as its
# unit does, with the sockets of zt-controllerd.socket and
# zt-controllerd-http.socket passed (the run directory is root's).  Its
# identity.public is copied in first as the unit's ExecStartPre= does.
mkdir -p "$tmp/ctrl"
chown zt-ctrl:zt-ctrl "$tmp/ctrl"
chmod 700 "$tmp/ctrl"
host 1 controller ",
 {\"name\": \"zt-controllerd\", \"netns\": \"${p}1\",
  \"user\": \"zt-ctrl\",
  \"sockets\": [{\"name\": \"control\",
   \"path\": \"$tmp/run1/zt-controllerd.sock\", \"group\": \"zt\",
   \"mode\": \"0660\"},
   {\"name\": \"http\", \"path\": \"$tmp/run1/zt-controllerd-http.sock\",
   \"mode\": \"0666\", \"type\": \"stream\"}],
  \"pre\": [\"install\", \"-m\", \"0644\", \"-o\", \"zt-ctrl\", \"-g\",
   \"zt-ctrl\", \"$tmp/home1/identity.public\", \"$tmp/ctrl/identity.public\"],
  \"argv\": [\"$ctrld\", \"-d\", \"$tmp/ctrl\", \"-R\", \"$tmp/run1\",
   \"-I\", \"$tmp/ctrl/identity.public\", \"-P\", \"0\"],
  \"notify\": true, \"restart_sec\": 1, \"watchdog_sec\": 30,
  \"log\": \"$tmp/sup1/zt-controllerd.log\"}"
member() {	# member INDEX NAME
	mkdir -p "$tmp/tapd$1" "$tmp/vl2d$1"
	chown zt-tap:zt-tap "$tmp/tapd$1"
	chown zt-vl2:zt-vl2 "$tmp/vl2d$1"
	host "$1" "$2" ",
 {\"name\": \"zt-tapd\", \"netns\": \"$p$1\", \"bind_tun\": \"$tun\",
  \"user\": \"zt-tap\", \"ambient\": [\"net_admin\"],
  \"argv\": [\"$tapd\", \"-H\", \"$tmp/tapd$1\", \"-R\", \"$tmp/run$1\",
   \"-m\", \"300\"],
  \"sockets\": [{\"name\": \"control\", \"path\": \"$tmp/run$1/zt-tapd.sock\",
   \"group\": \"zt\", \"mode\": \"0660\"},
   {\"name\": \"ipc\", \"path\": \"$tmp/run$1/zt-tapd-ipc.sock\",
   \"mode\": \"0666\"}],
  \"notify\": true, \"restart_sec\": 1, \"watchdog_sec\": 30,
  \"log\": \"$tmp/sup$1/zt-tapd.log\"},
 {\"name\": \"zt-vl2d\", \"private_network\": true,
  \"argv\": [\"$vl2d\", \"-d\", \"$tmp/vl2d$1\", \"-R\", \"$tmp/run$1\",
   \"-l\", \"debug\", \"--time-scale\", \"5\"],
  \"notify\": true, \"restart_sec\": 1, \"watchdog_sec\": 30,
  \"log\": \"$tmp/sup$1/zt-vl2d.log\"}"
}
member 2 alice
member 3 bob

for i in 1 2 3; do
	check "host $i: every daemon ready" wait_for 20 sh -c \
	    "[ \"\$(grep -c ' ready ' '$tmp/sup$i/events' 2>/dev/null)\" = \
	    $(grep -c '"argv"' "$tmp/sup$i/spec") ]"
done
for i in 2 3; do
	check "host $i: zt-tapd started as zt-tap by the supervisor" grep -Eq \
	    "^Uid:[[:space:]]+$(id -u zt-tap)[[:space:]]" \
	    "/proc/$(cat "$tmp/sup$i/zt-tapd.pid")/status"
	check "host $i: zt-vl2d reaches zt-tapd through the passed socket" \
	    wait_for 10 grep -q 'zt-vl2d connected' "$tmp/sup$i/zt-tapd.log"
done
ctrl_at=1
vl2_network crashnet 10.147.18
vl2_authorize alice bob
vl2_up 2 3
vl2_join 2 3
vl2_ok 2 3
check "ping before the crashes" wait_for 10 zping_q "${p}2" "$a3" 5 0.2 1

curpid() {	# curpid HOST DAEMON: its current main pid
	cat "$tmp/sup$1/$2.pid" 2>/dev/null
}
allpids() {	# every daemon's pid but the killed one's
	for i in 1 2 3; do
		for f in "$tmp/sup$i"/*.pid; do
			[ "$f" = "$tmp/sup$1/$2.pid" ] || echo "$f $(cat "$f")"
		done
	done
}
# not through zping: $! is python itself, which the kill below stops
ip netns exec "${p}2" python3 "$netns_lib/ping.py" "$a3" 600 0.1 60 \
    >"$tmp/ping" 2>&1 &
pinger=$!
pids="$pids $pinger"
check "the ping runs" wait_for 10 grep -q reply "$tmp/ping"
echo "set up, ping running: $(elapsed) s after the start"
dump() {
	for i in 1 2 3; do
		for f in "$tmp/sup$i"/events "$tmp/sup$i"/*.log; do
			echo "--- $f"
			tail -n 40 "$f"
		done
	done
	cat "$tmp/kills" 2>/dev/null
	echo "--- ping (first and last lines)"
	head -n 20 "$tmp/ping"
	tail -n 20 "$tmp/ping"
}
if [ "$failed" != 0 ]; then
	dump
	finish
	exit 1
fi
: >"$tmp/kills"

# recovery KILLTIME: from the kill to the first reply to an echo sent
# after it; empty if none came
recovery() {
	awk -v t0="$1" '$1 == "sent" && $3 >= t0 && !s { s = $2 }
	$1 == "reply" && s != "" && $2 >= s { printf "%.2f", $3 - t0; exit }' \
	    "$tmp/ping"
}
recovered() {	# recovered KILLTIME: an echo sent after it was answered
	[ -n "$(recovery "$1")" ]
}
both_direct() {	# both_direct HOST OLDPID ADDRESS...: each a DIRECT peer
	h=$1 o=$2
	shift 2
	[ "$(curpid "$h" zt-vl1d)" != "$o" ] || return 1
	"$ctl" -R "$tmp/run$h" peers >"$tmp/peers$h" 2>/dev/null || return 1
	for a in "$@"; do
		grep -q "^$a .* DIRECT " "$tmp/peers$h" || return 1
	done
}
crash() {	# crash HOST DAEMON LIMIT [PEER...]
	old=$(curpid "$1" "$2")
	allpids "$1" "$2" >"$tmp/before"
	t0=$(date +%s.%N)
	kill -9 "$old"
	if [ $# -gt 3 ]; then
		# zt-vl1d: its peers are back, both of them DIRECT
		h=$1 d=$2 l=$3
		shift 3
		check "host $h $d: peers re-established within 10 s" \
		    wait_for 10 both_direct "$h" "$old" "$@"
		echo "kill -9 $d on host $h: peers DIRECT again after $(awk \
		    -v a="$t0" -v b="$(date +%s.%N)" \
		    'BEGIN { printf "%.2f", b - a }') s"
		set -- "$h" "$d" "$l"
	fi
	check "host $1 $2: restarted" wait_for 10 sh -c \
	    "n=\$(cat '$tmp/sup$1/$2.pid'); [ -n \"\$n\" ] &&
	    [ \"\$n\" != 0 ] && [ \"\$n\" != $old ]"
	check "host $1 $2: ready again" wait_for 10 sh -c \
	    "grep -q ' $2 ready ' '$tmp/sup$1/events' && [ \$(awk \
	    '\$2 == \"$2\" && \$3 == \"ready\"' '$tmp/sup$1/events' |
	    wc -l) -ge 2 ]"
	wait_for "$3" recovered "$t0"
	r=$(recovery "$t0")
	echo "host $1 $2 t0=$t0 recovery=${r:-none}" >>"$tmp/kills"
	echo "kill -9 $2 on host $1: ping back after ${r:-never} s"
	check "host $1 $2: ping back within $3 s (${r:-never})" \
	    awk -v r="${r:-999}" -v l="$3" 'BEGIN { exit !(r <= l) }'
	allpids "$1" "$2" >"$tmp/after"
	check "host $1 $2: the other daemons kept their pids" \
	    cmp -s "$tmp/before" "$tmp/after"
}

crash 2 zt-vl2d 3
crash 2 zt-tapd 3
crash 2 zt-vl1d 10 "$controller_address" "$bob_address"

# zt-controllerd: not one reply lost from the kill until a second after
# it is ready again
old=$(curpid 1 zt-controllerd)
allpids 1 zt-controllerd >"$tmp/before"
t0=$(date +%s.%N)
kill -9 "$old"
check "zt-controllerd restarted" wait_for 10 sh -c \
    "[ \$(awk '\$2 == \"zt-controllerd\" && \$3 == \"ready\"' \
    '$tmp/sup1/events' | wc -l) -ge 2 ]"
t1=$(awk '$2 == "zt-controllerd" && $3 == "ready" { t = $1 } END { print t }' \
    "$tmp/sup1/events")
allpids 1 zt-controllerd >"$tmp/after"
check "zt-controllerd: the other daemons kept their pids" \
    cmp -s "$tmp/before" "$tmp/after"
echo "kill -9 zt-controllerd: ready again after $(awk -v a="$t0" -v b="$t1" \
    'BEGIN { printf "%.2f", b - a }') s"
# config requests are answered again: a rename reaches both members.
# The restarted controller has lost which members were online (memory
# only, as in ZeroTier One), so nothing is pushed: the change comes with
# each member's next periodic request, VL2D_REFRESH_MS (60 s) / 5 later
# at most (12 s), plus slack for a loaded machine
ctlc controller network update "$nwid" '{"name": "renamed"}' >/dev/null
t2=$(date +%s.%N)
for i in 2 3; do
	check "member $i gets the renamed network" wait_for 18 sh -c \
	    "'$ctl' -R '$tmp/run$i' get $nwid name | grep -qx renamed"
done
echo "rename after the restart seen by both members after $(awk -v a="$t2" \
    -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
# the window below ends a second after the restart; replies come in
# well under 0.5 s
past() {	# past TIME: true once the clock is past TIME
	awk -v t="$1" -v n="$(date +%s.%N)" 'BEGIN { exit !(n > t) }'
}
wait_for 5 past "$(awk -v t="$t1" 'BEGIN { printf "%.3f", t + 1.5 }')"
check "no reply lost while zt-controllerd was down" awk -v t0="$t0" \
    -v t1="$t1" '$1 == "sent" && $3 >= t0 && $3 <= t1 + 1 { want[$2] = 1 }
    $1 == "reply" { delete want[$2] } END { for (s in want) exit 1 }' \
    "$tmp/ping"

crash 3 zt-vl2d 3
crash 3 zt-tapd 3
crash 3 zt-vl1d 10 "$controller_address" "$alice_address"
kill "$pinger" 2>/dev/null
echo "all crashes done: $(elapsed) s after the start"

if [ "$failed" != 0 ] || [ -n "${ZT_TEST_VERBOSE:-}" ]; then
	dump
fi
finish
