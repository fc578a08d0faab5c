#!/usr/bin/env bash
# Usage: bench/watch/run.sh [--out FILE] [SSE_WATCHERS GRPC_WATCHERS [TENANTS]]
#        (defaults 1000 1000 500)
#
# Event delivery to many watchers of one job (a benchmark, not a test): bfm fans the 12
# migrations of bench/fanout out to TENANTS fresh schemas as one job, and as soon as the job is
# accepted SSE_WATCHERS Server-Sent-Events subscribers (GET /api/v1/jobs/{id}/events) and
# GRPC_WATCHERS gRPC WatchJob streams attach to it (build/bench/bfm_bench_watch, one process).
# Each live event's delivery latency is its arrival time minus its own `at` stamp (set by bfm
# when it publishes; same machine clock). The server's RSS is sampled every 100 ms.
# Goal (reported, not enforced): p99 < 50 ms. Writes FILE (default bench/results/watch.json).
# Needs a build with the bench client: BFM_BIN (else build/bfm) and BFM_BENCH_WATCH (else
# build/bench/bfm_bench_watch). Same PostgreSQL set-up as bench/fanout (its lib.sh).
set -euo pipefail

# shellcheck source=bench/fanout/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../fanout/lib.sh"

OUT=$FO_ROOT/bench/results/watch.json
if [[ ${1:-} == --out ]]; then OUT=$(realpath -m "$2"); shift 2; fi
SSE=${1:-1000}
GRPC=${2:-1000}
N=${3:-500}
for v in "$SSE" "$GRPC" "$N"; do [[ $v =~ ^[0-9]+$ ]] || fo_die "watcher and tenant counts are numbers"; done
FO_PARALLEL=${BENCH_PARALLEL:-4}
CLIENT=${BFM_BENCH_WATCH:-$FO_ROOT/build/bench/bfm_bench_watch}
[[ -x $CLIENT ]] || fo_die "no watch client at $CLIENT: build the bench targets (or set BFM_BENCH_WATCH)"

fo_require_tools jq curl psql awk
fo_find_bfm
fo_install_traps
fo_pg_start
fo_make_tree
for db in "$FO_TARGET_DB" "$FO_STATE_DB"; do fo_recreate_db "$db"; done
# ~2 open files per watcher, plus the database sessions.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fo_bfm_start
IDLE_RSS_KB=$(fo_rss_kb "$FO_BFM_PID")

body=$FO_TMP/body.json
fo_body "$N" "$body"
RSS_FILE=$FO_TMP/rss.txt
: >"$RSS_FILE"
fo_sample_rss "$FO_BFM_PID" "$RSS_FILE" &
SAMPLER=$!
fo_submit_job "$body" "$FO_TMP/answer.json" || fo_die "POST /api/v1/jobs failed"
fo_say "job $FO_JOB_ID: $N tenants; attaching $SSE SSE and $GRPC gRPC watchers"
REPORT=$("$CLIENT" 127.0.0.1 "${FO_BASE##*:}" "$FO_GRPC_PORT" "$FO_TOKEN" "$FO_JOB_ID" "$SSE" "$GRPC") ||
  fo_die "the watch client failed: $REPORT"
kill "$SAMPLER" 2>/dev/null || true
wait "$SAMPLER" 2>/dev/null || true
fo_wait_job "$FO_TMP/final.json"
[[ $(jq -r .status "$FO_TMP/final.json") == succeeded ]] || fo_die "the job did not succeed"
MAX_RSS_KB=$(sort -n "$RSS_FILE" | tail -1)

jq -n --argjson report "$REPORT" --arg n "$N" --arg idle "$IDLE_RSS_KB" --arg max "$MAX_RSS_KB" \
  --argjson machine "$(fo_machine_json)" '
  $report + {tenants: ($n | tonumber), migrations_per_tenant: 12,
             rss_mb: {idle: (($idle | tonumber) / 1024 * 10 | round / 10),
                      max: (($max | tonumber) / 1024 * 10 | round / 10)},
             goal_p99_ms: 50, goal_met: ($report.latency_ms.p99 < 50), machine: $machine}' >"$OUT"
jq -r '"watchers: \(.sse_watchers) SSE + \(.grpc_watchers) gRPC, \(.watchers_finished) saw job_finished, \(.watchers_failed) failed; all attached after \(.attach_s) s
events per watcher: \(.events_per_watcher.min)..\(.events_per_watcher.max); live window \(.live_window_s) s
live latency ms (\(.latency_ms.events) deliveries): p50 \(.latency_ms.p50), p90 \(.latency_ms.p90), p99 \(.latency_ms.p99) (goal < 50: \(if .goal_met then "met" else "NOT met" end)), max \(.latency_ms.max)
  SSE p50 \(.latency_ms_sse.p50), p99 \(.latency_ms_sse.p99); gRPC p50 \(.latency_ms_grpc.p50), p99 \(.latency_ms_grpc.p99)
with the attach backlog (\(.latency_ms_with_backlog.events)): p50 \(.latency_ms_with_backlog.p50), p99 \(.latency_ms_with_backlog.p99), max \(.latency_ms_with_backlog.max)
bfm RSS: idle \(.rss_mb.idle) MB, max \(.rss_mb.max) MB"' "$OUT"
echo "results: $OUT"
