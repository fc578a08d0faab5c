#!/usr/bin/env bash
# Usage: scripts/run.sh
#
# THE run command (README): the original BFM guide's walkthrough, end to end, on this machine.
#   1. installs packages and builds bfm (scripts/setup.sh, scripts/build.sh build bfm),
#   2. starts a private PostgreSQL 15 in ./.bfm/pg (kept between runs; /var/tmp/bfm-pg-* when
#      the postgres user cannot reach the repository) with the databases
#      migration_state (bfm's state) and app (connections core, guard and organization),
#   3. starts `build/bfm serve` with BFM_CONFIG=config/example.env plus the private cluster's
#      address, a port and a token from the environment (log: .bfm/bfm.log),
#   4. sends the guide's three POST /api/v1/migrate calls (core, guard, and one environment's
#      tenant schema cli_environment_id_here), then the core call again (all skipped),
#   5. runs the guide's verification queries with psql,
#   6. on a terminal (and CI unset) keeps bfm running until Ctrl-C; otherwise stops.
# bfm and the PostgreSQL server are always stopped on exit; the data in .bfm/pg stays.
# Exits non-zero when bfm does not come up, a call does not answer 200, or the repeated call
# applied something.
#
# Environment:
#   BFM_HTTP_PORT   HTTP port (default 7070; a free one is picked when 7070 is taken and the
#                   variable is not set); BFM_GRPC_PORT likewise (default 9090)
#   BFM_API_TOKEN   API token (default: a random one, printed)
#   PG_LOCAL_PASSWORD  password of the private cluster's postgres role (see pg-local.sh)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

STATE_DIR=$ROOT/.bfm
PG_DIR=$STATE_DIR/pg
BFM_LOG=$STATE_DIR/bfm.log
BFM_BIN=$ROOT/build/bfm
CONFIG_FILE=$ROOT/config/example.env
BFM_PID=
RESPONSE=

say() { printf '\n==> %s\n' "$*"; }
pg() { bash "$ROOT/scripts/pg-local.sh" "$@"; }

is_ci() {
  case ${CI:-} in '' | 0 | false | FALSE | no) return 1 ;; *) return 0 ;; esac
}

port_in_use() {
  local port=$1
  if command -v ss >/dev/null 2>&1 && [[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]]; then
    return 0
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

free_port() {   # free_port DEFAULT: DEFAULT when free, else a random free port
  local port=$1 i
  for ((i = 0; i < 200; i++)); do
    port_in_use "$port" || { echo "$port"; return 0; }
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
  done
  echo "run: no free TCP port found" >&2
  return 1
}

pretty_json() {   # pretty_json FILE
  if command -v jq >/dev/null 2>&1 && jq . "$1" 2>/dev/null; then
    return 0
  fi
  if command -v python3 >/dev/null 2>&1 && python3 -m json.tool "$1" 2>/dev/null; then
    return 0
  fi
  cat "$1"
  echo
}

server_log_tail() {
  echo "---- last lines of $BFM_LOG ----" >&2
  tail -n 40 "$BFM_LOG" >&2 2>/dev/null || true
  echo "--------------------------------" >&2
}

stop_bfm() {
  [[ -n $BFM_PID ]] || return 0
  if kill -0 "$BFM_PID" 2>/dev/null; then
    kill -TERM "$BFM_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 150; i++)); do
      kill -0 "$BFM_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$BFM_PID" 2>/dev/null; then
      echo "run: bfm did not stop within 15 s; killing it" >&2
      kill -KILL "$BFM_PID" 2>/dev/null || true
    fi
  fi
  wait "$BFM_PID" 2>/dev/null || true
  BFM_PID=
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -z $RESPONSE ]] || rm -f "$RESPONSE"
  stop_bfm
  pg stop "$PG_DIR" >/dev/null 2>&1 || echo "run: could not stop PostgreSQL in $PG_DIR" >&2
  exit "$rc"
}

# --- 1. packages and build ------------------------------------------------------------------
bash scripts/setup.sh
bash scripts/build.sh build bfm   # only the server: tests and benchmarks are not needed here
[[ -x $BFM_BIN ]] || { echo "run: $BFM_BIN was not built" >&2; exit 1; }

# --- 2. private PostgreSQL ---------------------------------------------------------------------
mkdir -p "$STATE_DIR"
# As root the server runs as user postgres, which must be able to reach .bfm (not so under
# /root, for example): then keep the cluster under /var/tmp instead.
if ((EUID == 0)) && ! runuser -u postgres -- test -x "$STATE_DIR" 2>/dev/null; then
  PG_DIR=/var/tmp/bfm-pg-$(printf '%s' "$ROOT" | md5sum | cut -c1-12)
  echo "run: user postgres cannot reach $STATE_DIR; the cluster lives in $PG_DIR"
fi
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg start "$PG_DIR"
PGPORT=$(sed -n 's/^PGPORT=//p' "$PG_DIR/env")
PGUSER=$(sed -n 's/^PGUSER=//p' "$PG_DIR/env")
PGPASSWORD=$(sed -n 's/^PGPASSWORD=//p' "$PG_DIR/env")
for db in migration_state app; do
  if [[ $(pg psql "$PG_DIR" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'") != 1 ]]; then
    pg psql "$PG_DIR" -qc "CREATE DATABASE $db"
    echo "run: created database $db"
  fi
done

# --- 3. bfm serve ------------------------------------------------------------------------------
HTTP_PORT=${BFM_HTTP_PORT:-$(free_port 7070)}
GRPC_PORT=${BFM_GRPC_PORT:-$(free_port 9090)}
if [[ -z ${BFM_API_TOKEN:-} ]]; then
  BFM_API_TOKEN=$(openssl rand -hex 16 2>/dev/null || od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
fi
export BFM_CONFIG=$CONFIG_FILE
export BFM_HTTP_PORT=$HTTP_PORT BFM_GRPC_PORT=$GRPC_PORT BFM_API_TOKEN
for prefix in BFM_STATE CORE GUARD ORGANIZATION; do
  export "${prefix}_DB_HOST=127.0.0.1" "${prefix}_DB_PORT=$PGPORT" \
         "${prefix}_DB_USERNAME=$PGUSER" "${prefix}_DB_PASSWORD=$PGPASSWORD"
done
STATE_SCHEMA=${BFM_STATE_SCHEMA:-$(sed -n 's/^BFM_STATE_SCHEMA=//p' "$CONFIG_FILE")}
STATE_SCHEMA=${STATE_SCHEMA:-public}

say "starting bfm $("$BFM_BIN" version 2>/dev/null || true) on http://127.0.0.1:$HTTP_PORT (gRPC $GRPC_PORT, log $BFM_LOG)"
"$BFM_BIN" serve >"$BFM_LOG" 2>&1 </dev/null &
BFM_PID=$!

BASE=http://127.0.0.1:$HTTP_PORT
up=0
for ((i = 0; i < 600; i++)); do   # up to 60 s: the first start creates bfm's state tables
  if ! kill -0 "$BFM_PID" 2>/dev/null; then
    wait "$BFM_PID" && status=0 || status=$?
    BFM_PID=
    echo "run: bfm exited during start-up (status $status)" >&2
    server_log_tail
    exit 1
  fi
  if curl -fsS -o /dev/null --max-time 2 "$BASE/health" 2>/dev/null; then
    up=1
    break
  fi
  sleep 0.1
done
if ((!up)); then
  echo "run: bfm did not answer $BASE/health within 60 s" >&2
  server_log_tail
  exit 1
fi
echo "run: bfm is up: $(curl -fsS --max-time 2 "$BASE/health")"

# --- 4. the guide's calls ----------------------------------------------------------------------
failures=0
RESPONSE=$(mktemp -t bfm-run-response.XXXXXX)

# migrate TITLE BODY: POST /api/v1/migrate exactly as the guide does; the answer is in $RESPONSE.
migrate() {
  local title=$1 body=$2 code
  say "$title"
  # shellcheck disable=SC2016  # print the command as the guide writes it, $BFM_API_TOKEN unexpanded
  printf 'curl -X POST %s/api/v1/migrate \\\n  -H "Authorization: Bearer $BFM_API_TOKEN" \\\n  -H "Content-Type: application/json" \\\n  -d %s\n' \
    "$BASE" "'$body'"
  code=$(curl -sS -o "$RESPONSE" -w '%{http_code}' --max-time 300 -X POST "$BASE/api/v1/migrate" \
           -H "Authorization: Bearer $BFM_API_TOKEN" \
           -H "Content-Type: application/json" \
           -d "$body") || true
  echo "HTTP $code"
  pretty_json "$RESPONSE"
  if [[ $code != 200 ]]; then
    echo "run: expected HTTP 200, got $code" >&2
    failures=$((failures + 1))
    return 1
  fi
}

CORE_BODY='{
    "target": {
      "backend": "postgresql",
      "schema": "core",
      "connection": "core"
    },
    "connection": "core",
    "schema": "core"
  }'
GUARD_BODY='{
    "target": {
      "backend": "postgresql",
      "schema": "guard",
      "connection": "guard"
    },
    "connection": "guard",
    "schema": "guard"
  }'
ENVIRONMENT_BODY='{
    "target": {
      "backend": "postgresql",
      "connection": "organization"
    },
    "connection": "organization",
    "schema": "cli_environment_id_here",
    "environment": "environment_id_here"
  }'

migrate "Core schema migration" "$CORE_BODY" || true
migrate "Guard schema migration" "$GUARD_BODY" || true
migrate "Environment-specific migration (tenant schema cli_environment_id_here)" "$ENVIRONMENT_BODY" || true
if migrate "Core schema migration again: already applied, so everything is skipped" "$CORE_BODY" &&
   command -v jq >/dev/null 2>&1; then
  counts=$(jq -r '"applied: \(.applied | length), skipped: \(.skipped | length), errors: \(.errors | length)"' \
             "$RESPONSE" 2>/dev/null || echo "unreadable answer")
  echo "run: repeated call: $counts"
  if [[ $(jq -r '.applied | length' "$RESPONSE" 2>/dev/null) != 0 ]]; then
    echo "run: the repeated call applied migrations again (expected all skipped)" >&2
    failures=$((failures + 1))
  fi
fi

# --- 5. the guide's verification -------------------------------------------------------------
say "Verification: migration state (database migration_state, schema $STATE_SCHEMA)"
echo "SELECT migration_id, connection, schema, status, applied_at FROM bfm_migrations ORDER BY applied_at DESC;"
pg psql "$PG_DIR" -d migration_state -v ON_ERROR_STOP=1 -q \
   -c "SET search_path TO \"$STATE_SCHEMA\"" \
   -c "SELECT migration_id, connection, schema, status, applied_at FROM bfm_migrations ORDER BY applied_at DESC;" ||
  failures=$((failures + 1))

say "Verification: tables (database app)"
echo "SELECT tablename FROM pg_tables WHERE schemaname = 'core';"
pg psql "$PG_DIR" -d app -v ON_ERROR_STOP=1 \
   -c "SELECT tablename FROM pg_tables WHERE schemaname = 'core';" ||
  failures=$((failures + 1))
pg psql "$PG_DIR" -d app -v ON_ERROR_STOP=1 \
   -c "SELECT schemaname, tablename FROM pg_tables
       WHERE schemaname IN ('guard', 'cli_environment_id_here') ORDER BY 1, 2;" ||
  failures=$((failures + 1))

if ((failures > 0)); then
  echo >&2
  echo "run: $failures step(s) failed" >&2
  server_log_tail
  exit 1
fi
echo
echo "run: walkthrough OK"

# --- 6. keep serving on a terminal -------------------------------------------------------------
if [[ -t 0 ]] && ! is_ci; then
  cat <<EOF

bfm is running on $BASE (gRPC on 127.0.0.1:$GRPC_PORT); log: .bfm/bfm.log
Try, in another terminal:
  export BFM_API_TOKEN=$BFM_API_TOKEN
  curl -s $BASE/health
  curl -s -H "Authorization: Bearer \$BFM_API_TOKEN" $BASE/api/v1/migrations
  curl -s -X POST $BASE/api/v1/migrate -H "Authorization: Bearer \$BFM_API_TOKEN" \\
       -H "Content-Type: application/json" \\
       -d '{"target": {"backend": "postgresql", "connection": "organization"},
            "connection": "organization", "environment": "another_environment"}'
  scripts/pg-local.sh psql $PG_DIR -d app
Press Ctrl-C to stop bfm and PostgreSQL.
EOF
  trap 'echo; echo "run: stopping"; exit 0' INT   # Ctrl-C is the normal way out here
  status=0
  wait "$BFM_PID" || status=$?
  BFM_PID=
  echo "run: bfm exited (status $status)" >&2
  server_log_tail
  exit 1
fi
