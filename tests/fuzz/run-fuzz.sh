#!/bin/sh
# run-fuzz.sh HARNESS CORPUS_DIR SECONDS
# SECONDS > 0: libFuzzer smoke run; new inputs go to a scratch folder, a
# crash input is left in the build folder to be added to CORPUS_DIR.
# SECONDS = 0: the harness is a replay binary; it runs every corpus file.
set -eu
harness=$1 corpus=$2 secs=$3
[ -d "$corpus" ] || { echo "missing corpus folder $corpus" >&2; exit 1; }
if [ "$secs" = 0 ]; then
	exec "$harness" "$corpus"
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
artifacts=$(dirname "$harness")/fuzz-artifacts/
mkdir -p "$artifacts"
# the corpus first, replayed as regression cases, then a timed run
"$harness" -runs=0 -error_exitcode=1 "$corpus"
"$harness" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -error_exitcode=1 -timeout_exitcode=1 \
    -print_final_stats=1 -artifact_prefix="$artifacts" "$scratch" "$corpus"
