#!/usr/bin/env bash
# Usage: bench/fanout/overhead.sh [--reps R] [--out FILE] [N]     (default N 250, R 6)
#
# What bfm's bookkeeping *inside the target database* costs, without bfm: the fan-out floor
# (run.sh's psql floor: N new tenant schemas, the 12 migrations, 4 sessions, one transaction and
# one round trip per migration) run again with bfm's target-side statements added by hand,
# one element at a time. No HTTP, no planning, no state database: a lower bound for any tool
# that records each migration in the target inside the migration's own transaction.
#
# Variants (each repetition runs all of them in this order, each on a fresh database):
#   plain         the floor
#   lock          + per tenant: pg_advisory_lock with CREATE SCHEMA, pg_advisory_unlock at the end
#   ledger        lock + per migration: the bfm.ledger row (uuid, migration, schema, checksum)
#   fence_upsert  lock + per migration: ledger row whose checksum comes from a bfm.fence upsert
#                 (bfm's protocol until 2026-11-21)
#   fence_check   lock + fence upsert once per tenant + per migration: ledger row whose checksum
#                 comes from SELECT ... FROM bfm.fence ... FOR SHARE (bfm's protocol since)
#   bfm_sql       fence_check + what else bfm sends: CREATE SCHEMA IF NOT EXISTS, the ledger read
#                 at the lock, SET LOCAL search_path / lock_timeout / statement_timeout per migration
#
# Prints mean wall clock and PostgreSQL CPU seconds per variant and the increase over plain;
# writes FILE (default bench/results/overhead.json). Every run is checked: N schemas, the sample
# tenants' objects (as run.sh checks them), N x 12 ledger rows where there is a ledger.
set -euo pipefail

# shellcheck source=bench/fanout/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { fo_usage 2; }

N=250
REPS=6
OUT=$FO_ROOT/bench/results/overhead.json
while (($#)); do
  case $1 in
    --reps) shift; REPS=${1:-}; [[ $REPS =~ ^[1-9][0-9]*$ ]] || usage ;;
    --out) shift; OUT=${1:-}; [[ -n $OUT ]] || usage ;;
    -h | --help) usage ;;
    *) [[ $1 =~ ^[1-9][0-9]*$ ]] || usage; N=$1 ;;
  esac
  shift
done
OUT=$(realpath -m "$OUT")
P=${BENCH_PARALLEL:-4}
VARIANTS=(plain lock ledger fence_upsert fence_check bfm_sql)
CHECKSUM=$(printf '%064d' 0)   # a SHA-256 hex string's length

fo_require_tools jq psql awk
fo_install_traps
fo_pg_start
MACHINE=$(fo_machine_json)

# bfm's ledger and fence tables (pg_target.cpp's ledger_ddl).
LEDGER_DDL="CREATE SCHEMA bfm;
CREATE TABLE bfm.ledger (attempt_id uuid PRIMARY KEY, migration_id text NOT NULL,
  schema text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX ledger_schema_idx ON bfm.ledger (schema, migration_id);
CREATE TABLE bfm.fence (schema text PRIMARY KEY, token bigint NOT NULL);"

# per_migration VARIANT K: what goes between BEGIN and the script of migration K (@S@ = schema).
per_migration() {
  local v=$1 k=$2 row
  row="INSERT INTO bfm.ledger (attempt_id, migration_id, schema, checksum) VALUES (gen_random_uuid(), 'm$k', '@S@', "
  case $v in
    plain | lock) ;;
    ledger) printf '%s' "$row'$CHECKSUM')\\;" ;;
    fence_upsert)
      printf '%s' "WITH f AS (INSERT INTO bfm.fence AS f (schema, token) VALUES ('@S@', 7) ON CONFLICT (schema) DO UPDATE SET token = EXCLUDED.token WHERE f.token <= EXCLUDED.token RETURNING 1) $row(SELECT '$CHECKSUM' FROM f))\\;" ;;
    fence_check | bfm_sql)
      [[ $v != bfm_sql ]] ||
        printf '%s' "SET LOCAL search_path TO \"@S@\", public\\; SET LOCAL lock_timeout = '5000ms'\\; SET LOCAL statement_timeout = '0ms'\\;"
      printf '%s' "$row(SELECT '$CHECKSUM' FROM bfm.fence WHERE schema = '@S@' AND token = 7 FOR SHARE))\\;" ;;
  esac
}

# scripts VARIANT DIR: DIR/worker_K.sql, tenants split round-robin over P sessions as in run.sh.
scripts() {
  local v=$1 dir=$2 f k=0 block
  mkdir -p "$dir"
  rm -f "$dir"/worker_*.sql
  block=$dir/tenant_block.sql
  : >"$block"
  for f in "$FO_MIGRATIONS"/*.up.sql; do
    k=$((k + 1))
    { printf 'BEGIN\\; %s\n' "$(per_migration "$v" "$k")"; fo_join_statements "$f"; echo 'COMMIT;'; } >>"$block"
  done
  awk -v n="$N" -v p="$P" -v dir="$dir" -v v="$v" '
    { block = block $0 "\n" }
    END {
      q = sprintf("%c", 39)
      for (i = 1; i <= n; i++) {
        s = sprintf("cli_t%05d", i)
        out = sprintf("%s/worker_%d.sql", dir, (i - 1) % p)
        b = block
        gsub(/@S@/, s, b)
        head = sprintf("CREATE SCHEMA \"%s\"", s)
        if (v != "plain") {
          lock = "SELECT pg_advisory_lock(hashtext(" q "bfm.target" q "), hashtext(" q s q "))\\; "
          if (v == "bfm_sql") {
            head = sprintf("CREATE SCHEMA IF NOT EXISTS \"%s\"\\; SELECT attempt_id::text, migration_id, checksum FROM bfm.ledger WHERE schema = %s%s%s ORDER BY applied_at, attempt_id", s, q, s, q)
          }
          head = lock head
        }
        if (v == "fence_check" || v == "bfm_sql") {
          head = head "\\; INSERT INTO bfm.fence AS f (schema, token) VALUES (" q s q ", 7) ON CONFLICT (schema) DO UPDATE SET token = EXCLUDED.token WHERE f.token <= EXCLUDED.token"
        }
        printf "%s\\; SET search_path TO \"%s\", public;\n%s", head, s, b > out
        if (v != "plain") {
          printf "SELECT pg_advisory_unlock(hashtext(%sbfm.target%s), hashtext(%s%s%s));\n", q, q, q, s, q > out
        }
      }
    }' "$block"
}

RESULTS=$FO_TMP/overhead.jsonl
: >"$RESULTS"
hz=$(getconf CLK_TCK)
for ((rep = 1; rep <= REPS; rep++)); do
  for v in "${VARIANTS[@]}"; do
    fo_recreate_db "$FO_FLOOR_DB"
    fo_psql "$FO_FLOOR_DB" -c "$LEDGER_DDL" >/dev/null
    scripts "$v" "$FO_TMP/$v"
    fo_checkpoint
    cpu0=$(fo_cpu_ticks "$(fo_postmaster_pid)")
    fo_floor_run "$FO_TMP/$v"
    fo_wait_backends_gone "$FO_FLOOR_DB"
    cpu=$(($(fo_cpu_ticks "$(fo_postmaster_pid)") - cpu0))
    fo_check_schemas "$FO_FLOOR_DB" "$N"
    rows=$(fo_query "$FO_FLOOR_DB" "SELECT count(*) FROM bfm.ledger")
    case $v in
      plain | lock) ((rows == 0)) || fo_die "$v: $rows ledger rows, expected none" ;;
      *) ((rows == N * FO_MIGRATION_COUNT)) || fo_die "$v: $rows ledger rows, expected $((N * FO_MIGRATION_COUNT))" ;;
    esac
    fo_say "repetition $rep/$REPS, $v: $FO_SECONDS s, PostgreSQL CPU $((cpu * 100 / hz / 100)).$(printf '%02d' $((cpu * 100 / hz % 100))) s"
    jq -cn --arg v "$v" --argjson s "$FO_SECONDS" --argjson cpu "$cpu" --argjson hz "$hz" \
      '{variant: $v, wall_s: $s, postgresql_cpu_s: ($cpu / $hz)}' >>"$RESULTS"
  done
done

SUMMARY=$(jq -cs '
  (map(select(.variant == "plain")) | (map(.wall_s) | add / length)) as $plain_wall
  | (map(select(.variant == "plain")) | (map(.postgresql_cpu_s) | add / length)) as $plain_cpu
  | group_by(.variant)
  | map((map(.wall_s) | add / length) as $wall | (map(.postgresql_cpu_s) | add / length) as $cpu
      | {variant: .[0].variant, runs: length,
         mean_wall_s: ($wall * 1000 | round / 1000), mean_postgresql_cpu_s: ($cpu * 100 | round / 100),
         wall_over_plain_pct: ((($wall / $plain_wall) - 1) * 1000 | round / 10),
         cpu_over_plain_pct: ((($cpu / $plain_cpu) - 1) * 1000 | round / 10),
         wall_runs_s: map(.wall_s)})' "$RESULTS")

echo
echo "Target-side bookkeeping without bfm: N=$N tenants x $FO_MIGRATION_COUNT migrations, $P psql sessions, $REPS runs per variant (means)"
printf '%-13s | %11s | %9s | %17s | %9s\n' variant "wall s" "vs plain" "PostgreSQL CPU s" "vs plain"
printf '%s\n' '--------------|-------------|-----------|-------------------|----------'
for v in "${VARIANTS[@]}"; do
  jq -r --arg v "$v" '.[] | select(.variant == $v)
    | [.variant, .mean_wall_s, .wall_over_plain_pct, .mean_postgresql_cpu_s, .cpu_over_plain_pct] | @tsv' <<<"$SUMMARY" |
    awk -F'\t' '{ printf "%-13s | %11.3f | %+8.1f%% | %17.2f | %+8.1f%%\n", $1, $2, $3, $4, $5 }'
done

mkdir -p "$(dirname "$OUT")"
jq -n --argjson machine "$MACHINE" --argjson summary "$SUMMARY" --slurpfile runs "$RESULTS" \
  --argjson n "$N" --argjson reps "$REPS" --argjson sessions "$P" \
  '{benchmark: "fanout_target_overhead", machine: $machine,
    settings: {tenants: $n, repetitions: $reps, sessions: $sessions,
               postgresql: "scripts/pg-local.sh cluster: fsync, synchronous_commit and full_page_writes off"},
    summary: $summary, runs: $runs}' >"$OUT"
echo "results: $OUT"
