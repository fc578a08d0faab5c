#pragma once
// bfm's own metrics (SPEC 7 /metrics, SPEC 13): one-line recording functions for the HTTP
// router, the gRPC bridge and the engine, and the text of GET /metrics. All of them are safe to
// call from any thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace bfm::core::metrics {

// bfm_http_requests_total{route,method,code} and bfm_http_request_duration_seconds{route,method}.
// `route` is the route TEMPLATE ("/api/v1/jobs/{id}"), never a raw path.
void record_http_request(std::string_view route, std::string_view method, unsigned code,
                         double seconds);

// bfm_grpc_requests_total{method,code} and bfm_grpc_request_duration_seconds{method}.
// `method` is the full RPC name ("/migration.MigrationService/Migrate"), `code` the status name
// ("OK", "UNAUTHENTICATED", ...).
void record_grpc_request(std::string_view method, std::string_view code, double seconds);

// bfm_migrations_total{outcome} (applied|failed|skipped) and, for applied and failed,
// bfm_migration_duration_seconds{outcome}.
void record_migration(std::string_view outcome, double seconds);
void record_migrations_skipped(std::int64_t count);

// bfm_lock_wait_seconds: time from asking for a target lease to holding it.
void record_lock_wait(double seconds);

// bfm_retries_total: lock-timeout and serialization-failure retries of a migration.
void record_retry();

// bfm_jobs{status} and bfm_job_targets{status}, recomputed at scrape time. `ok` false (the state
// DB did not answer) drops them and sets bfm_state_up 0.
void set_job_gauges(bool ok, const std::map<std::string, std::int64_t>& jobs,
                    const std::map<std::string, std::int64_t>& targets);

// The exposition text of every bfm metric (Content-Type text/plain; version=0.0.4).
std::string render();

// Seconds since `start`, for the one-line calls above.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace bfm::core::metrics
