#!/bin/sh
# zt-vl2d data-path benchmark (issue 6 item 9, bench/vl2), run by hand as
# root:
#	sh scripts/bench-deps.sh	# iperf3, ping, wireguard-go, wg
#	sh bench/vl2.sh BUILD-DIR [VECTORS-DIR]
# Three namespaces on one bridge: a controller host (zt-vl1d, the planet's
# root, + zt-controllerd) and two members (zt-tapd + zt-vl1d + zt-vl2d).
# Over the same veth links, side by side, it measures the raw veth path,
# zt-privsep (the members' TAPs) and wireguard-go (one userspace tunnel
# per member, underlay on the same veths):
#  - iperf3 TCP, one stream, both directions, Gbit/s
#  - UDP packets/s of 1,400-byte payloads under 1% loss (iperf3 -u, rate
#    search by bisection)
#  - ping RTT average (100 pings 10 ms apart)
#  - CPU-seconds per GB: utime + stime of every zt-* process of both
#    members (incl. zt-vl1d's key holder) over the TCP runs, divided by
#    the GB received; the same for both wireguard-go processes
#  - idle CPU of each node (% of a core over IDLE_SECONDS), idle USS
#    (smaps_rollup Private_*) of each daemon and per member
#  - join time: member 2, authorized beforehand on the controller, runs
#    `zt-ctl join` with zt-vl1d already online at the root and zt-vl2d
#    up; the figure is join -> first ping answered by member 3 (pings of
#    100 ms timeout back to back).  The first join is the cold one (no
#    path to member 3 yet); later ones leave and join again (warm).
# Every figure is taken REPS times, the median printed, with the load
# average before and after.  Knobs (environment): REPS (3), TCP_SECONDS
# (10), UDP_SECONDS (3), UDP_STEPS (6), UDP_MAX (128000 packets/s, the
# top of the search), IDLE_SECONDS (30), PATHS ("raw zt wg"), VERBOSE
# (every UDP step), PERF_OUT (path prefix: perf record -g of the zt-*
# processes of each member during the zt TCP runs), LOG_DIR (keeps the
# daemons' logs), HOLD (seconds to keep the setup up at the end, to look
# at it by hand).
# shellcheck disable=SC2154 # set by lib.sh and lib-vl2.sh, also through eval
set -u
build=$1
here=$(cd "$(dirname "$0")" && pwd)
vectors=${2:-$here/../../shared/vectors}
vl1d=$build/vl1d/zt-vl1d
ctrld=$build/controllerd/zt-controllerd
tapd=$build/tapd/zt-tapd
vl2d=$build/vl2d/zt-vl2d
ctl=$build/ctl/zt-ctl
reps=${REPS:-3}
tcp_s=${TCP_SECONDS:-10}
udp_s=${UDP_SECONDS:-3}
udp_steps=${UDP_STEPS:-6}
idle_s=${IDLE_SECONDS:-30}
paths=${PATHS:-raw zt wg}
netns_lib=$here/../tests/netns
# shellcheck source=SCRIPTDIR/../tests/netns/lib.sh
. "$netns_lib/lib.sh"
# shellcheck source=SCRIPTDIR/../tests/netns/lib-vl2.sh
. "$netns_lib/lib-vl2.sh"
need_root
# the daemons as shipped: no test intervals, default log level
tapd_args=""
vl2d_args=""
for x in iperf3 ping; do
	if ! command -v "$x" >/dev/null; then
		echo "$x is missing: sh scripts/bench-deps.sh"
		exit 1
	fi
done
hz=$(getconf CLK_TCK)

vl2_setup zb$$ 3 controller alice bob
res=$tmp/results
: >"$res"

load() {	# load WHAT: the load average, for the record
	echo "  load $1: $(cut -d' ' -f1-3 /proc/loadavg)"
}

record() {	# record KEY VALUE: one sample of a figure
	echo "$1 $2" >>"$res"
}

descendants() {	# descendants PID: PID and all its children, recursively
	echo "$1"
	for t in /proc/"$1"/task/*/children; do
		for c in $(cat "$t" 2>/dev/null); do
			descendants "$c"
		done
	done
}

zt_pids() {	# zt_pids INDEX: every zt-* process of node INDEX
	for d in vl1d tapd vl2d ctrld; do
		eval "x=\${$d$1:-}"
		[ -n "$x" ] && descendants "$x"
	done
}

cpu_ticks() {	# cpu_ticks PID...: user + system ticks
	for x in "$@"; do
		awk '{ print $14 + $15 }' "/proc/$x/stat" 2>/dev/null
	done | awk '{ s += $1 } END { print s + 0 }'
}

run_ns() {	# run_ns PID...: run time in ns of every thread (schedstat)
	for x in "$@"; do
		cat /proc/"$x"/task/*/schedstat 2>/dev/null
	done | awk '{ s += $1 } END { printf "%d\n", s }'
}

uss_kib() {
	awk '/^Private_(Clean|Dirty|Hugetlb):/ { s += $2 } END { print s }' \
	    "/proc/$1/smaps_rollup"
}

ms() {
	date +%s%3N
}

# --- zt-privsep: controller, members, network, authorization
vl2_start 1 controller alice bob
vl2_network vl2bench 10.147.17
vl2_up 2 3
[ "$failed" = 0 ] || exit 1
# member 3 joins and is authorized the usual way; member 2 is authorized
# before it ever joins, for the join-time figure
vl2_join 3
wait_for 10 net_has 3 ACCESS_DENIED
vl2_authorize bob alice
vl2_ok 3
[ "$failed" = 0 ] || exit 1

pingable() {	# pingable NS DEST: one echo answered within 100 ms
	ip netns exec "$1" ping -n -q -c 1 -W 0.1 "$2" >/dev/null 2>&1
}

echo "== join -> first ping (member 2 authorized before it joins)"
echo "   vl1d of member 2 online at the root, zt-vl2d up; pings of 100 ms"
echo "   timeout to member 3 ($a3) back to back from the join on"
r=1
while [ "$r" -le "$reps" ]; do
	if [ "$r" -gt 1 ]; then
		"$ctl" -R "$tmp/run2" leave "$nwid" >/dev/null
		wait_for 5 sh -c "[ \$(ip -n ${p}2 -o link | grep -c ' zt') = 0 ]"
		sleep 1
	fi
	load before
	t0=$(ms)
	"$ctl" -R "$tmp/run2" join "$nwid" | grep -q '200 join OK' ||
	    echo "join failed"
	ok=0
	while [ $(($(ms) - t0)) -lt 30000 ]; do
		if pingable "${p}2" "$a3"; then
			ok=1
			break
		fi
	done
	t1=$(ms)
	load after
	if [ "$ok" = 1 ]; then
		kind=warm
		[ "$r" = 1 ] && kind=cold
		echo "  join -> ping ($kind) $((t1 - t0)) ms"
		record "join_$kind" "$(((t1 - t0)))"
	else
		echo "  no ping within 30 s"
	fi
	r=$((r + 1))
done
a2=$("$ctl" -R "$tmp/run2" get "$nwid" ip4)
dev2=$("$ctl" -R "$tmp/run2" get "$nwid" portDeviceName)
dev3=$("$ctl" -R "$tmp/run3" get "$nwid" portDeviceName)
echo "  zt: $a2 ($dev2, mtu $(ip -n "${p}2" -o link show dev "$dev2" |
    sed -n 's/.* mtu \([0-9]*\).*/\1/p')) <-> $a3 ($dev3)"

# --- wireguard-go: one tunnel per member over the same veths
wg_ok=0
if command -v wireguard-go >/dev/null && command -v wg >/dev/null; then
	for i in 2 3; do
		(umask 077 && ip netns exec "$p$i" wg genkey >"$tmp/wg$i.key")
		wg pubkey <"$tmp/wg$i.key" >"$tmp/wg$i.pub"
		# names unique on the host: the UAPI sockets share /var/run
		ip netns exec "$p$i" env \
		    WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
		    wireguard-go -f "${p}w$i" >"$tmp/logw$i" 2>&1 &
		pids="$pids $!"
		eval "wg$i=$!"
	done
	for i in 2 3; do
		j=$((5 - i))
		wait_for 5 ip -n "$p$i" link show "${p}w$i" >/dev/null 2>&1 ||
		    continue
		ip netns exec "$p$i" wg set "${p}w$i" \
		    private-key "$tmp/wg$i.key" listen-port 51820 \
		    peer "$(cat "$tmp/wg$j.pub")" \
		    endpoint "198.18.$j.1:51820" allowed-ips "10.148.0.$j/32"
		ip -n "$p$i" addr add "10.148.0.$i/24" dev "${p}w$i"
		# 1,400-byte UDP payloads fit unfragmented (IPv4 underlay)
		ip -n "$p$i" link set "${p}w$i" mtu 1440 up
	done
	pingable "${p}2" 10.148.0.3 || sleep 1
	if wait_for 5 pingable "${p}2" 10.148.0.3; then
		wg_ok=1
	else
		echo "wireguard-go tunnel did not come up: skipped"
		cat "$tmp/logw2"
	fi
else
	echo "wireguard-go or wg missing: skipped (sh scripts/bench-deps.sh)"
fi

dst() {	# dst PATH: member 3's address on that path
	case $1 in
	raw) echo 198.18.3.1 ;;
	zt) echo "$a3" ;;
	wg) echo 10.148.0.3 ;;
	esac
}

path_pids() {	# path_pids PATH: the tunnel's processes on both members
	case $1 in
	zt) zt_pids 2; zt_pids 3 ;;
	wg) echo "$wg2 $wg3" ;;
	esac
}

path_on() {
	[ "$1" != wg ] || [ "$wg_ok" = 1 ]
}

ip netns exec "${p}3" iperf3 -s -p 5201 >/dev/null 2>&1 &
pids="$pids $!"
wait_for 5 sh -c "ip netns exec ${p}3 ss -ltn | grep -q :5201"

# --- idle CPU and memory, after setup
echo "== idle: CPU over $idle_s s, private memory (USS)"
sleep 2
load before
for i in 1 2 3; do
	eval "n0_$i=$(run_ns $(zt_pids $i))"
done
sleep "$idle_s"
for i in 1 2 3; do
	eval "n0=\$n0_$i"
	n1=$(run_ns $(zt_pids $i))
	pct=$(awk -v a="$n0" -v b="$n1" -v s="$idle_s" \
	    'BEGIN { printf "%.3f", (b - a) / 1e9 / s * 100 }')
	echo "  node $i idle cpu $pct% of a core"
	[ "$i" != 1 ] && record idle_cpu "$pct"
done
load after
for i in 2 3; do
	tot=0
	for d in vl1d tapd vl2d; do
		eval "x=\$$d$i"
		for y in $(descendants "$x"); do
			u=$(uss_kib "$y")
			n=$(tr -d '\0' </proc/"$y"/comm)
			[ "$y" != "$x" ] && n="$n(child)"
			echo "  member $i $n uss $u KiB"
			record "uss_$d$([ "$y" != "$x" ] && echo _kh)" "$u"
			tot=$((tot + u))
		done
	done
	echo "  member $i total uss $tot KiB"
	record uss_member "$tot"
done

# --- ping
echo "== ping RTT, 100 pings every 10 ms"
r=1
while [ "$r" -le "$reps" ]; do
	for path in $paths; do
		path_on "$path" || continue
		load before
		ip netns exec "${p}2" ping -n -q -c 100 -i 0.01 \
		    "$(dst "$path")" >"$tmp/ping.out"
		# rtt min/avg/max/mdev = a/b/c/d ms
		set -- $(sed -n 's|.*= \([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\)/.*|\1 \2 \3|p' \
		    "$tmp/ping.out")
		avg=${2:-}
		echo "  $path avg ${avg:-none} ms (min ${1:-} max ${3:-})"
		[ -n "$avg" ] && record "rtt_$path" "$avg"
	done
	load after
	r=$((r + 1))
done

# --- TCP
echo "== iperf3 TCP, one stream, $tcp_s s each direction"
tcp() {	# tcp PATH DIRECTION(fwd|rev)
	rev=""
	[ "$2" = rev ] && rev=-R
	pp=$(path_pids "$1")
	c0=$(cpu_ticks $pp)
	if [ -n "${PERF_OUT:-}" ] && [ "$1" = zt ]; then
		for i in 2 3; do
			perf record -g -o "$PERF_OUT.$2.member$i" \
			    -p "$(echo $(zt_pids $i) | tr ' ' ,)" -- \
			    sleep $((tcp_s - 1)) >/dev/null 2>&1 &
		done
	fi
	ip netns exec "${p}2" iperf3 -J -c "$(dst "$1")" -p 5201 \
	    -t "$tcp_s" $rev >"$tmp/tcp.json" 2>"$tmp/tcp.err"
	c1=$(cpu_ticks $pp)
	python3 - "$1" "$2" "$c0" "$c1" "$hz" "$tmp/tcp.json" <<'PY' >"$tmp/tcp.out"
import json, sys
path, d, c0, c1, hz, f = sys.argv[1:]
try:
    j = json.load(open(f))
    s = j["end"]["sum_received"]
except Exception as e:
    print("# tcp %s %s failed: %s" % (path, d, e), file=sys.stderr)
    sys.exit(0)
gbps = s["bits_per_second"] / 1e9
print("tcp_%s_%s %.3f" % (path, d, gbps))
if path != "raw" and s["bytes"] > 0:
    cpu = (int(c1) - int(c0)) / int(hz)
    print("cpugb_%s %.2f" % (path, cpu / (s["bytes"] / 1e9)))
PY
	cat "$tmp/tcp.out" >>"$res"
	sed 's/^/  /' "$tmp/tcp.out"
}
r=1
while [ "$r" -le "$reps" ]; do
	for path in $paths; do
		path_on "$path" || continue
		for d in fwd rev; do
			load before
			tcp "$path" "$d"
			load after
		done
	done
	r=$((r + 1))
done

# --- UDP packets/s under 1% loss
echo "== UDP 1,400-byte payloads: highest rate under 1% loss," \
    "$udp_steps steps of $udp_s s"
udp_try() {	# udp_try PATH PPS: prints received packets/s and loss %
	# 2 MB socket buffers at both ends, the same on every path: the
	# figure is what a path carries, not how long iperf3 waits for a
	# core on a loaded machine
	ip netns exec "${p}2" iperf3 -J -u -c "$(dst "$1")" -p 5201 \
	    -l 1400 -w 2M -b $(($2 * 1400 * 8)) -t "$udp_s" \
	    >"$tmp/udp.json" 2>"$tmp/udp.err"
	python3 - "$tmp/udp.json" <<'PY'
import json, sys
try:
    # a warning line (block size over the MSS of the control
    # connection) may come before the JSON
    t = open(sys.argv[1]).read()
    s = json.loads(t[t.index("{"):])["end"]["sum_received"]
    print("%.0f %.2f" % (s["bytes"] / 1400 / s["seconds"],
                         s["lost_percent"]))
except Exception as e:
    print("# udp failed: %s" % e, file=sys.stderr)
    print("0 100")
PY
}
tap_drops() {	# tap_drops: frames member 2's TAP dropped (zt-vl2d slow)
	ip -n "${p}2" -s link show dev "$dev2" | awk 'n == 1 { print $4; n = 2 }
	    /TX:/ { n = 1 }'
}

sock_drops() {	# sock_drops PORT: drops at member 3's UDP socket on PORT
	ip netns exec "${p}3" ss -uanm "sport = :$1" |
	    sed -n 's/.*,d\([0-9]*\)).*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
}

udp() {	# udp PATH: bisection on the offered rate
	lo=0 hi=${UDP_MAX:-128000} best=0
	n=0
	td=$(tap_drops)
	sd9=$(sock_drops 9993)
	sdw=$(sock_drops 51820)
	while [ "$n" -lt "$udp_steps" ]; do
		mid=$(((lo + hi) / 2))
		set -- $(udp_try "$path" "$mid")
		[ -n "${VERBOSE:-}" ] &&
		    echo "    $path offered $mid got $1 loss $2%"
		if awk -v l="$2" 'BEGIN { exit !(l < 1) }'; then
			lo=$mid
			[ "$1" -gt "$best" ] && best=$1
		else
			hi=$mid
		fi
		n=$((n + 1))
	done
	echo "  $path $best packets/s (offered up to $lo)"
	# where the losses of the search were: sender's TAP queue, the
	# receiving tunnel's UDP socket (datagrams: zt fragments 1,400 B)
	case $path in
	zt) echo "    drops: member 2 TAP queue $(($(tap_drops) - td))," \
	    "member 3 zt-vl1d socket $(($(sock_drops 9993) - sd9))" ;;
	wg) echo "    drops: member 3 wireguard-go socket" \
	    "$(($(sock_drops 51820) - sdw))" ;;
	esac
	record "udp_$path" "$best"
}
r=1
while [ "$r" -le "$reps" ]; do
	for path in $paths; do
		path_on "$path" || continue
		load before
		udp "$path"
		load after
	done
	r=$((r + 1))
done

# --- the table
echo "== medians of $reps runs (targets of issue 6 item 9)"
python3 - "$res" "$wg_ok" <<'PY'
import statistics, sys
v = {}
for line in open(sys.argv[1]):
    if line.startswith("#"):
        continue
    k, x = line.split()
    v.setdefault(k, []).append(float(x))
def med(k):
    return statistics.median(v[k]) if k in v else None
def f(x, fmt):
    return "-" if x is None else fmt % x
wg = sys.argv[2] == "1"
rows = []
for d, name in (("fwd", "2->3"), ("rev", "3->2")):
    zt, w, raw = med("tcp_zt_" + d), med("tcp_wg_" + d), med("tcp_raw_" + d)
    ratio = "" if not (zt and w) else " (%.2fx wg)" % (zt / w)
    rows.append(("TCP %s Gbit/s" % name, f(raw, "%.2f"),
                 f(zt, "%.2f") + ratio, f(w, "%.2f"),
                 ">= 2x wg, stretch >= 1.5"))
rows.append(("CPU-s per GB (TCP)", "", f(med("cpugb_zt"), "%.2f"),
             f(med("cpugb_wg"), "%.2f"), "<= 10"))
rows.append(("UDP 1400 B pkt/s <1% loss", f(med("udp_raw"), "%.0f"),
             f(med("udp_zt"), "%.0f"), f(med("udp_wg"), "%.0f"),
             ">= 43000, stretch 60000"))
raw = med("rtt_raw")
rows.append(("ping RTT avg ms", f(raw, "%.3f"), f(med("rtt_zt"), "%.3f"),
             f(med("rtt_wg"), "%.3f"),
             "<= raw + 0.200" + ("" if raw is None else
                                 " = %.3f" % (raw + 0.2))))
rows.append(("idle CPU % core/member", "",
             f(max(v["idle_cpu"]) if "idle_cpu" in v else None, "%.3f"),
             "", "<= 0.1 (worst member)"))
for k, n in (("uss_vl1d", "zt-vl1d"), ("uss_vl1d_kh", "zt-vl1d keyholder"),
             ("uss_tapd", "zt-tapd"), ("uss_vl2d", "zt-vl2d")):
    rows.append(("idle USS %s KiB" % n, "",
                 f(max(v[k]) if k in v else None, "%.0f"), "",
                 "<= 2048"))
rows.append(("idle USS member KiB", "",
             f(max(v["uss_member"]) if "uss_member" in v else None, "%.0f"),
             "", "<= 12695 (13 MB)"))
rows.append(("join -> ping ms, cold", "", f(med("join_cold"), "%.0f"), "",
             "<= 2000"))
rows.append(("join -> ping ms, warm", "", f(med("join_warm"), "%.0f"), "",
             "<= 2000"))
print("%-28s %9s %18s %9s  %s" % ("figure", "raw veth", "zt-privsep",
      "wg-go" if wg else "wg-go(-)", "target"))
for r in rows:
    print("%-28s %9s %18s %9s  %s" % r)
PY
if [ -n "${LOG_DIR:-}" ]; then
	mkdir -p "$LOG_DIR"
	cp "$tmp"/log* "$res" "$LOG_DIR"/
fi
if [ -n "${HOLD:-}" ]; then
	echo "holding the setup $HOLD s: namespaces ${p}1-3, zt $a2 -> $a3"
	for i in 2 3; do
		echo "member $i zt-* pids: $(echo $(zt_pids $i))"
	done
	sleep "$HOLD"
fi
