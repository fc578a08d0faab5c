#!/usr/bin/env bash
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 10; 0 = only replay the corpus)
#
# Builds the libFuzzer targets of tests/fuzz with clang-14 (a standalone CMake project in
# ./build-fuzz, Ninja, ccache when installed) and runs each one for SECONDS_PER_TARGET seconds
# with ASan and UBSan. Each target's corpus lives in build-fuzz/corpus/<target>; it keeps what
# earlier runs found and is topped up on every run with the example migrations of config/sfm
# and the hand-written seeds of tests/fuzz/seeds/<target>.
#
# Prints one line per target (runs, seconds, corpus size) and exits non-zero when a target
# crashed, leaked, hit a sanitizer report or broke an invariant. The input that did it is kept
# in build-fuzz/artifacts/<target>/ and its log in build-fuzz/logs/<target>.log; replay it with
#   build-fuzz/<target> build-fuzz/artifacts/<target>/crash-...
#
# Environment: BFM_FUZZ_JOBS (build parallelism, default 2), CC/CXX (default clang-14/clang++-14).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SECONDS_PER_TARGET=${1:-10}
if ! [[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]]; then
  echo "fuzz: SECONDS_PER_TARGET must be a whole number of seconds, got '$SECONDS_PER_TARGET'" >&2
  exit 2
fi
BUILD_DIR=$ROOT/build-fuzz
TARGETS=(fuzz_loader_paired fuzz_loader_single_file fuzz_go_stub fuzz_json_migration fuzz_template
  fuzz_sql_statements)
declare -A DICTS=(
  [fuzz_loader_paired]=loader [fuzz_loader_single_file]=loader [fuzz_go_stub]=go_stub
  [fuzz_json_migration]=json_migration [fuzz_template]=template [fuzz_sql_statements]=sql_statements
)
start=$SECONDS

export CC=${CC:-clang-14} CXX=${CXX:-clang++-14}
if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "fuzz: $CXX not found; install clang-14 and libclang-rt-14-dev (scripts/setup.sh)" >&2
  exit 1
fi

build_start=$SECONDS
mkdir -p "$BUILD_DIR/logs"
cmake -S tests/fuzz -B "$BUILD_DIR" -G Ninja >"$BUILD_DIR/logs/configure.log" 2>&1 || {
  cat "$BUILD_DIR/logs/configure.log" >&2
  exit 1
}
ninja -C "$BUILD_DIR" -j "${BFM_FUZZ_JOBS:-2}" bfm_fuzz_all
echo "fuzz: build $((SECONDS - build_start)) s"

failed=()
for target in "${TARGETS[@]}"; do
  corpus=$BUILD_DIR/corpus/$target
  artifacts=$BUILD_DIR/artifacts/$target
  log=$BUILD_DIR/logs/$target.log
  mkdir -p "$corpus" "$artifacts"
  # Seeds: copied under a prefixed name so that they never overwrite libFuzzer's own files.
  while IFS= read -r -d '' f; do
    rel=${f#config/sfm/}
    cp -f -- "$f" "$corpus/seed-sfm-${rel//\//_}"
  done < <(find config/sfm -type f \( -name '*.sql' -o -name '*.json' -o -name '*.go' \) -print0)
  if [[ -d tests/fuzz/seeds/$target ]]; then
    while IFS= read -r -d '' f; do
      cp -f -- "$f" "$corpus/seed-${f##*/}"
    done < <(find "tests/fuzz/seeds/$target" -type f -print0)
  fi

  args=(-timeout=5 -rss_limit_mb=2048 -print_final_stats=1 "-artifact_prefix=$artifacts/")
  if ((SECONDS_PER_TARGET > 0)); then
    args+=("-max_total_time=$SECONDS_PER_TARGET")
  else
    args+=(-runs=0)
  fi
  [[ -f tests/fuzz/dict/${DICTS[$target]}.dict ]] && args+=("-dict=tests/fuzz/dict/${DICTS[$target]}.dict")

  rc=0
  target_start=$SECONDS
  "$BUILD_DIR/$target" "${args[@]}" "$corpus" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  took=$((SECONDS - target_start))
  files=$(find "$corpus" -type f | wc -l)
  if ((rc == 0)); then
    echo "fuzz: $target: ok, ${runs:-?} runs in $took s (${secs:-?}/s), corpus $files files"
  else
    failed+=("$target")
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    echo "fuzz: $target: FAILED (exit $rc) after ${runs:-?} runs in $took s; input: ${artifact:-see log}; log: $log"
    # The sanitizer's or invariant's own words, which say what broke and where.
    grep -m 12 -E 'ERROR: |SUMMARY: |fuzz invariant failed|runtime error|^ *#[0-9]+ .* in bfm::' "$log" |
      sed 's/^/fuzz:   /' || true
  fi
done

echo "fuzz: total $((SECONDS - start)) s"
if ((${#failed[@]} > 0)); then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
