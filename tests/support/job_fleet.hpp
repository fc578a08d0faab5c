#pragma once
// Shared pieces of the durable-job e2e tests (crash recovery, several replicas): a migration
// tree whose second application to a tenant fails or shows, `bfm serve` processes sharing one
// state database, the job API, a held libpq session for fault injection, and the exactly-once
// checks on the state database, the target's ledger and the tenant schemas themselves.

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.hpp"

struct pg_conn;

namespace bfm::test {

inline constexpr const char* fleet_token = "e2e-fleet-token-0123456789";
inline constexpr const char* fleet_connection = "app";  // env APP_*

// A temporary directory, removed with everything in it when the object dies.
class temp_dir {
public:
    explicit temp_dir(const std::string& name);
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// Writes `postgresql/app/` under `root`: four dynamic migrations (tables, an index, an ALTER with
// a default, a backfill) with no IF NOT EXISTS and a UNIQUE insert, so that applying one twice
// to a schema fails; each also appends one row to `audit`, so a double application would show.
// Returns their IDs in version order.
std::vector<std::string> write_once_only_tree(const std::filesystem::path& root);

// Fresh state and app databases plus the tree above; prints how long the set-up took (slow
// disks make it take seconds). Returns the migration IDs.
std::vector<std::string> prepare_fleet(const std::string& state_db, const std::string& app_db,
                                       const std::filesystem::path& root);

// The seed of a randomized test: BFM_TEST_SEED when set (to replay a run), else a random one.
std::uint32_t test_seed();

// What of a bfm log to show when a test failed: warnings, errors and the last lines.
std::string log_excerpt(const std::string& log);

// cli_t000, cli_t001, ...
std::vector<std::string> tenant_schemas(int count);

struct replica_options {
    std::string binary;  // BFM_BINARY_PATH of the test executable
    std::string state_db;
    std::string app_db;
    std::filesystem::path sfm;
    std::string instance_id;  // empty: bfm makes one up (a new one on every start)
    std::string lock_lease = "2s";
    std::string poll_interval = "200ms";
};

// One `bfm serve` process (its own HTTP and gRPC ports, the shared state database).
class bfm_replica {
public:
    explicit bfm_replica(const replica_options& options);
    unsigned short port() const { return port_; }
    child_process& process() { return *process_; }
    std::string output() const { return process_->output(); }
    // Waits for GET /health to answer 200; false when the process died or it took too long.
    bool wait_healthy(std::chrono::milliseconds timeout = std::chrono::seconds(20));
    // The holder ID it claims work as (from its start-up log line); empty when not logged in time.
    std::string holder(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // SIGKILL, then reap it: nothing of it runs any more when this returns.
    void kill();

private:
    unsigned short port_ = 0;
    std::unique_ptr<child_process> process_;
};

// POST /api/v1/jobs for `schemas` of the fleet connection; the job ID, or "" (with a test
// failure) when it was not accepted.
std::string submit_job(unsigned short port, const std::vector<std::string>& schemas);
// GET /api/v1/jobs/{id}; nullopt when the server does not answer 200 (e.g. it was just killed).
std::optional<boost::json::object> get_job(unsigned short port, const std::string& job_id);
// Polls until the job is final; the last answer, or nullopt when it did not end in time.
std::optional<boost::json::object> wait_for_final(unsigned short port, const std::string& job_id,
                                                  std::chrono::milliseconds timeout);

// A libpq session kept open (exec_sql opens one per call): for locks a test holds meanwhile.
class pg_session {
public:
    explicit pg_session(const std::string& dbname);
    ~pg_session();
    pg_session(const pg_session&) = delete;
    pg_session& operator=(const pg_session&) = delete;
    // Runs `sql`; the first value of the first row ("" when none). Throws on errors.
    std::string query(const std::string& sql);
    // Runs `sql`; every row, each value as text ("" for NULL). Throws on errors.
    std::vector<std::vector<std::string>> rows(const std::string& sql);

private:
    pg_conn* conn_ = nullptr;
};

// `ARRAY['a','b',...]::text[]` for names that need no escaping (checked).
std::string sql_text_array(const std::vector<std::string>& names);

// The exactly-once checks after a job over `schemas` succeeded: for every (schema, migration)
// exactly one `applied` row in bfm_migrations (and no other status), exactly one applied `up` or
// `reconcile` row in bfm_history, no failed attempt that hit an object or key the migration
// itself creates (a second application), exactly one row in bfm.ledger of the target database,
// and the schema objects and row counts the migrations make. Adds test failures naming the
// offending targets.
void expect_applied_exactly_once(const std::string& state_db, const std::string& app_db,
                                 const std::vector<std::string>& schemas,
                                 const std::vector<std::string>& migration_ids);

// Per-target rows of the job in the state database.
struct target_row {
    int seq = 0;
    std::string schema;
    std::string status;
    std::string claimed_by;
    int attempts = 0;
};
std::vector<target_row> job_targets(const std::string& state_db, const std::string& job_id);

}  // namespace bfm::test
