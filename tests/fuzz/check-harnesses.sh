#!/bin/sh
# check-harnesses.sh DIR NAME...: every fuzz-*.c in DIR is listed in
# meson.build and has a corpus folder; every listed name has a source.
set -eu
dir=$1; shift
rc=0
for f in "$dir"/fuzz-*.c; do
	[ -e "$f" ] || continue
	n=$(basename "$f" .c); n=${n#fuzz-}
	found=0
	for l in "$@"; do [ "$l" = "$n" ] && found=1; done
	[ $found = 1 ] || { echo "harness $n is not listed in meson.build"; rc=1; }
	[ -d "$dir/corpus/$n" ] || { echo "harness $n has no corpus folder"; rc=1; }
done
for l in "$@"; do
	[ -f "$dir/fuzz-$l.c" ] || { echo "listed harness $l has no source"; rc=1; }
done
[ $# -gt 0 ] || { echo "no fuzz harnesses listed"; rc=1; }
exit $rc
