#include "core/bfm_metrics.hpp"

#include <string>
#include <vector>

#include "core/metrics.hpp"

namespace bfm::core::metrics {

namespace {

// Requests: fast reads take well under a millisecond; synchronous migrate calls minutes.
const std::vector<double> request_buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,   0.5,   1,      2.5,   5,    10,    30,   60,
                                             300};
const std::vector<double> migration_buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,   2.5,
                                               5,     10,   30,    60,   120, 300,  600, 1800, 3600};
const std::vector<double> lock_wait_buckets = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5,
                                               1,     5,     10,   30,   60,  300};

struct bfm_registry {
    registry all;
    counter_family& http_requests = all.counter(
        "bfm_http_requests_total", "HTTP requests by route template, method and status code.",
        {"route", "method", "code"});
    histogram_family& http_duration =
        all.histogram("bfm_http_request_duration_seconds",
                      "HTTP request handling time by route template (streams: until the header).",
                      {"route", "method"}, request_buckets);
    counter_family& grpc_requests = all.counter(
        "bfm_grpc_requests_total", "gRPC calls by method and status code.", {"method", "code"});
    histogram_family& grpc_duration = all.histogram(
        "bfm_grpc_request_duration_seconds", "gRPC call time by method.", {"method"},
        request_buckets);
    counter_family& migrations = all.counter(
        "bfm_migrations_total",
        "Migrations run by this process on a target, by outcome (applied|failed|skipped).",
        {"outcome"});
    histogram_family& migration_duration =
        all.histogram("bfm_migration_duration_seconds",
                      "Time to apply one migration to one target, by outcome.", {"outcome"},
                      migration_buckets);
    histogram_family& lock_wait = all.histogram(
        "bfm_lock_wait_seconds", "Time from asking for a target lease to holding it.", {},
        lock_wait_buckets);
    counter_family& retries = all.counter(
        "bfm_retries_total", "Migration retries after a lock timeout or serialization failure.");
    gauge_family& state_up = all.gauge(
        "bfm_state_up", "1 when the state database answered the last scrape's queries, else 0.");
    gauge_family& jobs =
        all.gauge("bfm_jobs", "Jobs in the state database by status (all replicas).", {"status"});
    gauge_family& job_targets = all.gauge(
        "bfm_job_targets", "Job targets in the state database by status (all replicas).",
        {"status"});

    bfm_registry() {
        // Outcomes exist from the start, so increase() works from the first migration on.
        for (const char* outcome : {"applied", "failed", "skipped"}) {
            migrations.inc({outcome}, 0);
        }
    }
};

bfm_registry& metrics() {
    static bfm_registry instance;
    return instance;
}

}  // namespace

void record_http_request(std::string_view route, std::string_view method, unsigned code,
                         double seconds) {
    bfm_registry& m = metrics();
    const std::string r(route);
    const std::string verb(method);
    m.http_requests.inc({r, verb, std::to_string(code)});
    m.http_duration.observe({r, verb}, seconds);
}

void record_grpc_request(std::string_view method, std::string_view code, double seconds) {
    bfm_registry& m = metrics();
    const std::string name(method);
    m.grpc_requests.inc({name, std::string(code)});
    m.grpc_duration.observe({name}, seconds);
}

void record_migration(std::string_view outcome, double seconds) {
    bfm_registry& m = metrics();
    const std::string o(outcome);
    m.migrations.inc({o});
    if (o != "skipped") m.migration_duration.observe({o}, seconds);
}

void record_migrations_skipped(std::int64_t count) {
    if (count > 0) metrics().migrations.inc({"skipped"}, static_cast<double>(count));
}

void record_lock_wait(double seconds) { metrics().lock_wait.observe({}, seconds); }

void record_retry() { metrics().retries.inc({}); }

void set_job_gauges(bool ok, const std::map<std::string, std::int64_t>& jobs,
                    const std::map<std::string, std::int64_t>& targets) {
    bfm_registry& m = metrics();
    m.state_up.set({}, ok ? 1 : 0);
    m.jobs.clear();
    m.job_targets.clear();
    if (!ok) return;
    for (const auto& [status, n] : jobs) m.jobs.set({status}, static_cast<double>(n));
    for (const auto& [status, n] : targets) m.job_targets.set({status}, static_cast<double>(n));
}

std::string render() { return metrics().all.render(); }

}  // namespace bfm::core::metrics
