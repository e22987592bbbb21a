#!/bin/sh
# Installs the Debian 12 packages zt-privsep needs to build, test and run
# its demo, when any is missing.  Run as root.
set -eu
pkgs="build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
 libssl-dev libevent-dev libjansson-dev libcap-dev libseccomp-dev
 liblz4-dev libsqlite3-dev iproute2 passwd python3 systemd iptables
 iputils-ping"
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
