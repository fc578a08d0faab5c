#!/usr/bin/env bash
# Usage: scripts/setup.sh
#
# Installs the Debian 12 packages that building, testing and running bfm need (compiler tool
# chain, Boost 1.81, gRPC/protobuf, libpq, MariaDB Connector/C, spdlog/fmt, GoogleTest, Google
# Benchmark, PostgreSQL 15 server and client, curl; jq and wrk for bench). Needs
# root, or sudo when run as another user.
#
# - When every package is already installed it returns at once (no apt call, well under 1 s).
# - `apt-get update` runs only when the package lists are missing or older than a day, or after
#   a first install attempt failed (then the install is retried once).
# - Never add libboost-dev / libboost-all-dev: they are Boost 1.74 and conflict with 1.81
#   (`apt-get -y` would silently remove the 1.81 packages). See shared/TOOLCHAIN.md section 2.
set -euo pipefail

PACKAGES=(
  # build tool chain
  g++ cmake ninja-build ccache pkg-config
  # libraries
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-program-options1.81-dev
  libpq-dev libmariadb-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libspdlog-dev libfmt-dev libssl-dev
  # tests and benchmarks (grpc-proto: the reflection and health protos of the gRPC e2e probe)
  libgtest-dev libgmock-dev libbenchmark-dev grpc-proto
  # fuzzing (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes
  clang-14 libclang-rt-14-dev
  # servers and clients used by scripts/test.sh and scripts/run.sh
  postgresql-15 postgresql-client-15 curl ca-certificates
  # bench/: JSON handling, HTTP load generator
  jq wrk
)

APT_LISTS=/var/lib/apt/lists
UPDATE_STAMP=$APT_LISTS/.bfm-update-stamp   # touched after each successful update of ours
MAX_LIST_AGE_MIN=1440                          # one day

start=$EPOCHREALTIME

# Seconds since $start, with two decimals.
elapsed() {
  local ms=$(((${EPOCHREALTIME/[.,]/} - ${start/[.,]/}) / 1000))
  printf '%d.%02d' $((ms / 1000)) $((ms % 1000 / 10))
}

# Packages of the list that dpkg does not report as installed.
missing_packages() {
  local installed
  installed=$(dpkg-query -W -f='${db:Status-Status} ${Package}\n' "${PACKAGES[@]}" 2>/dev/null \
                | awk '$1 == "installed" { print $2 }' || true)
  local p
  for p in "${PACKAGES[@]}"; do
    grep -qxF -- "$p" <<<"$installed" || printf '%s\n' "$p"
  done
}

mapfile -t missing < <(missing_packages)
if ((${#missing[@]} == 0)); then
  echo "setup: all ${#PACKAGES[@]} packages already installed ($(elapsed) s)"
  exit 0
fi
echo "setup: installing ${#missing[@]} missing package(s): ${missing[*]}"

# Root, or sudo for the apt calls.
SUDO=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "setup: must run as root (or with sudo available) to install packages" >&2
    exit 1
  fi
fi

apt_get() {
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 "$@"
}

lists_are_fresh() {
  [[ -d $APT_LISTS ]] || return 1
  # Any package index or our stamp modified within the last day counts as fresh.
  find "$APT_LISTS" -maxdepth 1 -type f \
       \( -name '*_Packages*' -o -name '*InRelease' -o -name '.bfm-update-stamp' \) \
       -mmin "-$MAX_LIST_AGE_MIN" -print -quit 2>/dev/null | grep -q .
}

apt_update() {
  echo "setup: apt-get update"
  apt_get update
  "${SUDO[@]}" touch "$UPDATE_STAMP" || true
}

install_missing() {
  apt_get install -y --no-install-recommends "${missing[@]}"
}

updated=0
if ! lists_are_fresh; then
  apt_update
  updated=1
fi

if ! install_missing; then
  if ((updated)); then
    echo "setup: apt-get install failed" >&2
    exit 1
  fi
  echo "setup: install failed; refreshing the package lists and retrying once" >&2
  apt_update
  install_missing
fi

mapfile -t still_missing < <(missing_packages)
if ((${#still_missing[@]} > 0)); then
  echo "setup: still not installed after apt-get: ${still_missing[*]}" >&2
  exit 1
fi
echo "setup: done ($(elapsed) s)"
