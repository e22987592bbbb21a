#!/bin/sh
# zt-vl1d benchmark (issue 4, bench/vl1), run by hand as root:
#	sh bench/vl1.sh BUILD-DIR [VECTORS-DIR]
# Two nodes in network namespaces on a private planet: node 1 is the root
# (the "controller" vector identity), node 2 a leaf ("alice").  Prints:
#  - idle RSS and USS (private memory) of every process
#  - VL2 payloads injected over IPC on node 2 (bench-vl1 send, as
#    zt-vl2d) and counted on node 1 (bench-vl1 recv): packets/s, Mbit/s,
#    CPU-seconds per GB of both zt-vl1d network halves
#  - a flood of each junk class at FLOOD_PPS from a third namespace, with
#    the CPU share of node 1 (network half and key holder)
#  - node 1's RSS as PEERS distinct identities complete HELLO over UDP
#    from 256 /24s (bench-vl1 peers); the identities are generated once
#    (zt-ctl identity generate) into a cache file kept across runs
# Knobs (environment): SECONDS_SEND (10), SIZE (1400), FLOOD_PPS (50000),
# FLOOD_SECONDS (5), PEERS (10000), ZT_BENCH_CACHE (~/.cache/zt-privsep),
# PERF_OUT (a path prefix: perf profiles of both nodes during the send),
# VL1D (another zt-vl1d binary, for before/after comparisons), LOG_DIR
# (keeps the daemons' logs), VERBOSE (private memory by mapping).
set -u
build=$1
here=$(cd "$(dirname "$0")" && pwd)
vectors=${2:-$here/../../shared/vectors}
vl1d=${VL1D:-$build/vl1d/zt-vl1d}
ctl=$build/ctl/zt-ctl
bench=$build/bench/bench-vl1
send_s=${SECONDS_SEND:-10}
size=${SIZE:-1400}
flood_pps=${FLOOD_PPS:-50000}
flood_s=${FLOOD_SECONDS:-5}
npeers=${PEERS:-10000}
cache=${ZT_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zt-privsep}
. "$here/../tests/netns/lib.sh"
need_root
sh "$here/../tests/setup-users.sh"
hz=$(getconf CLK_TCK)

p=zb$$
net_setup "$p" 3
chmod 755 "$tmp"

"$ctl" world genkey "$tmp/planet.key" >/dev/null || exit 1
"$ctl" world make planet 7 1700000000000 "$tmp/planet.key" "$tmp/planet" \
    "$(identity controller public)@198.18.1.1/9993" >/dev/null || exit 1

start() {	# start INDEX NAME
	h=$tmp/home$1
	mkdir -p "$h" "$tmp/run$1"
	identity "$2" >"$h/identity.secret"
	cp "$tmp/planet" "$h/planet"
	chown -R zt-vl1 "$h"
	chmod 700 "$h"
	ip netns exec "$p$1" "$vl1d" -H "$h" -R "$tmp/run$1" \
	    -b "198.18.$1.1/9993" -l info 2>"$tmp/log$1" &
	pids="$pids $!"
	eval "pid$1=$!"
}

as_vl2() {	# as_vl2 NS command...: runs as zt-vl2d would
	ns=$1
	shift
	ip netns exec "$ns" setpriv --reuid zt-vl2 --regid zt-vl2 \
	    --groups zt "$@"
}

daemon_sock() {	# daemon_sock INDEX: where zt-vl2d connects
	if [ -S "$tmp/run$1/zt-vl1d-ipc.sock" ]; then
		echo "$tmp/run$1/zt-vl1d-ipc.sock"
	else
		# a zt-vl1d from before the daemons got their own socket
		echo "$tmp/run$1/zt-vl1d.sock"
	fi
}

keyholder_of() {
	cat "/proc/$1/task/$1/children" 2>/dev/null | tr -d ' '
}

cpu_ticks() {	# cpu_ticks PID...: user + system ticks
	for x in "$@"; do
		awk '{ print $14 + $15 }' "/proc/$x/stat"
	done | awk '{ s += $1 } END { print s + 0 }'
}

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

uss_kib() {
	awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s }' \
	    "/proc/$1/smaps_rollup"
}

field() {	# field FILE KEY
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

now_ms() {
	date +%s%3N
}

peers_count() {
	"$ctl" -R "$tmp/run1" -j info 2>/dev/null | python3 -c \
	    'import json, sys; print(json.load(sys.stdin)["peers"])'
}

online() {
	"$ctl" -R "$tmp/run2" -j info 2>/dev/null | grep -q '"online": *true'
}

root=$(identity controller address)
start 1 controller
start 2 alice
wait_for 10 test -S "$tmp/run2/zt-vl1d.sock" || exit 1
if ! wait_for 15 online; then
	echo "alice never reached the root"
	tail "$tmp/log2"
	exit 1
fi
kh1=$(keyholder_of "$pid1")
kh2=$(keyholder_of "$pid2")

echo "== idle memory (KiB)"
sleep 1
for x in "$pid1 node1" "$kh1 node1-keyholder" "$pid2 node2" \
    "$kh2 node2-keyholder"; do
	set -- $x
	echo "$2 rss $(rss_kib "$1") uss $(uss_kib "$1")"
	# VERBOSE: where the private memory is, largest mappings first
	[ -n "${VERBOSE:-}" ] && awk '
	    /^[0-9a-f]+-[0-9a-f]+ / { name = $6 == "" ? "[anon]" : $6 }
	    /^Private_(Clean|Dirty):/ { priv[name] += $2 }
	    END { for (n in priv) if (priv[n] > 0) print "  " priv[n], n }' \
	    "/proc/$1/smaps" | sort -rn | head -6
done

echo "== VL2 payloads node 2 -> node 1 over IPC, $size bytes, ${send_s} s"
as_vl2 "${p}1" "$bench" recv "$(daemon_sock 1)" $((send_s + 20)) \
    >"$tmp/recv.out" 2>"$tmp/recv.err" &
rpid=$!
pids="$pids $rpid"
wait_for 5 grep -q recv_ready "$tmp/recv.out"
c0=$(cpu_ticks "$pid1" "$pid2")
t0=$(now_ms)
if [ -n "${PERF_OUT:-}" ]; then
	# profiles of both network halves while the payloads flow
	for i in 1 2; do
		eval "x=\$pid$i"
		perf record -g -o "$PERF_OUT.node$i" -p "$x" -- \
		    sleep $((send_s - 2)) >/dev/null 2>&1 &
	done
fi
as_vl2 "${p}2" "$bench" send "$(daemon_sock 2)" "$root" "$send_s" \
    "$size" >"$tmp/send.out" 2>"$tmp/send.err"
wait "$rpid"
t1=$(now_ms)
c1=$(cpu_ticks "$pid1" "$pid2")
cat "$tmp/send.err" "$tmp/recv.err"
sent=$(field "$tmp/send.out" send_packets)
got=$(field "$tmp/recv.out" recv_packets)
bytes=$(field "$tmp/recv.out" recv_bytes)
secs=$(field "$tmp/recv.out" recv_seconds)
python3 - "$sent" "$got" "$bytes" "$secs" "$c0" "$c1" "$hz" <<'PY'
import sys
sent, got, nbytes, secs = int(sys.argv[1]), int(sys.argv[2]), \
    int(sys.argv[3]), float(sys.argv[4])
cpu = (int(sys.argv[6]) - int(sys.argv[5])) / int(sys.argv[7])
print(f"injected {sent} delivered {got} ({100.0 * got / max(sent, 1):.1f}%)"
      f" in {secs:.2f} s")
if secs > 0:
    print(f"packets/s {got / secs:.0f}")
    print(f"payload Mbit/s {nbytes * 8 / secs / 1e6:.0f}"
          f"  MB/s {nbytes / secs / 1e6:.1f}")
if nbytes > 0:
    print(f"cpu-seconds (both zt-vl1d) {cpu:.2f}"
          f"  per GB {cpu / (nbytes / 1e9):.2f}")
PY
echo "node1 rss $(rss_kib "$pid1") node2 rss $(rss_kib "$pid2") (KiB, after)"

echo "== junk floods at $flood_pps packets/s on node 1, ${flood_s} s each"
alice_pub=$(identity alice public)
for class in short unknown badmac fragment hello; do
	c0=$(cpu_ticks "$pid1" "$kh1")
	t0=$(now_ms)
	ip netns exec "${p}3" "$bench" flood "$class" 198.18.1.1/9993 \
	    "$flood_pps" "$flood_s" "$root" "$alice_pub" >"$tmp/flood.out"
	t1=$(now_ms)
	c1=$(cpu_ticks "$pid1" "$kh1")
	python3 - "$class" "$(field "$tmp/flood.out" flood_packets)" \
	    "$t0" "$t1" "$c0" "$c1" "$hz" <<'PY'
import sys
n, t = int(sys.argv[2]), (int(sys.argv[4]) - int(sys.argv[3])) / 1000
cpu = (int(sys.argv[6]) - int(sys.argv[5])) / int(sys.argv[7])
print(f"{sys.argv[1]:9s} {n / t:8.0f} packets/s  cpu {100 * cpu / t:5.1f}%"
      " of one core")
PY
done
online || echo "WARNING: alice lost the root during the floods"

echo "== RSS with $npeers peers that completed HELLO over UDP"
mkdir -p "$cache"
ids=$cache/identities
have=$(grep -c . "$ids" 2>/dev/null || echo 0)
if [ "$have" -lt "$npeers" ]; then
	need=$((npeers - have))
	echo "generating $need identities into $ids (kept for later runs)"
	gen() {	# gen COUNT FILE
		i=0
		while [ "$i" -lt "$1" ]; do
			"$ctl" identity generate && echo
			i=$((i + 1))
		done >"$2"
	}
	gen $((need / 2)) "$tmp/ids.a" &
	g=$!
	gen $((need - need / 2)) "$tmp/ids.b"
	wait "$g"
	cat "$tmp/ids.a" "$tmp/ids.b" >>"$ids"
fi
# node 3 owns 198.19.0.0/16 as local addresses; node 1 routes it there
ip -n "${p}3" route add local 198.19.0.0/16 dev lo
ip -n "${p}1" route add 198.19.0.0/16 via 198.18.3.1
base=$(peers_count)
rss0=$(rss_kib "$pid1")
echo "peers $base rss $rss0 KiB uss $(uss_kib "$pid1") KiB"
done_n=0
for step in 1000 $npeers; do
	[ "$step" -gt "$npeers" ] && step=$npeers
	[ "$step" -le "$done_n" ] && continue
	ip netns exec "${p}3" "$bench" peers "$ids" "$done_n" \
	    $((step - done_n)) "$tmp/planet" 198.19 >"$tmp/peers.out" || break
	done_n=$step
	n=$(peers_count)
	rss=$(rss_kib "$pid1")
	echo "started $(field "$tmp/peers.out" peers_started)" \
	    "online $(field "$tmp/peers.out" peers_online)" \
	    "in $(field "$tmp/peers.out" peers_seconds) s:" \
	    "peers $n rss $rss KiB uss $(uss_kib "$pid1") KiB" \
	    "keyholder rss $(rss_kib "$kh1") KiB"
	echo "engine peer struct $(field "$tmp/peers.out" peer_struct_bytes)" \
	    "bytes, of which duplicate window" \
	    "$(field "$tmp/peers.out" peer_dup_bytes) bytes" \
	    "(N = $(field "$tmp/peers.out" peer_dup_window) packet ids)"
	if [ "$n" -gt "$base" ]; then
		echo "per peer $(( (rss - rss0) * 1024 / (n - base) )) bytes"
	fi
done
# the daemons' logs, when asked for (LOG_DIR)
if [ -n "${LOG_DIR:-}" ]; then
	mkdir -p "$LOG_DIR"
	cp "$tmp"/log1 "$tmp"/log2 "$LOG_DIR"/
fi
