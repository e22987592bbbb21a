#!/bin/sh
# zt-vl2d with a planet root that is not the controller: a root host
# (zt-vl1d only), a controller host (zt-vl1d + zt-controllerd, a leaf)
# and two members.  Members send their MULTICAST_LIKEs to every root and
# their GATHERs to the best root through zt-vl1d (VL2_SEND destination
# 0); the controller does not answer gathers, so the first ping over
# empty ARP caches works only if the root stored one member's LIKE and
# answered the other's GATHER.  zt-vl1d names the node's address at
# connect: the MAC is known before any packet.  Once the members talk,
# each announces its groups to the other (LIKEs to members).
# usage: test-vl2-root.sh ZT-VL1D ZT-CONTROLLERD ZT-TAPD ZT-VL2D ZT-CTL VECTORS
# shellcheck disable=SC2154 # set by lib.sh and lib-vl2.sh, also through eval
set -u
vl1d=$1 ctrld=$2 tapd=$3 vl2d=$4 ctl=$5 vectors=$6
netns_lib=$(dirname "$0")
. "$netns_lib/lib.sh"
. "$netns_lib/lib-vl2.sh"
vl2_setup zr$$ 4 root1 controller alice bob
vl2_start 2 root1 controller alice bob
vl2_network rootnet 10.147.18
vl2_authorize alice bob
vl2_up 3 4
# no packet has reached zt-vl2d yet: zt-vl1d told it the address
check "zt-vl1d names the node address at connect" wait_for 5 grep -q \
    "node address $alice_address" "$tmp/logv3"
mac=$(python3 -c 'import sys
a, n = int(sys.argv[1], 16), int(sys.argv[2], 16)
# spec/vl2.md §1: first octet from the nwid, locally administered
f = (n & 0xfe) | 0x02
f = 0x32 if f == 0x52 else f
m = f << 40 | a
for i in range(5):
    m ^= ((n >> (8 * (i + 1))) & 0xff) << (32 - 8 * i)
print(":".join("%02x" % ((m >> (40 - 8 * i)) & 0xff) for i in range(6)))' \
    "$alice_address" "$nwid")
vl2_join 3 4
check "the MAC ($mac) is shown at once" sh -c \
    "'$ctl' -R '$tmp/run3' listnetworks | grep -q ' $mac '"
vl2_ok 3 4
check "the controller is a leaf to the members" sh -c \
    "'$ctl' -R '$tmp/run3' peers | grep '$controller_address' |
    grep -q LEAF"
ip -n "${p}3" neigh flush all
ip -n "${p}4" neigh flush all
# ARP: alice's GATHER is answered by the root with bob's LIKE
check "first ping with empty ARP caches (answered by the root)" \
    zping_q "${p}3" "$a4" 2 0.5 5
check "ping the other way" zping_q "${p}4" "$a3" 2 0.2 3
check "members announce their groups to each other" wait_for 5 sh -c \
    "'$ctl' -R '$tmp/run3' -j listnetworks |
    grep -q '\"memberLikes\": *[1-9]'"

vl2_report 40 "3 4" log1 log2 log3 log4 logc logt3 logv3 logv4
finish
