#!/bin/sh
# zt-ctl's command-line conventions: help, version, -j, and one-line errors
# with exit status 2 for unknown commands and bad arguments.
ctl=$1
. "$(dirname "$0")/../lib/check.sh"

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

check_end
