#!/usr/bin/env bash
# Usage: bench/watch/run.sh [--out FILE] [--placement split|shared]
#                           [SSE_WATCHERS GRPC_WATCHERS [TENANTS]]   (defaults 1000 1000 500)
#
# Event delivery to many watchers of one job (a benchmark, not a test): bfm fans the 12
# migrations of bench/fanout out to TENANTS fresh schemas as one job, and as soon as the job is
# accepted SSE_WATCHERS Server-Sent-Events subscribers (GET /api/v1/jobs/{id}/events) and
# GRPC_WATCHERS gRPC WatchJob streams attach to it (build/bench/bfm_bench_watch, one process).
# Each live event's delivery latency is its arrival time minus its own `at` stamp (set by bfm
# when it publishes; same machine clock). The server's RSS is sampled every 100 ms.
# Placement: `split` (the default on 2+ CPUs) binds bfm and its PostgreSQL to the first half of
# the CPUs and the watch client to the other half, so the load generator (which needs most of a
# core to read 2,000 streams) does not take the server's CPU; `shared` lets everything float.
# Goal (reported, not enforced): p99 < 50 ms. Writes FILE (default bench/results/watch.json).
# Needs a build with the bench client: BFM_BIN (else build/bfm) and BFM_BENCH_WATCH (else
# build/bench/bfm_bench_watch). Same PostgreSQL set-up as bench/fanout (its lib.sh).
set -euo pipefail

# shellcheck source=bench/fanout/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../fanout/lib.sh"

OUT=$FO_ROOT/bench/results/watch.json
PLACEMENT=split
CPUS=$(nproc)
(( CPUS >= 2 )) || PLACEMENT=shared
while [[ ${1:-} == --* ]]; do
  case $1 in
    --out) OUT=$(realpath -m "$2"); shift 2 ;;
    --placement) PLACEMENT=$2; shift 2 ;;
    *) fo_die "unknown option $1" ;;
  esac
done
case $PLACEMENT in
  shared) SERVER_CPUS=; CLIENT_CPUS= ;;
  split)
    (( CPUS >= 2 )) || fo_die "--placement split needs 2 CPUs or more"
    cpu_range() { if (( $1 == $2 )); then echo "$1"; else echo "$1-$2"; fi; }
    SERVER_CPUS=$(cpu_range 0 $(( CPUS / 2 - 1 ))); CLIENT_CPUS=$(cpu_range $(( CPUS / 2 )) $(( CPUS - 1 ))) ;;
  *) fo_die "--placement is split or shared, not $PLACEMENT" ;;
esac
SSE=${1:-1000}
GRPC=${2:-1000}
N=${3:-500}
for v in "$SSE" "$GRPC" "$N"; do [[ $v =~ ^[0-9]+$ ]] || fo_die "watcher and tenant counts are numbers"; done
FO_PARALLEL=${BENCH_PARALLEL:-4}
CLIENT=${BFM_BENCH_WATCH:-$FO_ROOT/build/bench/bfm_bench_watch}
[[ -x $CLIENT ]] || fo_die "no watch client at $CLIENT: build the bench targets (or set BFM_BENCH_WATCH)"

fo_require_tools jq curl psql awk
[[ $PLACEMENT == shared ]] || fo_require_tools taskset
fo_find_bfm
fo_install_traps
fo_pg_start
fo_make_tree
for db in "$FO_TARGET_DB" "$FO_STATE_DB"; do fo_recreate_db "$db"; done
# ~2 open files per watcher, plus the database sessions.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fo_bfm_start
CLIENT_LAUNCH=()
if [[ $PLACEMENT == split ]]; then
  fo_pin "$SERVER_CPUS" "$(head -n 1 "$FO_TMP/pg/data/postmaster.pid")"
  fo_pin "$SERVER_CPUS" "$FO_BFM_PID"
  CLIENT_LAUNCH=(taskset -c "$CLIENT_CPUS")
fi
IDLE_RSS_KB=$(fo_rss_kb "$FO_BFM_PID")

body=$FO_TMP/body.json
fo_body "$N" "$body"
RSS_FILE=$FO_TMP/rss.txt
: >"$RSS_FILE"
fo_sample_rss "$FO_BFM_PID" "$RSS_FILE" &
SAMPLER=$!
fo_submit_job "$body" "$FO_TMP/answer.json" || fo_die "POST /api/v1/jobs failed"
fo_say "job $FO_JOB_ID: $N tenants; attaching $SSE SSE and $GRPC gRPC watchers (placement: $PLACEMENT)"
REPORT=$("${CLIENT_LAUNCH[@]}" "$CLIENT" 127.0.0.1 "${FO_BASE##*:}" "$FO_GRPC_PORT" "$FO_TOKEN" "$FO_JOB_ID" "$SSE" "$GRPC") ||
  fo_die "the watch client failed: $REPORT"
kill "$SAMPLER" 2>/dev/null || true
wait "$SAMPLER" 2>/dev/null || true
fo_wait_job "$FO_TMP/final.json"
[[ $(jq -r .status "$FO_TMP/final.json") == succeeded ]] || fo_die "the job did not succeed"
MAX_RSS_KB=$(sort -n "$RSS_FILE" | tail -1)

jq -n --argjson report "$REPORT" --arg n "$N" --arg idle "$IDLE_RSS_KB" --arg max "$MAX_RSS_KB" \
  --arg placement "$PLACEMENT" --arg server_cpus "$SERVER_CPUS" --arg client_cpus "$CLIENT_CPUS" \
  --argjson machine "$(fo_machine_json)" '
  $report + {tenants: ($n | tonumber), migrations_per_tenant: 12,
             placement: {mode: $placement, server_cpus: $server_cpus, client_cpus: $client_cpus},
             live_events_per_s: (if $report.live_window_s > 0 then ($report.latency_ms.events
               / ($report.sse_watchers + $report.grpc_watchers) / $report.live_window_s | round) else 0 end),
             rss_mb: {idle: (($idle | tonumber) / 1024 * 10 | round / 10),
                      max: (($max | tonumber) / 1024 * 10 | round / 10)},
             goal_p99_ms: 50, goal_met: ($report.latency_ms.p99 < 50), machine: $machine}' >"$OUT"
jq -r '"placement: \(.placement.mode)\(if .placement.mode == "split" then " (bfm + PostgreSQL on CPU \(.placement.server_cpus), client on CPU \(.placement.client_cpus))" else "" end)
watchers: \(.sse_watchers) SSE + \(.grpc_watchers) gRPC, \(.watchers_finished) saw job_finished, \(.watchers_failed) failed; all attached after \(.attach_s) s
events per watcher: \(.events_per_watcher.min)..\(.events_per_watcher.max); live window \(.live_window_s) s, \(.live_events_per_s) events/s published, \(.grpc_messages_per_s) WatchJob messages/s received
live latency ms (\(.latency_ms.events) deliveries): p50 \(.latency_ms.p50), p90 \(.latency_ms.p90), p99 \(.latency_ms.p99) (goal < 50: \(if .goal_met then "met" else "NOT met" end)), max \(.latency_ms.max)
  SSE p50 \(.latency_ms_sse.p50), p99 \(.latency_ms_sse.p99); gRPC p50 \(.latency_ms_grpc.p50), p99 \(.latency_ms_grpc.p99)
with the attach backlog (\(.latency_ms_with_backlog.events)): p50 \(.latency_ms_with_backlog.p50), p99 \(.latency_ms_with_backlog.p99), max \(.latency_ms_with_backlog.max)
bfm RSS: idle \(.rss_mb.idle) MB, max \(.rss_mb.max) MB"' "$OUT"
echo "results: $OUT"
