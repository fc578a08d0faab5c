#pragma once
// What the operations endpoints show (SPEC 7, 13): readiness, configured connections and the
// fleet of targets known in the state database, plus the job counts /metrics reports.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bfm::core {

// GET /ready: ready when every check passed; `reasons` says what is not, for the 503.
struct readiness_report {
    bool ready = false;
    std::vector<std::string> reasons;
    std::map<std::string, std::string> checks;  // name -> "ok" or what is wrong
};

// GET /api/v1/connections: one configured connection and whether it answers. Never a secret.
struct connection_status {
    std::string name;
    std::string backend;
    std::string host;
    std::uint16_t port = 0;
    std::string database;
    std::string schema;  // {CONN}_SCHEMA, may be empty
    int max_connections = 0;
    bool healthy = false;
    double latency_ms = 0;  // of the `SELECT 1`, including waiting for a session
    std::string error;      // server or client message when unhealthy
};

// GET /api/v1/targets filters. `schema` is exact, or a prefix when it ends with '*'.
struct target_query {
    std::string connection;
    std::string schema;
    std::string status;  // "" | failed | pending | modified | ok
    std::size_t limit = 100;
    std::size_t offset = 0;
};

// One (connection, schema) known in bfm_migrations, with its counts.
struct target_summary {
    std::string connection;
    std::string schema;
    std::int64_t applied = 0;
    std::int64_t pending = 0;   // registry migrations for this target not applied
    std::int64_t failed = 0;
    std::int64_t modified = 0;  // applied with a checksum other than the registry's
    std::int64_t rolled_back = 0;
    std::string last_applied_at;  // RFC 3339 UTC, empty when nothing was applied
};

struct target_page {
    std::vector<target_summary> items;
    std::size_t total = 0;
};

// Jobs and job targets by status, over the whole state database.
struct job_status_counts {
    std::map<std::string, std::int64_t> jobs;
    std::map<std::string, std::int64_t> targets;
};

}  // namespace bfm::core
