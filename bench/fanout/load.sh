#!/usr/bin/env bash
# Usage: bench/fanout/load.sh [--out FILE] [N]     (default N: 1000)
#
# Status reads under load (a benchmark, not a test): while bfm fans the 12 migrations of
# bench/fanout out to N fresh tenant schemas (one job), `wrk -t2 -c64 -d10s --latency` hammers
# GET /api/v1/jobs/{id} of that running job with the API token, and the server's RSS is sampled
# every 100 ms (VmRSS in /proc) from just before the request until the job is final.
# Targets reported (not enforced): >= 20,000 req/s, p99 < 10 ms, max RSS < 60 MB.
#
# Without the job API (the server answers POST /api/v1/jobs with 404/405/501) the fan-out runs
# through POST /api/v1/migrations/up in the background and wrk reads GET /health instead; the
# results file says so ("endpoint", "api"), and those figures are not the job-status figures.
#
# Same set-up as run.sh: its own PostgreSQL 15 in a temporary directory, BFM_BIN (else
# build/bfm), BENCH_PARALLEL sessions (default 4). Writes FILE (default bench/results/load.json).
# WRK_THREADS, WRK_CONNECTIONS, WRK_DURATION change wrk's -t, -c, -d (defaults 2, 64, 10s).
set -euo pipefail

# shellcheck source=bench/fanout/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { fo_usage 2; }

N=1000
OUT=$FO_ROOT/bench/results/load.json
while (($#)); do
  case $1 in
    --out) shift; OUT=${1:-}; [[ -n $OUT ]] || usage ;;
    -h | --help) usage ;;
    *) [[ $1 =~ ^[1-9][0-9]*$ ]] || usage; N=$1 ;;
  esac
  shift
done
OUT=$(realpath -m "$OUT")
FO_PARALLEL=${BENCH_PARALLEL:-4}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
WRK_DURATION=${WRK_DURATION:-10s}

fo_require_tools jq curl psql awk wrk
fo_find_bfm

SAMPLER_PID=
FANOUT_PID=
stop_helpers() {   # the RSS sampler and a background synchronous request, both started here
  [[ -z $FO_TMP ]] || touch "$FO_TMP/stop-sampler"
  if [[ -n $SAMPLER_PID ]]; then wait "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=; fi
  if [[ -n $FANOUT_PID ]]; then
    kill "$FANOUT_PID" 2>/dev/null || true
    wait "$FANOUT_PID" 2>/dev/null || true
    FANOUT_PID=
  fi
}
cleanup() {
  local rc=$?
  stop_helpers
  (exit "$rc")
  fo_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fo_pg_start
fo_make_tree
MACHINE=$(fo_machine_json)
fo_recreate_db "$FO_TARGET_DB"
fo_recreate_db "$FO_STATE_DB"
fo_bfm_start
BODY=$FO_TMP/body.json
ANSWER=$FO_TMP/answer.json
fo_body "$N" "$BODY"

IDLE_RSS_KB=$(fo_rss_kb "$FO_BFM_PID")

# RSS every 100 ms until told to stop (a flag file, so the loop always ends cleanly).
RSS_FILE=$FO_TMP/rss.txt
: >"$RSS_FILE"
fo_sample_rss "$FO_BFM_PID" "$RSS_FILE" "$FO_TMP/stop-sampler" &
SAMPLER_PID=$!

fo_checkpoint
start=$EPOCHREALTIME
rc=0
if [[ $FO_API == sync ]]; then rc=2; else fo_submit_job "$BODY" "$ANSWER" || rc=$?; fi
if ((rc == 0)); then
  API='jobs'
  ENDPOINT=$FO_STATUS_PATH
  fo_say "job $FO_JOB_ID submitted; wrk on GET $ENDPOINT"
else
  [[ $FO_API != jobs ]] || fo_die "the server has no job API (POST /api/v1/jobs answered 404/405/501)"
  API='sync'
  ENDPOINT=/health
  fo_say "no job API in this build: fan-out through POST /api/v1/migrations/up in the background; wrk on GET /health (fallback, NOT the job-status figures)"
  start=$EPOCHREALTIME
  curl -sS -o "$ANSWER" -w '%{http_code}' --max-time "$FO_TIMEOUT_S" -X POST \
    -H "Authorization: Bearer $FO_TOKEN" -H 'Content-Type: application/json' \
    --data-binary "@$BODY" "$FO_BASE/api/v1/migrations/up" >"$FO_TMP/sync-code" &
  FANOUT_PID=$!
fi

# The fan-out should still be running while wrk reads: say whether it was.
fanout_running() {
  if [[ $API == jobs ]]; then
    fo_curl "$FO_TMP/probe.json" GET "$FO_STATUS_PATH" >/dev/null
    if fo_is_final "$(jq -r '.status // empty' "$FO_TMP/probe.json")"; then return 1; fi
  else
    kill -0 "$FANOUT_PID" 2>/dev/null
  fi
}

WRK_OUT=$FO_TMP/wrk.txt
wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --latency \
  -H "Authorization: Bearer $FO_TOKEN" "$FO_BASE$ENDPOINT" >"$WRK_OUT" 2>&1 ||
  { cat "$WRK_OUT" >&2; fo_die "wrk failed"; }
RUNNING_AT_WRK_END=false
if fanout_running; then RUNNING_AT_WRK_END=true; fi

# Wait for the fan-out to finish, then stop sampling.
if [[ $API == jobs ]]; then
  fo_wait_job "$ANSWER"
  FANOUT_S=$(fo_since "$start")
  STATUS=$(jq -r .status "$ANSWER")
else
  wait "$FANOUT_PID" || true
  FANOUT_PID=
  FANOUT_S=$(fo_since "$start")
  code=$(cat "$FO_TMP/sync-code")
  case $code in 200) STATUS=succeeded ;; 206) STATUS=partial ;; *) STATUS="http_$code" ;; esac
fi
touch "$FO_TMP/stop-sampler"
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=

[[ $STATUS == succeeded ]] || fo_die "the fan-out ended $STATUS: $(fo_failure_summary "$ANSWER")"
state=$(fo_state_applied)
count=${state%%_*}
((count == N * FO_MIGRATION_COUNT)) ||
  fo_die "bfm_migrations has $count applied rows for $N tenants, expected $((N * FO_MIGRATION_COUNT))"
fo_check_schemas "$FO_TARGET_DB" "$N"

# --- figures -----------------------------------------------------------------------------------
MAX_RSS_KB=$(sort -n "$RSS_FILE" | tail -n 1)
SAMPLES=$(wc -l <"$RSS_FILE")
# wrk prints latencies as 812.00us, 1.23ms or 1.05s: all in ms here.
wrk_ms() {
  awk -v key="$1" '$1 == key {
      v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
      if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
      printf "%.3f", v; exit }' "$WRK_OUT"
}
RPS=$(awk '$1 == "Requests/sec:" { print $2 }' "$WRK_OUT")
REQUESTS=$(awk '/requests in/ { print $1; exit }' "$WRK_OUT")
NON2XX=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$WRK_OUT")
SOCKET_ERRORS=$(sed -n 's/^ *Socket errors: *//p' "$WRK_OUT")
P50=$(wrk_ms 50%)
P75=$(wrk_ms 75%)
P90=$(wrk_ms 90%)
P99=$(wrk_ms 99%)

cat "$WRK_OUT"
echo
echo "Load: $N tenants x $FO_MIGRATION_COUNT migrations, wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION on GET $ENDPOINT ($API)"
awk -v rps="$RPS" -v p99="$P99" -v rss="$MAX_RSS_KB" -v idle="$IDLE_RSS_KB" -v non2xx="${NON2XX:-0}" \
    -v running="$RUNNING_AT_WRK_END" -v fanout="$FANOUT_S" 'BEGIN {
  printf "  requests/s   %10.0f   (target >= 20000: %s)\n", rps, (rps >= 20000 ? "met" : "NOT met")
  printf "  p99 latency  %10.3f ms (target < 10 ms: %s)\n", p99, (p99 < 10 ? "met" : "NOT met")
  printf "  max RSS      %10.1f MB (target < 60 MB: %s; idle before the request %.1f MB)\n",
         rss / 1024, (rss / 1024 < 60 ? "met" : "NOT met"), idle / 1024
  printf "  non-2xx      %10d\n", non2xx
  printf "  fan-out      %10.3f s  (under load; still running when wrk ended: %s)\n", fanout, running
}'

mkdir -p "$(dirname "$OUT")"
jq -n --argjson machine "$MACHINE" --argjson n "$N" --arg api "$API" --arg endpoint "$ENDPOINT" \
  --arg wrk "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION --latency" \
  --arg rps "$RPS" --arg requests "${REQUESTS:-0}" --arg non2xx "${NON2XX:-0}" \
  --arg socket_errors "${SOCKET_ERRORS:-}" \
  --arg p50 "$P50" --arg p75 "$P75" --arg p90 "$P90" --arg p99 "$P99" \
  --arg max_rss "$MAX_RSS_KB" --arg idle_rss "$IDLE_RSS_KB" --arg samples "$SAMPLES" \
  --argjson running "$RUNNING_AT_WRK_END" --arg fanout "$FANOUT_S" --arg status "$STATUS" \
  --argjson sessions "$FO_PARALLEL" --arg load_end "$(cut -d' ' -f1-3 /proc/loadavg)" \
  '{benchmark: "fanout-load", machine: ($machine + {loadavg_at_end: $load_end}),
    settings: {tenants: $n, migrations_per_tenant: 12, sessions: $sessions, api: $api,
               endpoint: $endpoint, wrk: $wrk, rss_sample_interval_s: 0.1},
    wrk: {requests_per_s: ($rps | tonumber), requests: ($requests | tonumber),
          non_2xx: ($non2xx | tonumber), socket_errors: $socket_errors,
          latency_ms: {p50: ($p50 | tonumber), p75: ($p75 | tonumber), p90: ($p90 | tonumber),
                       p99: ($p99 | tonumber)}},
    rss: {max_mb: (($max_rss | tonumber) / 1024 * 10 | round / 10),
          idle_mb: (($idle_rss | tonumber) / 1024 * 10 | round / 10), samples: ($samples | tonumber)},
    fanout: {status: $status, seconds_under_load: ($fanout | tonumber),
             running_when_wrk_ended: $running, verified: true},
    targets: {requests_per_s: 20000, p99_ms: 10, max_rss_mb: 60},
    targets_met: {requests_per_s: (($rps | tonumber) >= 20000), p99: (($p99 | tonumber) < 10),
                  max_rss: (($max_rss | tonumber) / 1024 < 60)}}' >"$OUT"
echo "results: $OUT"
