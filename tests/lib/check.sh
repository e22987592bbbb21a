# Shell test support, sourced by the zt-ctl tests (tests/unit/test-ctl*.sh):
# counted checks, a scratch folder $tmp removed on exit, and the totals.
# The last command's stderr is kept in $tmp/err, its stdout in $out.
checks=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

expect() {	# expect STATUS DESCRIPTION -- command...
	want=$1 what=$2
	shift 3
	out=$("$@" 2>"$tmp/err") ; got=$?
	checks=$((checks + 1))
	[ "$got" = "$want" ] || fail "$what: exit $got, wanted $want" \
	    "($(cat "$tmp/err"))"
}

ok() {	# ok DESCRIPTION command...
	what=$1
	shift
	checks=$((checks + 1))
	"$@" || fail "$what"
}

one_line_error() {	# the last command's stderr is exactly one line
	checks=$((checks + 1))
	n=$(wc -l <"$tmp/err")
	if [ "$n" != 1 ] || ! grep -q '^zt-ctl: ' "$tmp/err"; then
		fail "$1: stderr is not one 'zt-ctl:' line:"
		cat "$tmp/err"
	fi
}

check_end() {	# prints the totals; the status is the script's result
	echo "$checks checks, $failed failed"
	[ "$failed" = 0 ]
}
