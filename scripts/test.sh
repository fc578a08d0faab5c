#!/usr/bin/env bash
# Usage: scripts/test.sh [CTEST_ARGS...]
#
# THE test command (README; .ci/run calls exactly this). On a new Debian 12 machine it:
#   1. installs the packages (scripts/setup.sh; a no-op when they are there),
#   2. builds into ./build (scripts/build.sh; -DBFM_WERROR=ON when CI=true),
#   3. starts a private PostgreSQL 15 on a free loopback port in a temporary directory and
#      exports BFM_TEST_PG_HOST / _PORT / _USER / _PASSWORD (tests create their own databases),
#   4. runs `ctest --test-dir build --output-on-failure -j2 [CTEST_ARGS...]`,
#   5. when ctest passed, fuzzes the parsers: scripts/fuzz.sh "$BFM_FUZZ_SECONDS" (seconds per
#      target, default 10; BFM_FUZZ_SECONDS=0 skips it),
#   6. always stops that server and removes the directory, prints "tests: N s" and exits with
#      ctest's status (or the fuzzer's, when ctest passed and a fuzz target failed). A run that
#      selects no test fails (ctest --no-tests=error).
# Examples:
#   scripts/test.sh                 everything
#   scripts/test.sh -L unit         only the unit tier (labels: unit, integration, e2e)
#   scripts/test.sh -R Loader       tests whose name matches a regex
#   BFM_FUZZ_SECONDS=0 scripts/test.sh -L unit    unit tests without the fuzzing step
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD_DIR=build
start=$SECONDS

bash scripts/setup.sh
bash scripts/build.sh "$BUILD_DIR"

# Under /tmp (not $TMPDIR): the server runs as user postgres when we are root and must reach it.
PG_DIR=$(mktemp -d /tmp/bfm-test-pg.XXXXXX)
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  bash "$ROOT/scripts/pg-local.sh" stop "$PG_DIR" >/dev/null 2>&1 ||
    echo "test: could not stop the PostgreSQL server in $PG_DIR" >&2
  rm -rf -- "$PG_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash scripts/pg-local.sh start "$PG_DIR"
export BFM_TEST_PG_HOST=127.0.0.1
BFM_TEST_PG_PORT=$(sed -n 's/^PGPORT=//p' "$PG_DIR/env")
BFM_TEST_PG_USER=$(sed -n 's/^PGUSER=//p' "$PG_DIR/env")
BFM_TEST_PG_PASSWORD=$(sed -n 's/^PGPASSWORD=//p' "$PG_DIR/env")
export BFM_TEST_PG_PORT BFM_TEST_PG_USER BFM_TEST_PG_PASSWORD

tests_start=$SECONDS
rc=0
ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j2 "$@" || rc=$?
echo "tests: $((SECONDS - tests_start)) s (total with setup and build: $((SECONDS - start)) s)"

fuzz_seconds=${BFM_FUZZ_SECONDS:-10}
if ((rc == 0)) && [[ $fuzz_seconds != 0 ]]; then
  bash scripts/fuzz.sh "$fuzz_seconds" || rc=$?
  echo "tests and fuzzing: $((SECONDS - start)) s"
fi
exit "$rc"
