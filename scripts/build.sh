#!/usr/bin/env bash
# Usage: scripts/build.sh [BUILD_DIR [TARGET...]]     (default BUILD_DIR: build)
#
# Configures (CMake + Ninja, RelWithDebInfo) and builds bfm, its tests and benchmarks, or only
# the given Ninja targets (scripts/run.sh builds just `bfm`).
#   CI=true            adds -DBFM_WERROR=ON (warnings are errors); otherwise -DBFM_WERROR=OFF
#   BFM_CMAKE_ARGS     extra arguments for the configure step, e.g. "-DBFM_BUILD_BENCH=OFF"
#   CCACHE_DIR         compiler cache; default ~/.cache/ccache (ccache's own default, shared
#                      with other builds), or .cache/ccache in the repository when HOME is not
#                      writable
# Prints "build: N s" at the end. Run scripts/setup.sh first on a new machine.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD_DIR=${1:-build}
targets=("${@:2}")
start=$SECONDS
report_failure() {
  local rc=$?
  if ((rc != 0)); then echo "build: FAILED (exit $rc) after $((SECONDS - start)) s" >&2; fi
}
trap report_failure EXIT

if [[ -z ${CCACHE_DIR:-} ]]; then
  if [[ -n ${HOME:-} ]] && mkdir -p "$HOME/.cache/ccache" 2>/dev/null \
       && [[ -w $HOME/.cache/ccache ]]; then
    CCACHE_DIR=$HOME/.cache/ccache
  else
    CCACHE_DIR=$ROOT/.cache/ccache   # ignored by git (.gitignore: /.cache/)
  fi
fi
export CCACHE_DIR
mkdir -p "$CCACHE_DIR"

cmake_args=(-S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo)
case ${CI:-} in
  '' | 0 | false | FALSE | no) cmake_args+=(-DBFM_WERROR=OFF) ;;  # explicit: the cache keeps it
  *) cmake_args+=(-DBFM_WERROR=ON) ;;
esac
if [[ -n ${BFM_CMAKE_ARGS:-} ]]; then
  read -r -a extra <<<"$BFM_CMAKE_ARGS"
  cmake_args+=("${extra[@]}")
fi

# A build directory configured earlier with another generator cannot be reused as it is.
cache=$BUILD_DIR/CMakeCache.txt
if [[ -f $cache ]] && ! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' "$cache"; then
  echo "build: $BUILD_DIR was configured with another generator; reconfiguring from scratch"
  cmake_args+=(--fresh)
fi

echo "build: cmake ${cmake_args[*]}"
cmake "${cmake_args[@]}"
ninja -C "$BUILD_DIR" -j"$(nproc)" "${targets[@]}"

echo "build: $((SECONDS - start)) s"
