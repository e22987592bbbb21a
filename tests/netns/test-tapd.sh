#!/bin/sh
# zt-tapd in a network namespace, driven by tapd-client in the zt-vl2d
# role: a TAP device is opened and its fd handed over, link, addresses
# and routes are set (checked with ip), requests outside the scope rules
# or about another interface are refused, settings are changed through
# zt-ctl, the device survives kill -9 and is adopted by the next run, and
# SIGTERM removes it.  zt-tapd starts as root and must end up as zt-tap
# with CAP_NET_ADMIN only.
# usage: test-tapd.sh ZT-TAPD TAPD-CLIENT ZT-CTL
set -u
tapd=$1 client=$2 ctl=$3
. "$(dirname "$0")/lib.sh"
need_root
sh "$(dirname "$0")/../setup-users.sh"

ns=ztt$$
ip netns add "$ns" || exit 1
namespaces=$ns
ip -n "$ns" link set lo up
chmod 755 "$tmp"
mkdir "$tmp/state" "$tmp/run"
chown zt-tap:zt-tap "$tmp/state"
chown root:zt "$tmp/run"
chmod 750 "$tmp/run"

# zt-tap opens /dev/net/tun after the drop, which Debian's udev leaves
# 0666; where this host has it tighter, a 0666 node of the same device
# is bind-mounted in zt-tapd's private mount namespace only
tun=""
if [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
	tun=$tmp/tun
	mknod "$tun" c 10 200 && chmod 666 "$tun" || exit 1
fi

nwid=8056c2e21c000001
mac=02:89:e9:30:0c:27
starts=0

start_tapd() {
	ip netns exec "$ns" sh -c '[ -z "$1" ] || mount --bind "$1" \
	    /dev/net/tun || exit 1; shift; exec "$@"' sh "$tun" "$tapd" \
	    -H "$tmp/state" -R "$tmp/run" -l debug -m 300 2>>"$tmp/log" &
	tapd_pid=$!
	pids="$pids $tapd_pid"
	starts=$((starts + 1))
	wait_for 10 sh -c "[ \$(grep -c ': ready' '$tmp/log') -ge $starts ]"
}

cl() {	# cl ARGS...: one request; output in $tmp/out, status returned
	"$client" "$tmp/run" "$@" >"$tmp/out" 2>&1
}

addr_on() {	# addr_on DEV CIDR
	ip -n "$ns" addr show dev "$1" | grep -q "inet6\? $2 "
}

ctl_set() {	# ctl_set NAME=VALUE: zt-ctl set for our network, quietly
	"$ctl" -R "$tmp/run" set $nwid "$1" >/dev/null
}

route_on() {	# route_on FAMILY PATTERN
	ip -n "$ns" "$1" route show | grep -q "$2"
}

start_tapd || { cat "$tmp/log"; exit 1; }

st=/proc/$tapd_pid/status
tapuid=$(id -u zt-tap)
check "zt-tapd runs as zt-tap" \
    grep -Eq "^Uid:[[:space:]]+$tapuid[[:space:]]+$tapuid[[:space:]]+$tapuid" \
    "$st"
check "only CAP_NET_ADMIN effective" \
    grep -Eq '^CapEff:[[:space:]]+0000000000001000$' "$st"
check "only CAP_NET_ADMIN permitted" \
    grep -Eq '^CapPrm:[[:space:]]+0000000000001000$' "$st"
check "no ambient capabilities" grep -Eq '^CapAmb:[[:space:]]+0+$' "$st"
check "no inheritable capabilities" grep -Eq '^CapInh:[[:space:]]+0+$' "$st"
check "seccomp filter" grep -Eq '^Seccomp:[[:space:]]+2' "$st"
check "no_new_privs" grep -Eq '^NoNewPrivs:[[:space:]]+1' "$st"
check "tun offloads detected and logged" grep -q 'tun: features' \
    "$tmp/log"

# open: a device named from the network id, with our MAC and MTU; the
# client receives the fd (and closes it on exit)
check "open" cl open $nwid $mac 2800
dev=$(awk 'NR == 1 { print $1 }' "$tmp/out")
# zt + base32 of the low 40 bits of nwid ^ nwid >> 24 (service.md §9)
want=$(python3 -c 'import sys
n = int(sys.argv[1], 16); v = (n ^ (n >> 24)) & (2 ** 40 - 1)
a = "abcdefghijklmnopqrstuvwxyz234567"
print("zt" + "".join(a[(v >> (35 - 5 * i)) & 31] for i in range(8)))' $nwid)
check "device named from the network id" test "$dev" = "$want"
check "device exists" sh -c "ip -n $ns link show dev $dev >/dev/null"
check "MAC set" sh -c "ip -n $ns link show dev $dev | grep -q $mac"
check "MTU set" sh -c "ip -n $ns link show dev $dev | grep -q 'mtu 2800'"
check "transmit queue lengthened" sh -c "ip -n $ns link show dev $dev | grep -q 'qlen 5000'"
check "device is persistent" \
    sh -c "ip -n $ns -d link show dev $dev | grep -q 'persist on'"

check "link up" cl link $nwid "$dev" 2800 1
check "device is up" \
    sh -c "ip -n $ns link show dev $dev | grep -q '<[^>]*,UP'"

# a frame written into the fd arrives on the device
check "open again (previous fd closed)" cl open $nwid $mac 2800 frame
check "frame written on the up device" grep -q 'frame written' "$tmp/out"
check "frame received by the kernel" sh -c "[ \$(ip netns exec $ns \
    cat /sys/class/net/$dev/statistics/rx_packets) -ge 1 ]"

# addresses: private scope allowed, global refused by default
v6=fd80:56c2:e21c:0:199:9389:e92c:eee5
check "set addresses" cl addrs $nwid "$dev" 10.147.17.5/24 $v6/88
check "IPv4 address on the device" addr_on "$dev" 10.147.17.5/24
check "IPv6 address on the device" addr_on "$dev" $v6/88
cl addrs $nwid "$dev" 10.147.17.5/24 $v6/88 8.8.8.8/24
check "global address refused (allowGlobal off)" test $? = 3
check "refusal names the address" grep -q '8.8.8.8/24' "$tmp/out"
check "global address not on the device" sh -c "! ip -n $ns addr show \
    dev $dev | grep -q 8.8.8.8"
check "allowed addresses kept" addr_on "$dev" 10.147.17.5/24
cl addrs $nwid "$dev" 10.147.17.5/24 127.0.0.2/8 169.254.1.1/16
check "loopback and link-local refused" test $? = 3
check "IPv6 address removed when no longer pushed" \
    sh -c "! ip -n $ns addr show dev $dev | grep -q $v6"
check "restore addresses" cl addrs $nwid "$dev" 10.147.17.5/24 $v6/88

# routes: on-link and via a gateway; the default route needs allowDefault
check "set routes" cl routes $nwid "$dev" 10.148.0.0/16 \
    10.149.0.0/16,10.147.17.1 fd81::/16
check "on-link route installed" \
    route_on -4 "^10.148.0.0/16 dev $dev proto 222"
check "gateway route installed" \
    route_on -4 "^10.149.0.0/16 via 10.147.17.1 dev $dev"
check "IPv6 route installed" route_on -6 "^fd81::/16 dev $dev"
cl routes $nwid "$dev" 10.148.0.0/16 0.0.0.0/0,10.147.17.1
check "default route refused (allowDefault off)" test $? = 3
check "no half default route" sh -c "! ip -n $ns route | grep -q '^0.0.0.0/1'"
check "route no longer pushed removed" \
    sh -c "! ip -n $ns route | grep -q '^10.149.0.0/16'"

# settings through zt-ctl (root here); zt-vl2d never changes them
check "zt-ctl get default" test "$("$ctl" -R "$tmp/run" get $nwid \
    allowDefault)" = 0
check "zt-ctl set allowDefault=1" \
    ctl_set allowDefault=1
check "zt-ctl get allowDefault" test "$("$ctl" -R "$tmp/run" get $nwid \
    allowDefault)" = 1
check "zt-ctl set refuses bad values" \
    sh -c "! '$ctl' -R '$tmp/run' set $nwid allowDefault=2 2>/dev/null"
check "zt-ctl set refuses unknown settings" \
    sh -c "! '$ctl' -R '$tmp/run' set $nwid allowAll=1 2>/dev/null"
# a request over 64 KiB (sent in parts) gets zt-tapd's error, not a
# hang or a dropped connection, and zt-tapd keeps answering
huge=$(head -c 102400 /dev/zero | tr '\0' 1)
check "zt-ctl set over 64 KiB: zt-tapd says so" \
    sh -c '! "$@" 2>"$0" && grep -q "zt-tapd: request over 64 KiB" "$0"' \
    "$tmp/huge.err" "$ctl" -R "$tmp/run" set $nwid "allowDefault=$huge"
check "zt-tapd answers after the oversized request" test "$("$ctl" -R \
    "$tmp/run" get $nwid allowDefault)" = 1
check "default route allowed now" cl routes $nwid "$dev" 10.148.0.0/16 \
    0.0.0.0/0,10.147.17.1
check "default route as two halves" route_on -4 "^0.0.0.0/1 via 10.147.17.1"
check "second half" route_on -4 "^128.0.0.0/1 via 10.147.17.1"
check "zt-ctl set allowGlobal=1" \
    ctl_set allowGlobal=1
check "global address allowed now" cl addrs $nwid "$dev" 10.147.17.5/24 \
    8.8.8.8/24
check "global address on the device" addr_on "$dev" 8.8.8.8/24
check "zt-ctl set allowGlobal=0" \
    ctl_set allowGlobal=0
check "global address removed when the setting goes off" \
    sh -c "! ip -n $ns addr show dev $dev | grep -q 8.8.8.8"
check "zt-ctl set allowDefault=0" \
    ctl_set allowDefault=0
check "default route removed when the setting goes off" \
    sh -c "! ip -n $ns route | grep -q '^0.0.0.0/1'"
check "zt-ctl tap list" sh -c "'$ctl' -R '$tmp/run' tap list | \
    grep -q '^200 listtaps $nwid $dev '"

# anything about another interface is refused and logged
ip -n "$ns" link add ztforeign type veth peer name ztforeign2
cl addrs $nwid lo 10.1.1.1/24
check "addresses on lo refused" test $? = 3
cl link $nwid ztforeign 1500 1
check "link of a foreign interface refused" test $? = 3
check "foreign interface untouched" \
    sh -c "ip -n $ns link show dev ztforeign | grep -q 'state DOWN'"
cl close 1c33c1ced015c144 "$dev"
check "another network's claim on our device refused" test $? = 3
cl routes 1c33c1ced015c144 ztforeign 10.1.0.0/16
check "routes on a foreign interface refused" test $? = 3
check "refusals logged" grep -q 'ztforeign.*refused' "$tmp/log"
cl raw 42 00
check "a malformed body closes the connection" test $? = 4

# multicast memberships: the ARP group of our address and the kernel's
check "multicast report" cl mcast "$dev"
check "ARP group of 10.147.17.5" grep -q 'ff:ff:ff:ff:ff:ff/0a931105' \
    "$tmp/out"
check "link-layer groups from the kernel" grep -q '^33:33:' "$tmp/out"

# kill -9: the device and its configuration stay; a new run adopts it
kill -9 "$tapd_pid"
wait "$tapd_pid" 2>/dev/null
check "device survives a crash" \
    sh -c "ip -n $ns link show dev $dev >/dev/null"
check "addresses survive a crash" addr_on "$dev" 10.147.17.5/24
check "routes survive a crash" route_on -4 "^10.148.0.0/16 dev $dev"
start_tapd
check "restarted" test -d "/proc/$tapd_pid"
check "device adopted" grep -q "adopted $dev" "$tmp/log"
check "adopted device accepts requests" cl link $nwid "$dev" 2800 1
check "re-attach after restart" cl open $nwid $mac 2800
check "same device re-attached" \
    sh -c "awk 'NR == 1 { print \$1 }' '$tmp/out' | grep -qx $dev"
check "addresses stayed" addr_on "$dev" 10.147.17.5/24
check "settings survived the restart" test "$("$ctl" -R "$tmp/run" get \
    $nwid allowGlobal)" = 0

# leaving the network deletes its device; opening again makes it anew
check "zt-ctl set before leaving" ctl_set allowGlobal=1
check "close (network left)" cl close $nwid "$dev"
check "device deleted on close" \
    sh -c "! ip -n $ns link show dev $dev 2>/dev/null"
check "settings forgotten with the network" test "$("$ctl" -R "$tmp/run" \
    get $nwid allowGlobal)" = 0
cl link $nwid "$dev" 2800 1
check "closed device no longer accepted" test $? = 3
check "open after close" cl open $nwid $mac 2800
check "device made anew" sh -c "ip -n $ns link show dev $dev >/dev/null"

# SIGTERM: the devices go
kill -TERM "$tapd_pid"
wait "$tapd_pid" 2>/dev/null
check "clean exit on SIGTERM (no seccomp kill)" test $? = 0
check "device removed on SIGTERM" \
    sh -c "! ip -n $ns link show dev $dev 2>/dev/null"
check "record emptied" grep -q '"devices": \[\]' "$tmp/state/state.json"

# as the service manager starts it: already zt-tap, CAP_NET_ADMIN in the
# ambient set, the control socket made by root (mode 0660, group zt) and
# passed as fd 3 (socket activation).  The ambient set must be cleared
# and zt-vl2d must still see zt-tap as the listener.
rm -f "$tmp/run/zt-tapd.sock"
ip netns exec "$ns" sh -c '[ -z "$1" ] || mount --bind "$1" \
    /dev/net/tun || exit 1; shift; exec "$@"' sh "$tun" python3 -c '
import grp, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1])
os.chown(sys.argv[1], 0, grp.getgrnam("zt").gr_gid)
os.chmod(sys.argv[1], 0o660)
s.listen(16)
os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execvp(sys.argv[2], sys.argv[2:])' "$tmp/run/zt-tapd.sock" \
    setpriv --reuid=zt-tap --regid=zt-tap --clear-groups \
    --inh-caps=+net_admin --ambient-caps=+net_admin \
    "$tapd" -H "$tmp/state" -R "$tmp/run" -l debug -m 300 2>>"$tmp/log" &
tapd_pid=$!
pids="$pids $tapd_pid"
starts=$((starts + 1))
wait_for 10 sh -c "[ \$(grep -c ': ready' '$tmp/log') -ge $starts ]"
st=/proc/$tapd_pid/status
check "activated: runs as zt-tap" \
    grep -Eq "^Uid:[[:space:]]+$tapuid[[:space:]]+$tapuid" "$st"
check "activated: ambient set cleared" \
    grep -Eq '^CapAmb:[[:space:]]+0+$' "$st"
check "activated: inheritable set cleared" \
    grep -Eq '^CapInh:[[:space:]]+0+$' "$st"
check "activated: only CAP_NET_ADMIN" \
    grep -Eq '^CapEff:[[:space:]]+0000000000001000$' "$st"
check "activated: seccomp filter" grep -Eq '^Seccomp:[[:space:]]+2' "$st"
check "activated: open" cl open $nwid $mac 2800
check "activated: device made" \
    sh -c "ip -n $ns link show dev $dev >/dev/null"
kill -TERM "$tapd_pid"
wait "$tapd_pid" 2>/dev/null
check "activated: clean exit" test $? = 0
check "activated: device removed" \
    sh -c "! ip -n $ns link show dev $dev 2>/dev/null"

if [ "$failed" != 0 ]; then
	echo "--- zt-tapd log"
	tail -n 60 "$tmp/log"
fi
finish
