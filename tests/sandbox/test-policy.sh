#!/bin/sh
# A daemon's --print-policy against its golden file.  The policy is
# reviewed like code: an intended change regenerates the file in the
# same commit, with `ninja -C <build> update-policy-golden` (this script
# with --update).
# usage: test-policy.sh BINARY GOLDEN STATEDIR [--update]
set -u
bin=$1 golden=$2 statedir=$3 update=${4:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! "$bin" --print-policy >"$tmp/raw" 2>"$tmp/err"; then
	echo "FAIL: $bin --print-policy: $(cat "$tmp/err")"
	exit 1
fi
# this build's state directory stands where the golden file has /var's
sed "s|\"$statedir/|\"/var/lib/zt-privsep/|" "$tmp/raw" >"$tmp/policy"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/policy" ||
    { echo "FAIL: --print-policy is not JSON"; exit 1; }
if [ "$update" = --update ]; then
	cp "$tmp/policy" "$golden" && echo "updated $golden"
	exit
fi
if ! diff -u "$golden" "$tmp/policy"; then
	echo "FAIL: $(basename "$bin") --print-policy differs from $golden"
	exit 1
fi
echo "$(basename "$bin"): policy matches $(basename "$golden")"
