#pragma once
// What the network layer (HTTP now, gRPC later) needs from the engine. The router depends on
// this interface only, so its error paths can be unit-tested without databases.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/fleet_types.hpp"
#include "core/job_request.hpp"
#include "core/jobs/job_service.hpp"
#include "core/migration_result.hpp"
#include "core/migration_reads.hpp"

namespace bfm::core {

// One step of a target's plan, as dry runs and the plan endpoint show it.
struct planned_step {
    std::string migration_id;
    std::string connection;
    std::string schema;
    bool run = true;            // false: skipped, `reason` says why
    std::string reason;
    bool dependency = false;    // added because a selected migration depends on it
    bool out_of_order = false;
    bool transactional = true;
    std::string sql;            // the up script as it would be sent, templates rendered
};

struct target_result {
    std::string connection;
    std::string schema;
    std::vector<migration_result> migrations;  // in execution order
    std::string error;  // target-level failure (connect, create schema, plan)
    std::vector<planned_step> plan;  // filled for dry runs and the plan endpoint
    bool ok() const;
};

struct run_result {
    std::vector<target_result> targets;
    bool success() const;
};

struct list_query {
    std::string schema;  // exact, or a comma-separated list
    std::string table;
    std::string connection;
    std::string backend;
    std::string status;  // pending|applied|failed|rolled_back|missing
    std::string version;
    std::size_t limit = 100;  // 1..1000
    std::size_t offset = 0;
};

struct migration_row {
    std::string migration_id;
    std::string schema;
    std::string table;
    std::string version;
    std::string name;
    std::string connection;
    std::string backend;
    std::string status;
    std::string applied_at;  // RFC 3339 UTC, empty when never applied
    std::string error_message;
    std::string checksum;
    std::int64_t execution_ms = 0;
};

struct list_page {
    std::vector<migration_row> items;
    std::size_t total = 0;
};

struct health_report {
    bool healthy = false;
    std::map<std::string, std::string> checks;  // "state" -> "ok" or the error
};

struct reindex_report {
    std::vector<std::string> added;
    std::vector<std::string> removed;  // marked `missing` in state; history is kept
    std::vector<std::string> updated;  // checksum or metadata changed
    std::size_t total = 0;
};

// Load problems make a reindex fail as a whole (the running registry stays); `code` tells
// the HTTP layer which status fits.
struct reindex_error {
    std::string code;  // "path_outside_root" (400), "load_failed" (422), "state_unavailable" (503)
    std::string message;
    std::vector<std::string> problems;  // "file:line: message" for load failures
};

struct order_batch_result {
    std::vector<std::string> ordered_ids;  // the caller's strings, in dependency order
    std::optional<service_error> error;    // unknown_migration | wrong_connection | dependency_error
};

// A migration as the registry knows it, for endpoints that name one (`/migrations/{id}/...`).
struct migration_ref {
    std::string id;          // canonical
    std::string connection;
    std::string schema;      // declared schema; empty for a dynamic migration
    std::string id_schema;   // the schema of an upstream `{schema}_{id}` form, else empty
    bool has_down = false;
};

// Jobs (SPEC 6) come from job_service; the synchronous migrate_up is a job that is awaited.
class migration_service : public job_service {
public:
    virtual ~migration_service() = default;
    virtual const app_config& config() const = 0;
    // Runs a request of any kind (up, down, rollback) as a job and awaits it; dry runs are
    // planned without a job.
    virtual boost::asio::awaitable<service_outcome<run_result>> migrate_up(job_request request) = 0;
    virtual boost::asio::awaitable<service_outcome<list_page>> list_migrations(
        list_query query) = 0;
    virtual boost::asio::awaitable<health_report> health() = 0;

    // Canonical ID, alias or upstream `{schema}_{id}`; nullopt when unknown or ambiguous.
    virtual std::optional<migration_ref> resolve_migration(std::string_view id) const = 0;

    // Dependency order of the given IDs (canonical, aliases or upstream `{schema}_{id}`), all
    // of which must belong to `connection`.
    virtual order_batch_result order_batch(const std::string& connection,
                                           const std::vector<std::string>& ids) = 0;

    // Rebuilds the registry from `path` (empty: the configured root; anything outside the
    // configured root is refused) and swaps it in atomically.
    struct reindex_outcome {
        std::optional<reindex_report> report;
        std::optional<reindex_error> error;
    };
    virtual boost::asio::awaitable<reindex_outcome> reindex(std::string path) = 0;

    // Reads of one migration (upstream's GET /api/v1/migrations/{id}[/...]). `id`: canonical,
    // an alias, upstream's `{schema}_{id}` (its schema selects the target), or the exact ID of
    // a migration whose files are gone but whose state is recorded. Errors: migration_not_found,
    // schema_conflict (`query.schema` differs from the ID's schema), state_unavailable.
    virtual boost::asio::awaitable<service_outcome<migration_detail>> get_migration(
        std::string id, read_query query) = 0;
    virtual boost::asio::awaitable<service_outcome<status_report>> migration_status(
        std::string id, read_query query) = 0;
    virtual boost::asio::awaitable<service_outcome<applied_report>> migration_applied(
        std::string id, read_query query) = 0;
    virtual boost::asio::awaitable<service_outcome<history_page>> migration_history(
        std::string id, read_query query) = 0;
    virtual boost::asio::awaitable<service_outcome<state_page>> migration_executions(
        std::string id, read_query query) = 0;
    virtual boost::asio::awaitable<service_outcome<history_page>> migration_skipped(
        std::string id, read_query query) = 0;
    // Across all migrations, newest first.
    virtual boost::asio::awaitable<service_outcome<state_page>> recent_executions(
        read_query query) = 0;
    virtual boost::asio::awaitable<service_outcome<history_page>> recent_skipped(
        read_query query) = 0;

    // Operations (SPEC 7, 13): readiness, configured connections with a live check, the fleet
    // view of targets, and job counts for /metrics.
    virtual boost::asio::awaitable<readiness_report> readiness() = 0;
    virtual boost::asio::awaitable<std::vector<connection_status>> connections() = 0;
    virtual boost::asio::awaitable<service_outcome<target_page>> targets(target_query query) = 0;
    virtual boost::asio::awaitable<service_outcome<job_status_counts>> job_counts() = 0;
};

}  // namespace bfm::core
