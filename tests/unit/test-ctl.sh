#!/bin/sh
# zt-ctl's command-line conventions: help, version, -j, and one-line errors
# with exit status 2 for unknown commands and bad arguments.
ctl=$1
checks=0 failed=0

expect() {	# expect STATUS DESCRIPTION -- command...
	want=$1 what=$2
	shift 3
	out=$("$@" 2>"$tmp/err") ; got=$?
	checks=$((checks + 1))
	if [ "$got" != "$want" ]; then
		echo "FAIL: $what: exit $got, wanted $want"
		failed=$((failed + 1))
	fi
}

one_line_error() {	# the last command's stderr is exactly one line
	checks=$((checks + 1))
	n=$(wc -l <"$tmp/err")
	if [ "$n" != 1 ] || ! grep -q '^zt-ctl: ' "$tmp/err"; then
		echo "FAIL: $1: stderr is not one 'zt-ctl:' line:"
		cat "$tmp/err"
		failed=$((failed + 1))
	fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect 0 "help" -- "$ctl" help
echo "$out" | grep -q '^  version' || { echo "FAIL: help lists no version"; failed=$((failed + 1)); }
expect 0 "--version" -- "$ctl" --version
echo "$out" | grep -q '^zt-ctl [0-9]' || { echo "FAIL: --version: $out"; failed=$((failed + 1)); }
expect 0 "-j version" -- "$ctl" -j version
echo "$out" | python3 -c 'import json,sys; json.load(sys.stdin)' ||
    { echo "FAIL: -j version is not JSON: $out"; failed=$((failed + 1)); }
expect 0 "help identity" -- "$ctl" help identity
expect 2 "no command" -- "$ctl"
expect 2 "unknown command" -- "$ctl" frobnicate
one_line_error "unknown command"
expect 2 "unknown option" -- "$ctl" -x version
one_line_error "unknown option"
expect 2 "extra argument" -- "$ctl" version extra
one_line_error "extra argument"
expect 2 "help of unknown" -- "$ctl" help frobnicate
one_line_error "help of unknown"
expect 2 "identity without subcommand" -- "$ctl" identity
one_line_error "identity without subcommand"
expect 2 "unknown identity subcommand" -- "$ctl" identity frob
one_line_error "unknown identity subcommand"

echo "$checks checks, $failed failed"
[ "$failed" = 0 ]
