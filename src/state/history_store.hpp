#pragma once
// Reads of recorded state and history for the migration read endpoints: current state per
// target (bfm_migrations), attempts and skips (bfm_history), paginated with their totals.
// Read-only; the writes are in state_store.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/postgresql/pg_pool.hpp"
#include "core/job_request.hpp"
#include "core/migration.hpp"
#include "core/migration_reads.hpp"

namespace bfm::state {

// What is recorded about a migration ID the registry does not know (its files are gone).
struct recorded_migration {
    std::string connection;
    std::string schema;
    std::string table;
    std::string version;
    std::string name;
    std::string backend;
    std::string checksum;
};

// Which state rows or history rows a read is about. Empty strings match anything.
struct row_filter {
    std::string migration_id;
    std::string connection;
    std::string schema;
};

// The state rows of one status among the rows a filter matches.
struct status_group {
    std::string status;
    std::int64_t count = 0;
    std::string latest_applied_at;  // RFC 3339; empty when none of them was applied
    std::string latest_error;       // of the most recently updated row with an error
};

enum class state_order {
    recent_first,  // updated_at DESC (upstream's executions lists)
    by_target,     // connection, schema
};

// Which history rows: `action` one action; empty = every action but `skip` (skips have their
// own endpoints and would drown the attempts of a busy fan-out).
struct history_filter {
    row_filter rows;
    std::string action;
};

// A migration a run skipped on a target because it is applied there already (SPEC 3: "the
// skip is recorded"): a bfm_history row with action `skip`; the current state is untouched.
struct skip_record {
    const core::migration* migration = nullptr;
    std::string connection;
    std::string schema;
    std::string reason;  // the planner's: "already applied", "applied; file modified since..."
    core::execution_origin origin;
    std::string job_id;
    std::int64_t fence_token = 0;  // lease held on the target (0: none); a lost lease writes nothing
    std::chrono::system_clock::time_point at;
};

class history_store {
public:
    history_store(std::shared_ptr<pg::pool> pool, std::string schema,
                  std::chrono::milliseconds wait_timeout);

    // A state row, else a history row, with this exact migration ID; nullopt when neither.
    boost::asio::awaitable<pg::result<std::optional<recorded_migration>>> find_recorded(
        const std::string& migration_id);

    // Counts per status of the state rows `filter` matches (one round trip).
    boost::asio::awaitable<pg::result<std::vector<status_group>>> status_groups(
        const row_filter& filter);

    boost::asio::awaitable<pg::result<core::state_page>> states(const row_filter& filter,
                                                                state_order order,
                                                                std::size_t limit,
                                                                std::size_t offset);

    // Newest first (by history row ID: the order attempts were recorded in).
    boost::asio::awaitable<pg::result<core::history_page>> history(const history_filter& filter,
                                                                   std::size_t limit,
                                                                   std::size_t offset);

    // All skips of one target run in one INSERT.
    boost::asio::awaitable<pg::status> record_skips(const std::vector<skip_record>& skips);

private:
    std::string table(std::string_view name) const;

    std::shared_ptr<pg::pool> pool_;
    std::string schema_;
    std::chrono::milliseconds wait_timeout_;
};

}  // namespace bfm::state
