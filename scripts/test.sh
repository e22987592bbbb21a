#!/bin/sh
# The whole test suite: a normal (gcc) build running the unit and fuzz
# (corpus replay) suites, then an ASan+UBSan (clang, libFuzzer) build running
# unit, fuzz (10 s smoke runs) and netns.  Run as root on Debian 12.
# Golden vectors are read from ../shared/vectors (ZT_VECTORS to override).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
vectors=${ZT_VECTORS:-$top/../shared/vectors}
jobs=$(nproc)

sh scripts/deps.sh
if [ "$(id -u)" != 0 ]; then
	echo "test.sh: run as root (sandbox, uid and netns tests need it)" >&2
	exit 1
fi
sh tests/setup-users.sh

rm -rf build-ci
meson setup build-ci/normal -Dvectors_dir="$vectors" >/dev/null
ninja -C build-ci/normal
CC=clang meson setup build-ci/asan -Dvectors_dir="$vectors" \
    -Db_sanitize=address,undefined -Db_lundef=false -Dfuzzing=true \
    >/dev/null
ninja -C build-ci/asan

rc=0
meson test -C build-ci/normal --num-processes "$jobs" --print-errorlogs \
    --suite unit --suite fuzz || rc=1
meson test -C build-ci/asan --num-processes "$jobs" --print-errorlogs \
    --suite unit --suite fuzz --suite netns || rc=1

python3 - build-ci/normal build-ci/asan <<'PY'
import json, sys
passed = failed = skipped = 0
for d in sys.argv[1:]:
    with open(d + "/meson-logs/testlog.json") as f:
        for line in f:
            r = json.loads(line)["result"]
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped += 1
            else:
                failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $rc
