#!/bin/sh
# Bridging (spec/vl2.md §7.2, §9): a controller host and two members,
# alice (A) and bob (B).  On B's host a Linux bridge joins B's TAP and a
# veth to a namespace "behind" B whose MAC is not a ZeroTier MAC, with an
# address in the network's subnet.  The controller marks B activeBridge:
# A pings the host behind B over empty ARP caches (the ARP request goes
# by multicast, the reply and the pings by EXT_FRAME), A learns that the
# host's MAC is behind B.  Un-marked (pushed to every member by a network
# change), B's zt-vl2d drops the frames with a foreign source MAC and the
# pings stop.  Marked again by a member change, which is pushed to B
# only: B sends the bridged frames, A (whose config does not list B as a
# bridge yet) drops them as spoofed; a network change tells A and the
# pings come back.
# usage: test-vl2-bridge.sh ZT-VL1D ZT-CONTROLLERD ZT-TAPD ZT-VL2D ZT-CTL VECTORS
# shellcheck disable=SC2154 # set by lib.sh and lib-vl2.sh, also through eval
set -u
vl1d=$1 ctrld=$2 tapd=$3 vl2d=$4 ctl=$5 vectors=$6
netns_lib=$(dirname "$0")
. "$netns_lib/lib.sh"
. "$netns_lib/lib-vl2.sh"
vl2_setup zb$$ 3 controller alice bob

# counter INDEX NAME: a switch counter of member INDEX's network
counter() {
	"$tmp/counter" "$@"
}

# a switch counter: counter INDEX NAME (zt-ctl's JSON has one per line)
cat >"$tmp/counter" <<CNT
#!/bin/sh
"$ctl" -R "$tmp/run\$1" -j listnetworks |
    sed -n "s/^ *\"\$2\": *\([0-9]*\).*/\1/p" | grep . || echo -1
CNT
chmod 755 "$tmp/counter"

vl2_start 1 controller alice bob
vl2_network bridgenet 10.147.19
# B is a bridge before anyone's first config: A's lists it from the start
check "bob marked activeBridge" sh -c "'$ctl' -R '$tmp/run1' -j controller \
    member update $nwid $bob_address '{\"activeBridge\": true}' |
    grep -q '\"activeBridge\": *true'"
vl2_authorize alice bob
vl2_up 2 3
vl2_join 2 3
vl2_ok 2 3

# the host behind B: its own MAC (locally administered, not derived from
# any ZeroTier address), an address of the network's subnet
hmac=0e:5a:11:22:33:44
ip netns add "${p}h" || exit 1
namespaces="$namespaces ${p}h"
ip -n "${p}3" link add zbr type bridge &&
ip -n "${p}3" link set "$dev3" master zbr &&
ip -n "${p}3" link add zbv type veth peer name zbh &&
ip -n "${p}3" link set zbh netns "${p}h" &&
ip -n "${p}3" link set zbv master zbr up &&
ip -n "${p}3" link set zbr up &&
ip -n "${p}h" link set zbh address "$hmac" &&
ip -n "${p}h" addr add 10.147.19.100/24 dev zbh &&
ip -n "${p}h" link set zbh up
check "bridge on B's host made" test $? = 0
check "B's TAP is a bridge port" sh -c \
    "ip -n ${p}3 link show dev $dev3 | grep -q 'master zbr'"

ip -n "${p}2" neigh flush all
ip -n "${p}h" neigh flush all
check "A pings the host behind bridge B over empty ARP caches" \
    zping_q "${p}2" 10.147.19.100 3 0.2 5
check "A has the host's MAC in its ARP cache" sh -c \
    "ip -n ${p}2 neigh show 10.147.19.100 | grep -q $hmac"
check "B sent bridged frames" test "$(counter 3 out_bridged)" -gt 0
check "A learned a MAC behind a bridge" \
    test "$(counter 2 mac_learned)" -gt 0
check "A sent unicast to the MAC behind B" \
    test "$(counter 2 out_bridged)" -gt 0
check "the host pings A back" \
    zping_q "${p}h" "$a2" 2 0.2 3

# un-marked, with a network change that pushes to every member: B no
# longer forwards frames whose source MAC is not its own
ctlc controller member update "$nwid" "$bob_address" \
    '{"activeBridge": false}' >/dev/null
ctlc controller network update "$nwid" '{"name": "bridgenet2"}' >/dev/null
check "B's config no longer makes it a bridge" wait_for 10 sh -c \
    "[ \"\$('$ctl' -R '$tmp/run3' get $nwid name)\" = bridgenet2 ] &&
    [ \"\$('$ctl' -R '$tmp/run2' get $nwid name)\" = bridgenet2 ]"
nb0=$(counter 3 out_drop_not_bridge)
check "no reply from the host once B is not a bridge" \
    not zping_q "${p}2" 10.147.19.100 3 0.2 1.5
check "the host gets no reply from A" not zping_q "${p}h" "$a2" 3 0.2 1.5
check "B dropped the host's frames (source MAC not its own)" \
    test "$(counter 3 out_drop_not_bridge)" -gt "$nb0"

# marked again: a member change is pushed to B only, A's config still
# lacks B as a bridge and A drops what B bridges to it.  The host knows
# A's MAC for good: its ARP broadcasts would be dropped by A's multicast
# path instead, never reaching the unicast check
mac2=$("$ctl" -R "$tmp/run2" get "$nwid" mac)
ip -n "${p}h" neigh replace "$a2" lladdr "$mac2" dev zbh nud permanent
nc3=$(grep -c 'config revision' "$tmp/logv3")
ctlc controller member update "$nwid" "$bob_address" \
    '{"activeBridge": true}' >/dev/null
check "the member change is pushed to B" wait_for 10 sh -c \
    "[ \$(grep -c 'config revision' '$tmp/logv3') -gt $nc3 ]"
nr0=$(counter 2 in_drop_bridging_remote)
check "A drops frames B bridges before A knows B is a bridge" \
    wait_for 8 sh -c "ip netns exec ${p}h python3 '$netns_lib/ping.py' $a2 1 \
    0.2 0.3 >/dev/null; [ \$(\"\$0\" 2 in_drop_bridging_remote) -gt $nr0 ]" \
    "$tmp/counter"
ctlc controller network update "$nwid" '{"name": "bridgenet3"}' >/dev/null
check "pings come back once A's config lists B as a bridge" wait_for 10 \
    zping_q "${p}h" "$a2" 1 0.2 1

vl2_report 40 "2 3" log1 log2 log3 logc logt2 logt3 logv2 logv3
finish
