# shellcheck shell=bash disable=SC2034  # globals used by the scripts that source this file
# Shared by bench/fanout/run.sh and bench/fanout/load.sh (sourced, not run):
# a private PostgreSQL, the generated migration tree, `bfm serve`, and one timed fan-out request.
#
# Everything lives in one temporary directory ($FO_TMP) that is removed on exit, after bfm and
# PostgreSQL have been stopped (BENCH_KEEP=1 keeps it, e.g. to read bfm.log).

FO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FO_DIR=$FO_ROOT/bench/fanout
FO_MIGRATIONS=$FO_DIR/migrations
FO_CONNECTION=bench                 # the connection name bfm serves the tenants on
FO_TARGET_DB=bench_target           # tenant schemas migrated by bfm
FO_FLOOR_DB=bench_floor             # tenant schemas migrated by plain psql (the floor)
FO_STATE_DB=bench_state             # bfm's state database
FO_POLL_S=${BENCH_POLL_INTERVAL:-0.02}   # GET /api/v1/jobs/{id} every 20 ms
FO_TIMEOUT_S=${BENCH_TIMEOUT:-7200}      # longest a single fan-out may take
FO_API=${BENCH_API:-auto}           # auto (jobs, else synchronous), jobs, sync
FO_API_NOTE=                        # how the API path was chosen, printed and recorded
FO_TMP=
FO_BFM_PID=
FO_BFM_LOG=
FO_BASE=
FO_GRPC_PORT=                       # bfm serve's gRPC port (fo_bfm_start)
FO_TOKEN=
FO_SECONDS=
FO_SERVER_SECONDS=
FO_JOB_ID=
FO_MIGRATION_COUNT=$(find "$FO_MIGRATIONS" -maxdepth 1 -name '*.up.sql' | wc -l)

fo_say() { printf '==> %s\n' "$*" >&2; }
# fo_usage LINES: prints those lines of the running script's header comment (sed range) and exits 2.
fo_usage() {
  sed -n "${1}p" "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
fo_die() {
  printf 'fanout: %s\n' "$*" >&2
  exit 1
}

# Seconds since $1 (an $EPOCHREALTIME value), three decimals.
fo_since() {
  local now=${EPOCHREALTIME/[.,]/} then=${1/[.,]/}
  local us=$((now - then))
  printf '%d.%03d' $((us / 1000000)) $((us % 1000000 / 1000))
}

# Median of the numbers given as arguments.
fo_median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { if (NR == 0) exit; if (NR % 2) printf "%.3f", v[(NR + 1) / 2];
          else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

fo_schema() { printf 'cli_t%05d' "$1"; }

# The bfm binary: BFM_BIN, else build/bfm of the repository. This benchmark builds nothing.
fo_find_bfm() {
  BFM_BIN=${BFM_BIN:-$FO_ROOT/build/bfm}
  [[ -x $BFM_BIN ]] || fo_die "no bfm binary at $BFM_BIN: build it (bash scripts/build.sh) or set BFM_BIN"
  BFM_BIN=$(realpath "$BFM_BIN")
}

fo_require_tools() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || fo_die "$t not found: run scripts/setup.sh"
  done
}

fo_port_in_use() {
  if command -v ss >/dev/null 2>&1 && [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]; then
    return 0
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

fo_free_port() {
  local port i
  for ((i = 0; i < 200; i++)); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    fo_port_in_use "$port" || { echo "$port"; return 0; }
  done
  fo_die "no free TCP port found"
}

# --- PostgreSQL -------------------------------------------------------------------------------

fo_pg_start() {
  FO_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bfm-fanout.XXXXXX")
  chmod 755 "$FO_TMP"   # as root, the server runs as postgres and must reach $FO_TMP/pg
  bash "$FO_ROOT/scripts/pg-local.sh" start "$FO_TMP/pg" >&2
  set -a
  # shellcheck source=/dev/null
  . "$FO_TMP/pg/env"
  set +a
  export PGDATABASE=postgres
  export PGOPTIONS='-c client_min_messages=warning'   # no "does not exist, skipping" notices
}

fo_pg_stop() {
  [[ -n $FO_TMP && -d $FO_TMP/pg ]] || return 0
  bash "$FO_ROOT/scripts/pg-local.sh" stop "$FO_TMP/pg" >/dev/null 2>&1 ||
    echo "fanout: could not stop PostgreSQL in $FO_TMP/pg" >&2
}

fo_psql() {   # fo_psql DB [psql args...]
  local db=$1
  shift
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"
}

fo_query() {   # fo_query DB SQL: one value, unaligned
  fo_psql "$1" -tAc "$2"
}

fo_recreate_db() {
  fo_query postgres "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null
  fo_query postgres "CREATE DATABASE $1" >/dev/null
}

fo_drop_db() { fo_query postgres "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null; }

# Flush dirty buffers before a timed phase so that neither side pays for the other's writes.
fo_checkpoint() { fo_query postgres "CHECKPOINT" >/dev/null; sync; }   # sync: no write-back of the previous phase during the next

fo_pg_version() { fo_query postgres "SHOW server_version"; }

# --- migration tree and request bodies ----------------------------------------------------------

# The sfm tree bfm serves: <root>/postgresql/bench/NNNN_name.up.sql (+ .down.sql).
fo_make_tree() {
  FO_TREE=$FO_TMP/sfm
  mkdir -p "$FO_TREE/postgresql/$FO_CONNECTION"
  cp "$FO_MIGRATIONS"/*.sql "$FO_TREE/postgresql/$FO_CONNECTION/"
}

# fo_body N FILE: {"connection": "bench", "schemas": ["cli_t00001", ...]}
fo_body() {
  awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "cli_t%05d\n", i }' |
    jq -R . | jq -cs --arg c "$FO_CONNECTION" '{connection: $c, schemas: .}' >"$2"
}

# --- the floor: the same SQL through psql, without bfm ---------------------------------------------

# fo_floor_scripts N P DIR: DIR/worker_K.sql for K = 0..P-1; tenant i goes to worker (i-1) % P.
# Per tenant: CREATE SCHEMA and SET search_path, then each migration in its own BEGIN/COMMIT —
# the transaction granularity bfm uses by default (one transaction per migration).
# Each migration goes to the server as ONE simple query "BEGIN; <script>; COMMIT;" (psql's `\;`
# joins statements into one query): one round trip per migration, as bfm's (which adds the
# settings and the ledger row to it).
# Template rule this relies on (fo_join_statements): a statement ends with `;` at the end of a
# line; `;` inside a $$-quoted body or in the middle of a line is left alone.
fo_join_statements() {   # fo_join_statements FILE: the script with its statement ends as `\;`
  awk '
    { line = $0
      if (gsub(/\$\$/, "$$", line) % 2 == 1) in_body = !in_body   # an odd number of $$ on the line
      if (!in_body && line ~ /;[ \t]*$/ && line !~ /^[ \t]*--/) sub(/;[ \t]*$/, "\\;", line)
      print line }' "$1"
}

fo_floor_scripts() {
  local n=$1 p=$2 dir=$3 f
  mkdir -p "$dir"
  rm -f "$dir"/worker_*.sql
  local block=$dir/tenant_block.sql
  : >"$block"
  for f in "$FO_MIGRATIONS"/*.up.sql; do
    { echo 'BEGIN\;'; fo_join_statements "$f"; echo 'COMMIT;'; } >>"$block"
  done
  awk -v n="$n" -v p="$p" -v dir="$dir" '
    { block = block $0 "\n" }
    END {
      for (i = 1; i <= n; i++) {
        s = sprintf("cli_t%05d", i)
        out = sprintf("%s/worker_%d.sql", dir, (i - 1) % p)
        printf "CREATE SCHEMA \"%s\"\\; SET search_path TO \"%s\", public;\n%s", s, s, block > out
      }
    }' "$block"
}

# fo_floor_run DIR: runs every DIR/worker_*.sql in its own psql session at once; sets FO_SECONDS.
fo_floor_run() {
  local dir=$1 f pids=() rc=0 pid start
  start=$EPOCHREALTIME
  for f in "$dir"/worker_*.sql; do
    psql -X -q -v ON_ERROR_STOP=1 -d "$FO_FLOOR_DB" -f "$f" >"$f.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do
    wait "$pid" || rc=1
  done
  FO_SECONDS=$(fo_since "$start")
  if ((rc != 0)); then
    cat "$dir"/worker_*.sql.log >&2
    fo_die "the floor's psql failed"
  fi
}

# fo_signature DB SCHEMA: what the 12 migrations leave in a tenant schema, as one line.
fo_signature() {
  local db=$1 s=$2
  fo_query "$db" "
    SELECT concat_ws(' ',
      'tables=' || (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = '$s' AND c.relkind = 'r'),
      'indexes=' || (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = '$s' AND c.relkind = 'i'),
      'views=' || (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = '$s' AND c.relkind = 'v'),
      'functions=' || (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                       WHERE n.nspname = '$s'),
      'triggers=' || (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                      JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE n.nspname = '$s' AND NOT t.tgisinternal),
      'fks=' || (SELECT count(*) FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
                 WHERE n.nspname = '$s' AND k.contype = 'f'),
      'checks=' || (SELECT count(*) FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
                    WHERE n.nspname = '$s' AND k.contype = 'c'),
      'comments=' || (SELECT count(*) FROM pg_description d JOIN pg_class c ON c.oid = d.objoid
                      JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE d.classoid = 'pg_class'::regclass AND n.nspname = '$s'),
      'accounts=' || (SELECT count(*) FROM \"$s\".accounts),
      'pro=' || (SELECT count(*) FROM \"$s\".accounts WHERE plan = 'pro'),
      'orders=' || (SELECT count(*) FROM \"$s\".orders),
      'view_rows=' || (SELECT count(*) FROM \"$s\".account_order_totals))"
}

# What fo_signature must give for every migrated tenant schema.
FO_EXPECTED_SIGNATURE='tables=3 indexes=6 views=1 functions=1 triggers=1 fks=2 checks=2 comments=4 accounts=100 pro=10 orders=100 view_rows=100'

# fo_sample N: the tenant numbers checked object by object (first, middle, last).
fo_sample() {
  local n=$1
  printf '%s\n' 1 $(((n + 1) / 2)) "$n" | sort -un
}

# fo_check_schemas DB N: N tenant schemas exist, and the sample holds exactly the expected objects.
fo_check_schemas() {
  local db=$1 n=$2 count i sig
  count=$(fo_query "$db" "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'cli\\_t%'")
  ((count == n)) || fo_die "$db: $count tenant schemas, expected $n"
  for i in $(fo_sample "$n"); do
    sig=$(fo_signature "$db" "$(fo_schema "$i")")
    [[ $sig == "$FO_EXPECTED_SIGNATURE" ]] ||
      fo_die "$db/$(fo_schema "$i"): found '$sig', expected '$FO_EXPECTED_SIGNATURE'"
  done
}

# --- bfm ----------------------------------------------------------------------------------------

# fo_bfm_start: `bfm serve` on a free loopback port with a clean environment (nothing from the
# caller's shell can declare an extra connection), state in $FO_STATE_DB, connection "bench" on
# $FO_TARGET_DB with BENCH_MAX_CONNECTIONS=$FO_PARALLEL sessions. Waits for /health.
fo_bfm_start() {
  local port i
  port=$(fo_free_port)
  FO_GRPC_PORT=$(fo_free_port)
  FO_TOKEN=${FO_TOKEN:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}
  FO_BASE=http://127.0.0.1:$port
  FO_BFM_LOG=$FO_TMP/bfm.log
  env -i PATH="$PATH" HOME="${HOME:-/}" \
    BFM_API_TOKEN="$FO_TOKEN" BFM_HTTP_ADDRESS=127.0.0.1 BFM_HTTP_PORT="$port" \
    BFM_GRPC_PORT="$FO_GRPC_PORT" BFM_SFM_PATH="$FO_TREE" \
    BFM_MAX_PARALLEL="${BFM_MAX_PARALLEL:-64}" BFM_LOG_LEVEL="${BFM_LOG_LEVEL:-info}" \
    BFM_STATE_DB_HOST="$PGHOST" BFM_STATE_DB_PORT="$PGPORT" BFM_STATE_DB_USERNAME="$PGUSER" \
    BFM_STATE_DB_PASSWORD="$PGPASSWORD" BFM_STATE_DB_NAME="$FO_STATE_DB" \
    BENCH_BACKEND=postgresql BENCH_DB_HOST="$PGHOST" BENCH_DB_PORT="$PGPORT" \
    BENCH_DB_USERNAME="$PGUSER" BENCH_DB_PASSWORD="$PGPASSWORD" BENCH_DB_NAME="$FO_TARGET_DB" \
    BENCH_MAX_CONNECTIONS="$FO_PARALLEL" \
    "$BFM_BIN" serve >>"$FO_BFM_LOG" 2>&1 </dev/null &
  FO_BFM_PID=$!
  for ((i = 0; i < 600; i++)); do
    if ! kill -0 "$FO_BFM_PID" 2>/dev/null; then
      FO_BFM_PID=
      tail -n 30 "$FO_BFM_LOG" >&2
      fo_die "bfm exited during start-up (log above)"
    fi
    curl -fsS -o /dev/null --max-time 2 "$FO_BASE/health" 2>/dev/null && return 0
    sleep 0.1
  done
  tail -n 30 "$FO_BFM_LOG" >&2
  fo_die "bfm did not answer $FO_BASE/health within 60 s"
}

fo_bfm_stop() {
  [[ -n $FO_BFM_PID ]] || return 0
  local i
  if kill -0 "$FO_BFM_PID" 2>/dev/null; then
    kill -TERM "$FO_BFM_PID" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
      kill -0 "$FO_BFM_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$FO_BFM_PID" 2>/dev/null; then
      echo "fanout: bfm did not stop within 15 s; killing it" >&2
      kill -KILL "$FO_BFM_PID" 2>/dev/null || true
    fi
  fi
  wait "$FO_BFM_PID" 2>/dev/null || true
  FO_BFM_PID=
}

fo_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)) && [[ -n $FO_BFM_LOG && -s $FO_BFM_LOG ]]; then
    echo "---- last lines of bfm.log ----" >&2
    tail -n 20 "$FO_BFM_LOG" >&2 || true
  fi
  fo_bfm_stop
  fo_pg_stop
  if [[ -n $FO_TMP ]]; then
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then
      echo "fanout: kept $FO_TMP" >&2
    else
      rm -rf "$FO_TMP"
    fi
  fi
  exit "$rc"
}

fo_install_traps() {
  trap fo_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

fo_curl() {   # fo_curl OUT METHOD PATH [curl args...]: prints the HTTP status code
  local out=$1 method=$2 path=$3
  shift 3
  curl -sS -o "$out" -w '%{http_code}' --max-time "$FO_TIMEOUT_S" -X "$method" \
    -H "Authorization: Bearer $FO_TOKEN" "$@" "$FO_BASE$path" || echo 000
}

fo_is_final() {
  case $1 in succeeded | failed | partial | cancelled) return 0 ;; *) return 1 ;; esac
}

# fo_submit_job BODY OUT: POST /api/v1/jobs. Sets FO_JOB_ID and FO_STATUS_PATH and returns 0 on
# 202; returns 2 when the server has no job API (404, 405, 501 / not_implemented); dies otherwise.
fo_submit_job() {
  local body=$1 out=$2 code
  code=$(fo_curl "$out" POST /api/v1/jobs -H 'Content-Type: application/json' --data-binary "@$body")
  case $code in
    202)
      # This is inside the timed path: a bash match where it suffices, jq otherwise.
      local answer fields
      answer=$(<"$out")
      if [[ $answer =~ \"job_id\":\"([^\"]+)\" ]]; then
        FO_JOB_ID=${BASH_REMATCH[1]}
        FO_STATUS_PATH=
        [[ ! $answer =~ \"status_url\":\"([^\"]+)\" ]] || FO_STATUS_PATH=${BASH_REMATCH[1]}
      else
        fields=$(jq -r '"\(.job_id // "")\t\(.status_url // "")"' "$out")
        FO_JOB_ID=${fields%%$'\t'*}
        FO_STATUS_PATH=${fields#*$'\t'}
      fi
      [[ -n $FO_JOB_ID ]] || fo_die "POST /api/v1/jobs: 202 without job_id: $(head -c 300 "$out")"
      FO_STATUS_PATH=${FO_STATUS_PATH#http*://*/}
      [[ -z $FO_STATUS_PATH || $FO_STATUS_PATH == /* ]] || FO_STATUS_PATH=/$FO_STATUS_PATH
      FO_STATUS_PATH=${FO_STATUS_PATH:-/api/v1/jobs/$FO_JOB_ID}
      return 0 ;;
    404 | 405 | 501) return 2 ;;
    *)
      if [[ $(jq -r '.code // .error.code // empty' "$out" 2>/dev/null) == not_implemented ]]; then
        return 2
      fi
      fo_die "POST /api/v1/jobs: HTTP $code: $(head -c 500 "$out")" ;;
  esac
}

# fo_sleep SECONDS without starting a process (read -t on a pipe nobody writes to), so the
# poll loop costs the client as little as possible.
fo_sleep() {
  [[ -n ${FO_SLEEP_FD:-} ]] || exec {FO_SLEEP_FD}<> <(:)
  read -r -t "$1" -u "$FO_SLEEP_FD" || true
}

# fo_rss_kb PID: the process's resident set in kB, read from /proc without starting a process
# (`ps` reads every process's entry: at 10 samples/s it cost ~3% of the 2-core machine).
fo_rss_kb() {
  local key value rest
  while read -r key value rest; do
    if [[ $key == VmRSS: ]]; then echo "$value"; return 0; fi
  done 2>/dev/null <"/proc/$1/status"
  return 1
}

# fo_sample_rss PID FILE [STOP_FILE]: appends PID's RSS (kB) to FILE every 100 ms while PID runs
# and STOP_FILE does not exist. Meant to run in the background.
fo_sample_rss() {
  local pid=$1 file=$2 stop=${3:-}
  while [[ -z $stop || ! -e $stop ]] && kill -0 "$pid" 2>/dev/null; do
    fo_rss_kb "$pid" >>"$file" || true
    fo_sleep 0.1
  done
}

# fo_cpu_ticks PID: CPU time (clock ticks: user + system) used by PID, its reaped children and
# its live children, read from /proc. For the postmaster this is all of PostgreSQL: a backend
# that exited is in the postmaster's children counters, a live one is summed here. The
# difference of two readings is what was used in between.
fo_cpu_ticks() {
  local pid=$1 total=0 child stat fields
  # Children first: one reaped between the two reads is then counted twice (rare, small)
  # instead of not at all (a whole backend).
  for child in $(fo_children "$pid") "$pid"; do
    { read -r stat <"/proc/$child/stat"; } 2>/dev/null || continue
    read -r -a fields <<<"${stat##*) }"   # fields after "pid (comm) ": state is [0], utime [11]
    total=$((total + fields[11] + fields[12] + fields[13] + fields[14]))
  done
  echo "$total"
}

# fo_db_cpu_ticks DB: CPU ticks of the live PostgreSQL backends connected to DB (a backend's
# title is "postgres: USER DB ..."; one that exited is only in fo_cpu_ticks of the postmaster).
fo_db_cpu_ticks() {
  local db=$1 total=0 child stat fields
  for child in $(fo_children "$(fo_postmaster_pid)"); do
    fo_is_backend_of "$child" "$db" || continue
    { read -r stat <"/proc/$child/stat"; } 2>/dev/null || continue
    read -r -a fields <<<"${stat##*) }"
    total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}

# fo_reaped_children_ticks: CPU ticks of the processes this shell started and waited for.
fo_reaped_children_ticks() {
  local fields
  read -r -a fields <<<"$(sed 's/^.*) //' "/proc/$$/stat")"
  echo $((fields[13] + fields[14]))
}

# fo_wait_backends_gone DB: waits (up to 5 s) until the backends of DB's closed sessions have
# exited and been reaped, so that their CPU time is in the postmaster's counters.
fo_wait_backends_gone() {
  local db=$1 i child busy stat
  for ((i = 0; i < 500; i++)); do
    busy=0
    for child in $(fo_children "$(fo_postmaster_pid)"); do
      { read -r stat <"/proc/$child/stat"; } 2>/dev/null || continue
      if [[ ${stat##*) } == Z* ]] || fo_is_backend_of "$child" "$db"; then busy=1; break; fi
    done
    ((busy)) || return 0
    fo_sleep 0.01
  done
}

# fo_is_backend_of PID DB: PID is a PostgreSQL backend connected to DB (its title is
# "postgres: USER DB ...").
fo_is_backend_of() {
  local title
  title=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") || return 1
  [[ $title == "postgres: $PGUSER $2 "* ]]
}

fo_children() { cat /proc/"$1"/task/*/children 2>/dev/null; }   # fo_children PID: its child PIDs

fo_postmaster_pid() { head -n 1 "$FO_TMP/pg/data/postmaster.pid"; }

# fo_pin CPUS PID: binds PID, all its threads and its current children to CPUS (a taskset
# list); processes it starts later inherit the binding (PostgreSQL's backends fork from the
# postmaster).
fo_pin() {
  local cpus=$1 pid=$2 child
  taskset -a -p -c "$cpus" "$pid" >/dev/null || fo_die "could not bind process $pid to CPU(s) $cpus"
  for child in $(fo_children "$pid"); do
    taskset -a -p -c "$cpus" "$child" >/dev/null 2>&1 || true   # it may have exited meanwhile
  done
}

# fo_http_get FD PATH: one GET on the kept-alive connection FD (bash /dev/tcp: no process, not
# even a subshell, per request); sets FO_HTTP_CODE and FO_HTTP_BODY. Returns 1 when the
# connection failed (the caller reconnects).
fo_http_get() {
  local fd=$1 path=$2 line length=0
  FO_HTTP_CODE=
  FO_HTTP_BODY=
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n' \
    "$path" "$FO_TOKEN" >&"$fd" 2>/dev/null || return 1
  IFS= read -r -t 10 -u "$fd" line || return 1
  [[ $line =~ ^HTTP/1\.[01]\ ([0-9]{3}) ]] || return 1
  FO_HTTP_CODE=${BASH_REMATCH[1]}
  while IFS= read -r -t 10 -u "$fd" line; do
    line=${line%$'\r'}
    [[ -n $line ]] || break
    shopt -s nocasematch
    [[ ! $line =~ ^content-length:\ *([0-9]+) ]] || length=${BASH_REMATCH[1]}
    shopt -u nocasematch
  done
  if ((length > 0)); then
    LC_ALL=C IFS= read -r -d '' -N "$length" -t 10 -u "$fd" FO_HTTP_BODY ||
      [[ ${#FO_HTTP_BODY} == "$length" ]] || return 1
  fi
}

# fo_wait_job OUT: polls the job every $FO_POLL_S until it is final; OUT holds the last answer.
# The polls share one kept-alive connection opened by bash itself: spawning curl 50 times a
# second took ~9% of the 2-core machine (perf), time the server under test then lost. A final
# status word is looked for with a bash match first and confirmed with jq.
fo_wait_job() {
  local out=$1 code status body deadline=$((SECONDS + FO_TIMEOUT_S)) fd=
  local final_re='"status" *: *"(succeeded|failed|partial|cancelled)"'
  [[ -n ${FO_SLEEP_FD:-} ]] || exec {FO_SLEEP_FD}<> <(:)   # opened before the first poll
  while :; do
    [[ -n $fd ]] || exec {fd}<>"/dev/tcp/127.0.0.1/${FO_BASE##*:}"
    if fo_http_get "$fd" "$FO_STATUS_PATH"; then
      code=$FO_HTTP_CODE
      body=$FO_HTTP_BODY
    else
      exec {fd}>&-
      fd=
      code=$(fo_curl "$out" GET "$FO_STATUS_PATH")
      body=$(<"$out")
    fi
    [[ $code == 200 ]] || fo_die "GET $FO_STATUS_PATH: HTTP $code: ${body:0:300}"
    if [[ $body =~ $final_re ]]; then
      printf '%s' "$body" >"$out"
      status=$(jq -r '.status // empty' "$out")
      if fo_is_final "$status"; then
        [[ -z $fd ]] || exec {fd}>&-
        return 0
      fi
    fi
    ((SECONDS < deadline)) || fo_die "job $FO_JOB_ID still not final after $FO_TIMEOUT_S s"
    fo_sleep "$FO_POLL_S"
  done
}

# fo_job_server_seconds OUT: finished_at - created_at of a final job answer (the server's own
# view of the job, without the client's request and polling); empty when not available.
fo_job_server_seconds() {
  local created finished
  created=$(jq -r '.created_at // empty' "$1")
  finished=$(jq -r '.finished_at // empty' "$1")
  [[ -n $created && -n $finished ]] || return 0
  created=$(date -d "$created" +%s.%N 2>/dev/null) || return 0
  finished=$(date -d "$finished" +%s.%N 2>/dev/null) || return 0
  awk -v a="$created" -v b="$finished" 'BEGIN { printf "%.3f", b - a }'
}

fo_note_api() {   # records and prints which path is used (once)
  [[ -z $FO_API_NOTE ]] || return 0
  FO_API_NOTE=$1
  fo_say "API path: $FO_API_NOTE"
}

# fo_fanout BODY OUT: one fan-out request, timed from just before the request to the final
# status. Job API: POST /api/v1/jobs, then GET the job every 20 ms until it is final; without it
# (BENCH_API=sync, or auto and the server answers 404/405/501): POST /api/v1/migrations/up,
# which answers when everything is done. Sets FO_SECONDS, FO_API (jobs|sync) and, for a job,
# FO_SERVER_SECONDS (the job's finished_at - created_at); OUT holds the final answer (the job,
# or the synchronous response). Returns 1 when the fan-out had failures.
fo_fanout() {
  local body=$1 out=$2 start code rc
  FO_JOB_ID=
  FO_SERVER_SECONDS=
  if [[ $FO_API != sync ]]; then
    start=$EPOCHREALTIME
    rc=0
    fo_submit_job "$body" "$out" || rc=$?
    if ((rc == 0)); then
      FO_API='jobs'
      fo_note_api "jobs (POST /api/v1/jobs + GET /api/v1/jobs/{id} every ${FO_POLL_S} s)"
      fo_wait_job "$out"
      FO_SECONDS=$(fo_since "$start")
      FO_SERVER_SECONDS=$(fo_job_server_seconds "$out")
      [[ $(jq -r .status "$out") == succeeded ]] || return 1
      return 0
    fi
    [[ $FO_API == auto ]] || fo_die "the server has no job API (POST /api/v1/jobs answered 404/405/501)"
    FO_API=sync
    fo_note_api "sync (POST /api/v1/migrations/up; the job API answered 404/405/501: not available in this build)"
  fi
  fo_note_api "sync (POST /api/v1/migrations/up, forced by BENCH_API=sync)"
  start=$EPOCHREALTIME
  code=$(fo_curl "$out" POST /api/v1/migrations/up -H 'Content-Type: application/json' \
           --data-binary "@$body")
  FO_SECONDS=$(fo_since "$start")
  case $code in
    200) return 0 ;;
    206) return 1 ;;
    *) fo_die "POST /api/v1/migrations/up: HTTP $code: $(head -c 500 "$out")" ;;
  esac
}

# fo_applied_in_answer OUT: migrations the answer says it applied (sync: per target; job: counts).
fo_applied_in_answer() {
  if [[ $FO_API == jobs ]]; then
    jq -r '.counts.migrations_applied // "unknown"' "$1"
  else
    jq -r '[.targets[]?.applied | length] | add // 0' "$1"
  fi
}

# fo_state_applied: rows of bfm_migrations with status applied for the bench connection, and the
# newest applied_at (a no-op must change neither).
fo_state_applied() {
  fo_query "$FO_STATE_DB" "
    SELECT count(*) || ' ' || coalesce(max(applied_at)::text, '-')
    FROM bfm_migrations WHERE connection = '$FO_CONNECTION' AND status = 'applied'" |
    tr ' ' '_'
}

# fo_failure_summary OUT: the first errors of a failed fan-out.
fo_failure_summary() {
  jq -c '{status, counts, error, errors: ((.errors // [])[:5])}' "$1" 2>/dev/null || head -c 1000 "$1"
}

# Machine facts for the results files (JSON object).
fo_machine_json() {
  local cpu mem commit dirty=false
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  mem=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)
  commit=$(git -C "$FO_ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
  if [[ -n $(git -C "$FO_ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
    dirty=true
  fi
  jq -n --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg commit "$commit" --argjson dirty "$dirty" \
    --argjson nproc "$(nproc)" --arg cpu "$cpu" --argjson mem "${mem:-0}" \
    --arg kernel "$(uname -r)" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
    --arg pg "$(fo_pg_version)" --arg bfm "${BFM_BIN:-}" \
    --arg bfm_version "$([[ -z ${BFM_BIN:-} ]] || "$BFM_BIN" version 2>/dev/null | head -n 1)" \
    '{date: $date, commit: $commit, worktree_modified: $dirty, nproc: $nproc, cpu: $cpu,
      mem_total_mb: $mem, kernel: $kernel, loadavg_at_start: $load, postgresql: $pg,
      bfm_binary: $bfm, bfm_version: $bfm_version}'
}
