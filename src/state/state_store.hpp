#pragma once
// The central state database (SPEC 5.1), PostgreSQL flavour: what ran where, and the
// append-only history of every attempt.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "backends/postgresql/pg_pool.hpp"
#include "core/config.hpp"
#include "core/job_request.hpp"
#include "core/migration.hpp"
#include "core/registry.hpp"
#include "core/service.hpp"

namespace bfm::state {

// The state of one migration for one target.
struct migration_state {
    std::string status;  // pending|running|applied|failed|rolled_back|missing
    std::string checksum;
    std::string attempt_id;
};

// One finished attempt to run a migration on a target, written as the current state plus one
// history row, atomically.
struct attempt_record {
    std::string attempt_id;
    const core::migration* migration = nullptr;
    std::string connection;
    std::string schema;
    std::string action = "up";  // up|down|rollback|baseline|force|repair|skip|reconcile
    std::string status;         // applied|failed|...
    std::string error_message;
    std::chrono::system_clock::time_point started_at;
    std::chrono::system_clock::time_point finished_at;
    core::execution_origin origin;
    std::string job_id;
    // Fencing token of the target lease the writer holds (0: none). A write whose lease was
    // taken over is refused: the new owner records the truth from the ledger.
    std::int64_t fence_token = 0;
    // Only a history row: the current state stays as it is (a failed rollback leaves the
    // migration `applied`, SPEC 3).
    bool history_only = false;
};

class state_store {
public:
    state_store(boost::asio::any_io_executor ex, const core::app_config& config);

    // Runs bfm's internal migrations under an advisory lock so that several replicas starting
    // at once create the tables exactly once.
    boost::asio::awaitable<pg::status> initialize();

    // `SELECT 1` on a pooled session: reachability only, never DDL.
    boost::asio::awaitable<pg::status> ping();

    // Every recorded state of the given schemas, on any connection, in one query: what the
    // planner needs for a target and for the fixed schemas its dependencies live in.
    using target_key = std::pair<std::string, std::string>;  // (connection, schema)
    boost::asio::awaitable<
        pg::result<std::map<target_key, std::map<std::string, migration_state>>>>
    load_schemas(const std::vector<std::string>& schemas);

    // Reindex bookkeeping: rows of migrations no longer in `known_ids` become `missing` (their
    // history stays); `missing` rows whose migration is known again get the status of their
    // latest history row back. Returns how many rows changed.
    boost::asio::awaitable<pg::result<std::int64_t>> sync_missing(
        const std::vector<std::string>& known_ids);

    // Which of these attempt IDs already have a history row (ledger reconciliation, SPEC 5.2).
    boost::asio::awaitable<pg::result<std::set<std::string>>> recorded_attempts(
        const std::vector<std::string>& attempt_ids);

    boost::asio::awaitable<pg::status> record(const attempt_record& attempt);
    // Several attempts (of different migrations or targets) in one statement.
    boost::asio::awaitable<pg::status> record_all(const std::vector<attempt_record>& attempts);

    // Registry migrations merged with recorded state, filtered and paginated.
    boost::asio::awaitable<pg::result<core::list_page>> list(const core::list_query& query,
                                                             const core::registry& registry);

    void shutdown() { pool_->shutdown(); }

    // For the job and lease stores, which share the state database sessions.
    const std::shared_ptr<pg::pool>& pool() const { return pool_; }
    const std::string& schema() const { return schema_; }
    std::chrono::milliseconds wait_timeout() const { return wait_timeout_; }

private:
    std::string table(std::string_view name) const;

    std::string schema_;
    std::chrono::milliseconds wait_timeout_;
    std::shared_ptr<pg::pool> pool_;
};

// Timestamps as PostgreSQL accepts and the API shows them: RFC 3339, UTC, milliseconds.
std::string to_rfc3339(std::chrono::system_clock::time_point t);

}  // namespace bfm::state
