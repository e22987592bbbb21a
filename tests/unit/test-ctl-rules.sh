#!/bin/sh
# zt-ctl rules compile: rule text in, the controller's JSON out; errors
# as "zt-ctl: <file>:<line>: <message>" with exit 1, bad usage exit 2.
ctl=$1
. "$(dirname "$0")/../lib/check.sh"

same_json() {	# same_json DESCRIPTION EXPECTED-JSON: $out holds the output
	checks=$((checks + 1))
	printf '%s' "$out" | python3 -c '
import json, sys
got = json.load(sys.stdin)
sys.exit(0 if got == json.loads(sys.argv[1]) else 1)' "$2" ||
	    fail "$1: output differs: $out"
}

error_line() {	# error_line DESCRIPTION PATTERN: one stderr line matching
	checks=$((checks + 1))
	n=$(wc -l <"$tmp/err")
	if [ "$n" != 1 ] || ! grep -q "$2" "$tmp/err"; then
		fail "$1: stderr is not one line matching '$2':"
		cat "$tmp/err"
	fi
}

cat >"$tmp/ok.rules" <<'RULES'
# ssh for holders of the capability, same-department traffic for all
tag department id 1000 enum 100 sales enum 200 eng;
cap ssh id 7 default
	accept ipprotocol tcp and dport 22;
;
drop not ethertype ipv4 and not ethertype arp;
accept tdiff department 0;
RULES
compiled='{"rules":[
 {"type":"MATCH_ETHERTYPE","not":true,"or":false,"etherType":2048},
 {"type":"MATCH_ETHERTYPE","not":true,"or":false,"etherType":2054},
 {"type":"ACTION_DROP"},
 {"type":"MATCH_TAGS_DIFFERENCE","not":false,"or":false,"id":1000,"value":0},
 {"type":"ACTION_ACCEPT"}],
 "capabilities":[{"id":7,"default":true,"rules":[
 {"type":"MATCH_IP_PROTOCOL","not":false,"or":false,"ipProtocol":6},
 {"type":"MATCH_IP_DEST_PORT_RANGE","not":false,"or":false,"start":22,"end":22},
 {"type":"ACTION_ACCEPT"}]}],
 "tags":[{"id":1000,"default":null}]}'

expect 0 "compile" -- "$ctl" rules compile "$tmp/ok.rules"
same_json "compile" "$compiled"
expect 0 "compile with -j" -- "$ctl" -j rules compile "$tmp/ok.rules"
same_json "compile with -j" "$compiled"

printf 'drop\n\tnot ethertype ipv4\n\tand bogus 5\n;\n' >"$tmp/bad.rules"
expect 1 "unknown match" -- "$ctl" rules compile "$tmp/bad.rules"
error_line "unknown match" "^zt-ctl: $tmp/bad.rules:3: .*bogus"
[ -z "$out" ] || fail "unknown match: output on stdout: $out"

printf 'accept;\nbreak ztsrc 12345;\n' >"$tmp/bad2.rules"
expect 1 "bad address" -- "$ctl" rules compile "$tmp/bad2.rules"
error_line "bad address" "^zt-ctl: $tmp/bad2.rules:2: "

head -c 300000 /dev/zero | tr '\0' ' ' >"$tmp/big.rules"
expect 1 "too large" -- "$ctl" rules compile "$tmp/big.rules"
error_line "too large" "^zt-ctl: $tmp/big.rules: "

expect 1 "missing file" -- "$ctl" rules compile "$tmp/nonexistent"
error_line "missing file" "^zt-ctl: $tmp/nonexistent: "
expect 2 "no file" -- "$ctl" rules compile
error_line "no file" "^zt-ctl: "
expect 2 "two files" -- "$ctl" rules compile "$tmp/ok.rules" "$tmp/ok.rules"
error_line "two files" "^zt-ctl: "
expect 2 "no subcommand" -- "$ctl" rules
error_line "no subcommand" "^zt-ctl: "
expect 2 "unknown subcommand" -- "$ctl" rules frob
error_line "unknown subcommand" "^zt-ctl: "
expect 0 "help rules" -- "$ctl" help rules
echo "$out" | grep -q 'rules compile' || fail "help rules: $out"

check_end
