#!/bin/sh
# `meson install --destdir` into a temporary root: the binaries, every
# unit of systemd/, the sysusers and tmpfiles files, a manual page per
# binary (each with a PRIVILEGES section, no unreplaced placeholder,
# every zt-ctl command listed) and the bash completion, which must parse
# and complete from zt-ctl's command table.
# usage: test-install.sh MESON
set -u
meson=$1
checks=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}
check() {	# check DESCRIPTION command...
	what=$1
	shift
	checks=$((checks + 1))
	"$@" || fail "$what"
}

if ! "$meson" install -C "$ZT_BUILD_ROOT" --no-rebuild --destdir "$root" \
    >"$tmp/log" 2>&1; then
	cat "$tmp/log"
	echo "FAIL: meson install"
	exit 1
fi

# the prefix is the build's: find the tree by its known file
ctl=$(find "$root" -path '*/bin/zt-ctl' -type f | head -1)
[ -n "$ctl" ] || { echo "FAIL: no bin/zt-ctl installed"; find "$root"; exit 1; }
prefix=${ctl%/bin/zt-ctl}
echo "installed under ${prefix#"$root"}"

for d in zt-tapd zt-vl1d zt-vl2d zt-controllerd; do
	check "sbin/$d installed and executable" test -x "$prefix/sbin/$d"
done
check "bin/zt-ctl runs" "$ctl" --version

# every unit of systemd/ is installed as the build generated it (with
# the configured sbindir in ExecStart=)
units=$ZT_SOURCE_ROOT/systemd
for u in "$units"/*.service "$units"/*.socket "$units"/*.target; do
	[ -e "$u" ] || continue
	n=$(basename "$u")
	check "unit $n installed" \
	    cmp -s "$ZT_BUILD_ROOT/systemd/$n" "$prefix/lib/systemd/system/$n"
	check "unit $n starts the installed binary" sh -c \
	    "! grep '^ExecStart=' '$prefix/lib/systemd/system/$n' |
	    grep -v '^ExecStart=${prefix#"$root"}/sbin/'"
done
check "sysusers.d/zt-privsep.conf" cmp -s \
    "$ZT_SOURCE_ROOT/systemd/zt-privsep.sysusers" \
    "$prefix/lib/sysusers.d/zt-privsep.conf"
check "tmpfiles.d/zt-privsep.conf" cmp -s \
    "$ZT_SOURCE_ROOT/systemd/zt-privsep.tmpfiles" \
    "$prefix/lib/tmpfiles.d/zt-privsep.conf"

man=$prefix/share/man
for b in "$prefix"/sbin/zt-* "$prefix"/bin/zt-*; do
	n=$(basename "$b")
	case $b in */sbin/*) page=$man/man8/$n.8 ;; *) page=$man/man1/$n.1 ;; esac
	check "$n has a manual page" test -f "$page"
	[ -f "$page" ] || continue
	check "$n(8/1): PRIVILEGES section" grep -q '^\.Sh PRIVILEGES$' "$page"
	check "$n: no unreplaced placeholder" \
	    sh -c "! grep -E '@[A-Z]+@|%%[A-Z]+%%' '$page'"
	if command -v groff >/dev/null; then
		# line adjustment warnings are layout, not errors
		check "$n: groff -mdoc reads it cleanly" sh -c \
		    "groff -mdoc -ww -z -K utf8 '$page' 2>&1 |
		    grep -v 'cannot adjust' | (! grep .)"
	fi
done
# every command of the table is in zt-ctl(1)
"$ctl" --commands | cut -f1 >"$tmp/commands"
check "zt-ctl --commands lists commands" test -s "$tmp/commands"
while read -r c; do
	check "zt-ctl(1) documents '$c'" grep -q "^\.It Cm $c\( Ar\|$\)" \
	    "$man/man1/zt-ctl.1"
done <"$tmp/commands"

comp=$prefix/share/bash-completion/completions/zt-ctl
check "bash completion installed" test -f "$comp"
if command -v bash >/dev/null && [ -f "$comp" ]; then
	check "completion parses" bash -n "$comp"
	complete_words() {	# complete_words WORD...: what <TAB> offers
		bash -c '. "$1"; shift; COMP_WORDS=(zt-ctl "$@")
		    COMP_CWORD=$#; _zt_ctl; echo "${COMPREPLY[*]}"' sh \
		    "$comp" "$@"
	}
	check "completes 'sand' to sandbox" \
	    test "$(complete_words sand)" = sandbox
	check "completes 'sandbox ' to show verify" \
	    test "$(complete_words sandbox '')" = "show verify"
	check "completes 'controller m' to member" \
	    test "$(complete_words -j controller m)" = member
	check "completes after -R dir" \
	    test "$(complete_words -R /run st)" = status
	# every top-level command is offered at the first word
	first=$(complete_words '')
	for c in $(cut -d' ' -f1 "$tmp/commands" | sort -u); do
		case " $first " in
		*" $c "*) ;;
		*) fail "completion does not offer '$c'" ;;
		esac
	done
fi

echo "$checks checks, $failed failed"
[ "$failed" = 0 ]
