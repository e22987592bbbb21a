#!/bin/sh
# Installs what bench/vl2.sh compares against, when any is missing:
# iperf3, ping, and wireguard-go with the wg tool.  Only for the bench:
# building and testing the suite needs none of them.  Run as root.
set -eu
pkgs="iperf3 iputils-ping wireguard-go wireguard-tools"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi
