#!/usr/bin/env bash
# Usage: bench/fanout/run.sh [--noop-10k] [--reps R] [--out FILE] [N...]     (default N: 10 100 1000)
#
# Fan-out benchmark (a benchmark, not a test): how long bfm takes to bring N fresh tenant schemas
# through 12 realistic migrations, against the floor — the same SQL through psql with no
# bookkeeping — and how long the same request takes when everything is already applied.
#
# For each N (and each of R repetitions, default 1; the table shows medians):
#   1. floor: databases recreated; the 12 migrations for N new schemas through P concurrent psql
#      sessions (P = BENCH_PARALLEL, default 4 = bfm's default {CONN}_MAX_CONNECTIONS), tenants
#      split round-robin; per tenant CREATE SCHEMA, SET search_path, each migration in its own
#      BEGIN/COMMIT. Wall clock from the first psql start to the last psql exit.
#   2. the floor's database is dropped (bfm migrates another database of the same cluster).
#   3. bfm from zero: `bfm serve` with an empty state database and BENCH_MAX_CONNECTIONS=P; one
#      fan-out request for the N tenants, timed from the request to the final status (job API:
#      POST /api/v1/jobs + GET /api/v1/jobs/{id} every 20 ms; when the server has none,
#      POST /api/v1/migrations/up). Checked: N x 12 rows `applied` in bfm_migrations, and the
#      objects and rows of the first, middle and last tenant schema (the floor is checked the same
#      way). Any difference stops the run.
#   4. bfm no-op: the same request again (BENCH_NOOP_REPS times, default 3; median), checked to
#      apply nothing.
# --noop-10k: additionally (or, with no N given, only) applies the migrations to 10,000 tenants
#   once with bfm, then times the no-op request for them (goal < 0.5 s).
#
# Prints a table (N | floor s | bfm from zero s | ratio | bfm no-op s) and writes FILE (default
# bench/results/fanout.json) with the machine facts and, per run, the CPU seconds of the floor
# (PostgreSQL, psql) and of bfm from zero (PostgreSQL by database, the bfm process). Needs a built bfm: BFM_BIN, else build/bfm.
# Starts its own PostgreSQL 15 (scripts/pg-local.sh) in a temporary directory and removes it at
# the end (BENCH_KEEP=1 keeps it). Other settings: BENCH_API=auto|jobs|sync, BFM_MAX_PARALLEL
# (default 64), BFM_LOG_LEVEL (default info), BENCH_TIMEOUT (s, default 7200).
set -euo pipefail

# shellcheck source=bench/fanout/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { fo_usage 2,3; }

NS=()
NOOP_10K=0
REPS=1
NOOP_REPS=${BENCH_NOOP_REPS:-3}
OUT=$FO_ROOT/bench/results/fanout.json
while (($#)); do
  case $1 in
    --noop-10k) NOOP_10K=1 ;;
    --reps) shift; REPS=${1:-}; [[ $REPS =~ ^[1-9][0-9]*$ ]] || usage ;;
    --out) shift; OUT=${1:-}; [[ -n $OUT ]] || usage ;;
    -h | --help) usage ;;
    *) [[ $1 =~ ^[1-9][0-9]*$ ]] || usage; NS+=("$1") ;;
  esac
  shift
done
[[ $NOOP_REPS =~ ^[1-9][0-9]*$ ]] || fo_die "BENCH_NOOP_REPS must be a positive number"
if ((${#NS[@]} == 0 && !NOOP_10K)); then NS=(10 100 1000); fi
FO_PARALLEL=${BENCH_PARALLEL:-4}
[[ $FO_PARALLEL =~ ^[1-9][0-9]*$ ]] || fo_die "BENCH_PARALLEL must be a positive number"
OUT=$(realpath -m "$OUT")

fo_require_tools jq curl psql awk
fo_find_bfm
((FO_MIGRATION_COUNT == 12)) || fo_die "expected 12 migrations in $FO_MIGRATIONS, found $FO_MIGRATION_COUNT"

fo_install_traps
fo_pg_start
fo_make_tree
MACHINE=$(fo_machine_json)
RESULTS=$FO_TMP/results.jsonl
: >"$RESULTS"
ANSWER=$FO_TMP/answer.json

# fresh_databases: empty floor, target and state databases (nothing left from an earlier N).
fresh_databases() {
  local db
  for db in "$FO_FLOOR_DB" "$FO_TARGET_DB" "$FO_STATE_DB"; do
    fo_recreate_db "$db"
  done
}

# CPU seconds used during a timed phase (/proc, see fo_cpu_ticks): cpu_start before it, then
# cpu_floor_json (PostgreSQL + the psql clients) or cpu_bfm_json (PostgreSQL, split into the
# target database's backends, the state database's and the rest, + the bfm process).
cpu_start() {
  CPU0_PG=$(fo_cpu_ticks "$(fo_postmaster_pid)")
  CPU0_CLIENTS=$(fo_reaped_children_ticks)
  CPU0_TARGET=$(fo_db_cpu_ticks "$FO_TARGET_DB")
  CPU0_STATE=$(fo_db_cpu_ticks "$FO_STATE_DB")
  CPU0_BFM=0
  [[ -z $FO_BFM_PID ]] || CPU0_BFM=$(fo_cpu_ticks "$FO_BFM_PID")
}

cpu_floor_json() {
  local pg clients hz
  hz=$(getconf CLK_TCK)
  fo_wait_backends_gone "$FO_FLOOR_DB"
  pg=$(($(fo_cpu_ticks "$(fo_postmaster_pid)") - CPU0_PG))
  clients=$(($(fo_reaped_children_ticks) - CPU0_CLIENTS))
  jq -cn --argjson pg "$pg" --argjson clients "$clients" --argjson hz "$hz" \
    '{total_s: (($pg + $clients) / $hz), postgresql_s: ($pg / $hz), psql_s: ($clients / $hz)}'
}

cpu_bfm_json() {
  local pg target state bfm hz
  hz=$(getconf CLK_TCK)
  pg=$(($(fo_cpu_ticks "$(fo_postmaster_pid)") - CPU0_PG))
  target=$(($(fo_db_cpu_ticks "$FO_TARGET_DB") - CPU0_TARGET))
  state=$(($(fo_db_cpu_ticks "$FO_STATE_DB") - CPU0_STATE))
  bfm=$(($(fo_cpu_ticks "$FO_BFM_PID") - CPU0_BFM))
  jq -cn --argjson pg "$pg" --argjson target "$target" --argjson state "$state" \
    --argjson bfm "$bfm" --argjson hz "$hz" \
    '{total_s: (($pg + $bfm) / $hz), postgresql_s: ($pg / $hz), target_db_backends_s: ($target / $hz),
      state_db_backends_s: ($state / $hz), postgresql_other_s: (($pg - $target - $state) / $hz),
      bfm_s: ($bfm / $hz)}'
}

# bfm_apply N BODY: the timed fan-out from zero, verified; sets T (seconds).
bfm_apply() {
  local n=$1 body=$2 state count
  fo_checkpoint
  cpu_start
  if ! fo_fanout "$body" "$ANSWER"; then
    fo_die "fan-out of $n tenants failed ($FO_API): $(fo_failure_summary "$ANSWER")"
  fi
  CPU_JSON=$(cpu_bfm_json)
  state=$(fo_state_applied)
  count=${state%%_*}
  ((count == n * FO_MIGRATION_COUNT)) ||
    fo_die "bfm_migrations has $count applied rows for $n tenants, expected $((n * FO_MIGRATION_COUNT))"
  fo_check_schemas "$FO_TARGET_DB" "$n"
  T=$FO_SECONDS
  TS=${FO_SERVER_SECONDS:-null}
}

# bfm_noop N BODY: the same request again, checked to apply nothing; sets T (seconds).
bfm_noop() {
  local n=$1 body=$2 before after applied
  before=$(fo_state_applied)
  if ! fo_fanout "$body" "$ANSWER"; then
    fo_die "no-op fan-out of $n tenants failed ($FO_API): $(fo_failure_summary "$ANSWER")"
  fi
  after=$(fo_state_applied)
  applied=$(fo_applied_in_answer "$ANSWER")
  [[ $before == "$after" && ($applied == 0 || $applied == unknown) ]] ||
    fo_die "the no-op request for $n tenants applied something (answer: $applied; state $before -> $after)"
  T=$FO_SECONDS
  TS=${FO_SERVER_SECONDS:-null}
}

# noop_runs N BODY: BENCH_NOOP_REPS timed no-ops; sets RUNS and RUNS_SERVER (JSON arrays: client
# wall clock, and the job's own duration or null)
noop_runs() {
  local i runs=() server=()
  for ((i = 0; i < NOOP_REPS; i++)); do
    bfm_noop "$1" "$2"
    runs+=("$T")
    server+=("$TS")
  done
  RUNS=$(printf '%s\n' "${runs[@]}" | jq -cs .)
  RUNS_SERVER=$(printf '%s\n' "${server[@]}" | jq -cs .)
}

for n in "${NS[@]}"; do
  body=$FO_TMP/body_$n.json
  fo_body "$n" "$body"
  floor_runs=()
  floor_cpu=()
  zero_runs=()
  zero_cpu=()
  zero_server=()
  noop_all=()
  noop_server=()
  for ((rep = 1; rep <= REPS; rep++)); do
    fo_say "N=$n, repetition $rep/$REPS: floor (psql, $FO_PARALLEL sessions)"
    fresh_databases
    fo_floor_scripts "$n" "$((n < FO_PARALLEL ? n : FO_PARALLEL))" "$FO_TMP/floor"
    fo_checkpoint
    cpu_start
    fo_floor_run "$FO_TMP/floor"
    floor_runs+=("$FO_SECONDS")
    floor_cpu+=("$(cpu_floor_json)")
    fo_check_schemas "$FO_FLOOR_DB" "$n"
    fo_drop_db "$FO_FLOOR_DB"
    fo_say "N=$n: floor ${FO_SECONDS} s, CPU ${floor_cpu[-1]}; bfm from zero"

    fo_bfm_start
    bfm_apply "$n" "$body"
    zero_runs+=("$T")
    zero_cpu+=("$CPU_JSON")
    zero_server+=("$TS")
    fo_say "N=$n: bfm from zero $T s ($FO_API; job's own duration: $TS s), CPU $CPU_JSON; bfm no-op x$NOOP_REPS"
    noop_runs "$n" "$body"
    noop_all+=("$RUNS")
    noop_server+=("$RUNS_SERVER")
    fo_say "N=$n: bfm no-op $RUNS s (job's own duration: $RUNS_SERVER s)"
    fo_bfm_stop
  done
  floor=$(fo_median "${floor_runs[@]}")
  zero=$(fo_median "${zero_runs[@]}")
  # median of each repetition's no-op median
  noop_medians=()
  for runs in "${noop_all[@]}"; do
    mapfile -t vals < <(jq -r '.[]' <<<"$runs")
    noop_medians+=("$(fo_median "${vals[@]}")")
  done
  noop=$(fo_median "${noop_medians[@]}")
  jq -cn --argjson n "$n" --argjson floor "$floor" --argjson zero "$zero" --argjson noop "$noop" \
    --argjson floor_runs "$(printf '%s\n' "${floor_runs[@]}" | jq -cs .)" \
    --argjson zero_runs "$(printf '%s\n' "${zero_runs[@]}" | jq -cs .)" \
    --argjson noop_runs "$(printf '%s\n' "${noop_all[@]}" | jq -cs .)" \
    --argjson zero_server "$(printf '%s\n' "${zero_server[@]}" | jq -cs .)" \
    --argjson noop_server "$(printf '%s\n' "${noop_server[@]}" | jq -cs .)" \
    --argjson floor_cpu "$(printf '%s\n' "${floor_cpu[@]}" | jq -cs .)" \
    --argjson zero_cpu "$(printf '%s\n' "${zero_cpu[@]}" | jq -cs .)" \
    --arg api "$FO_API" \
    '{n: $n, floor_s: $floor, bfm_from_zero_s: $zero,
      ratio: (if $floor > 0 then (($zero / $floor) * 100 | round) / 100 else null end),
      bfm_noop_s: $noop, api: $api, floor_runs_s: $floor_runs, bfm_from_zero_runs_s: $zero_runs,
      bfm_noop_runs_s: $noop_runs, job_duration_from_zero_runs_s: $zero_server,
      job_duration_noop_runs_s: $noop_server, floor_cpu_runs: $floor_cpu,
      bfm_from_zero_cpu_runs: $zero_cpu, verified: true}' >>"$RESULTS"
done

NOOP10K_JSON=null
if ((NOOP_10K)); then
  n=10000
  body=$FO_TMP/body_$n.json
  fo_body "$n" "$body"
  fo_say "no-op scale check: applying the 12 migrations to $n tenants once (takes a while)"
  fresh_databases
  fo_drop_db "$FO_FLOOR_DB"
  fo_bfm_start
  bfm_apply "$n" "$body"
  apply=$T
  apply_server=$TS
  fo_say "$n tenants applied in $apply s ($FO_API; job's own duration: $TS s); no-op x$NOOP_REPS"
  noop_runs "$n" "$body"
  runs=$RUNS
  fo_say "no-op of $n tenants: $runs s (job's own duration: $RUNS_SERVER s)"
  mapfile -t vals < <(jq -r '.[]' <<<"$runs")
  noop=$(fo_median "${vals[@]}")
  fo_bfm_stop
  NOOP10K_JSON=$(jq -cn --argjson n "$n" --argjson apply "$apply" --argjson noop "$noop" \
    --argjson runs "$runs" --arg api "$FO_API" --argjson apply_server "$apply_server" \
    --argjson runs_server "$RUNS_SERVER" \
    '{n: $n, apply_s: $apply, noop_s: $noop, noop_runs_s: $runs, goal_s: 0.5,
      goal_met: ($noop < 0.5), api: $api, job_duration_apply_s: $apply_server,
      job_duration_noop_runs_s: $runs_server, verified: true}')
fi

# --- report -----------------------------------------------------------------------------------
echo
echo "Fan-out: $FO_MIGRATION_COUNT migrations per tenant, $FO_PARALLEL sessions (floor and bfm), API path: ${FO_API_NOTE:-none}"
if [[ -s $RESULTS ]]; then
  printf '%8s | %9s | %16s | %6s | %11s\n' N "floor s" "bfm from zero s" ratio "bfm no-op s"
  printf '%s\n' '---------|-----------|------------------|--------|------------'
  while IFS= read -r line; do
    jq -r '[.n, .floor_s, .bfm_from_zero_s, (.ratio // "-"), .bfm_noop_s] | @tsv' <<<"$line" |
      awk -F'\t' '{ printf "%8s | %9.3f | %16.3f | %6s | %11.3f\n", $1, $2, $3, $4, $5 }'
  done <"$RESULTS"
fi
if [[ $NOOP10K_JSON != null ]]; then
  jq -r '"no-op of \(.n) tenants: \(.noop_s) s (goal < \(.goal_s) s: \(if .goal_met then "met" else "NOT met" end)); applying them took \(.apply_s) s"' <<<"$NOOP10K_JSON"
fi

mkdir -p "$(dirname "$OUT")"
jq -n --argjson machine "$MACHINE" --slurpfile results "$RESULTS" --argjson noop10k "$NOOP10K_JSON" \
  --arg api "$FO_API" --arg api_note "$FO_API_NOTE" --argjson parallel "$FO_PARALLEL" \
  --argjson migrations "$FO_MIGRATION_COUNT" --argjson reps "$REPS" --argjson noop_reps "$NOOP_REPS" \
  --arg max_parallel "${BFM_MAX_PARALLEL:-64}" --arg log_level "${BFM_LOG_LEVEL:-info}" \
  --arg poll "$FO_POLL_S" --arg load_end "$(cut -d' ' -f1-3 /proc/loadavg)" \
  '{benchmark: "fanout", machine: ($machine + {loadavg_at_end: $load_end}),
    settings: {migrations_per_tenant: $migrations, sessions: $parallel,
               bfm_max_parallel: ($max_parallel | tonumber), bfm_log_level: $log_level,
               api: $api, api_note: $api_note, job_poll_interval_s: ($poll | tonumber),
               repetitions: $reps, noop_repetitions: $noop_reps,
               postgresql: "scripts/pg-local.sh cluster: fsync, synchronous_commit and full_page_writes off; floor, bfm targets and bfm state in one cluster"},
    results: $results, noop_10k: $noop10k}' >"$OUT"
echo "results: $OUT"
