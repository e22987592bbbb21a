#!/bin/sh
# Creates the system group and users zt-privsep's daemons run as (the
# names of the systemd sysusers file) when they are missing, so tests
# run each daemon under its own uid.  Needs root; idempotent.
set -eu
if [ "$(id -u)" != 0 ]; then
	echo "setup-users.sh: run as root" >&2
	exit 1
fi
for d in /usr/sbin /sbin; do
	case ":$PATH:" in *":$d:"*) ;; *) PATH=$PATH:$d ;; esac
done
shell=/usr/sbin/nologin
[ -x "$shell" ] || shell=/sbin/nologin
[ -x "$shell" ] || shell=/bin/false

getent group zt >/dev/null || groupadd --system zt
for u in zt-tap zt-vl1 zt-vl2 zt-ctrl; do
	getent passwd "$u" >/dev/null && continue
	if getent group "$u" >/dev/null; then
		grp="--gid $u"
	else
		grp="--user-group"
	fi
	# shellcheck disable=SC2086
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell "$shell" --comment zt-privsep $grp "$u"
done
for u in zt-tap zt-vl1 zt-vl2 zt-ctrl; do
	getent passwd "$u" >/dev/null || { echo "missing user $u" >&2; exit 1; }
done
