#!/bin/sh
# The systemd units, checked offline: `systemd-analyze verify` on every
# unit, and `systemd-analyze security` of every service against its
# exposure ceiling (zt-vl2d 0.6, zt-controllerd 1.1, zt-vl1d 1.3,
# zt-tapd 1.9).  Services are checked with ExecStart pointing at the
# binary just built, since nothing is installed.  UNIT-DIR is the build
# directory's systemd/, where the units are generated; with -s and -r,
# each ExecStart= must name SBINDIR/<daemon> and each socket must be in
# RUNDIR, as `meson install` would install them.
# usage: test-systemd.sh [-s SBINDIR] [-r RUNDIR] UNIT-DIR BINARY...
set -u
sbindir="" rundir=""
while getopts s:r: o; do
	case $o in
	s) sbindir=$OPTARG ;;
	r) rundir=$OPTARG ;;
	*) echo "usage: test-systemd.sh [-s SBINDIR] [-r RUNDIR] UNIT-DIR" \
	    "BINARY..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
dir=$(cd "$1" && pwd)
shift
. "$(dirname "$0")/../lib/check.sh"

ceiling() {	# exposure x 10, as --threshold takes it
	case $1 in
	zt-vl2d) echo 6 ;;
	zt-controllerd) echo 11 ;;
	zt-vl1d) echo 13 ;;
	zt-tapd) echo 19 ;;
	*) echo 0 ;;
	esac
}

if ! command -v systemd-analyze >/dev/null; then
	echo "systemd-analyze is missing (Debian package systemd)"
	exit 1
fi
for f in "$dir"/*.service "$dir"/*.socket "$dir"/*.target; do
	[ -e "$f" ] || continue
	cp "$f" "$tmp/"
done
for f in "$tmp"/*.service; do
	name=$(basename "$f" .service)
	bin=""
	for b in "$@"; do
		[ "$(basename "$b")" = "$name" ] && bin=$b
	done
	checks=$((checks + 1))
	if [ -z "$bin" ]; then
		fail "$name.service: no built binary given"
		continue
	fi
	case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
	exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$f")
	checks=$((checks + 1))
	if [ "$(echo "$exe" | wc -l)" != 1 ] ||
	    [ "$(basename "$exe")" != "$name" ]; then
		fail "$name.service: ExecStart= is '$exe', not one $name"
	elif [ -n "$sbindir" ] && [ "$exe" != "$sbindir/$name" ]; then
		fail "$name.service: ExecStart=$exe, installed is $sbindir/$name"
	fi
	sed -i "s#^ExecStart=[^ ]*/$name\( \|\$\)#ExecStart=$bin\1#" "$f"
	checks=$((checks + 1))
	c=$(ceiling "$name")
	[ "$c" != 0 ] || fail "$name: no exposure ceiling known"
	out=$(systemd-analyze security --offline=yes --threshold="$c" "$f" \
	    2>&1) || fail "$name: exposure over $c/10: $(echo "$out" | tail -1)"
	echo "$out" | tail -1
done
if [ -n "$rundir" ]; then
	for f in "$tmp"/*.socket; do
		sed -n 's/^Listen[A-Za-z]*=//p' "$f" >"$tmp/listen"
		checks=$((checks + 1))
		[ -s "$tmp/listen" ] ||
		    fail "$(basename "$f"): no Listen*= line"
		while read -r l; do
			[ "$(dirname "$l")" = "$rundir" ] ||
			    fail "$(basename "$f"): $l is not in $rundir"
		done <"$tmp/listen"
	done
fi
checks=$((checks + 1))
(cd "$tmp" && systemd-analyze verify --man=no ./*.service ./*.socket \
    ./*.target) || fail "systemd-analyze verify"
checks=$((checks + 1))
mkdir -p "$tmp/root"
systemd-sysusers --root="$tmp/root" --dry-run "$dir/zt-privsep.sysusers" \
    >/dev/null 2>"$tmp/sysusers.err" || fail "sysusers file: $(cat "$tmp/sysusers.err")"
check_end
