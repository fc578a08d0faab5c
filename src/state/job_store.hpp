#pragma once
// Durable jobs in the state database (SPEC 6): bfm_jobs and bfm_job_targets. The target rows
// are also the queue: replicas claim them with FOR UPDATE SKIP LOCKED, each claim carrying a
// fencing token (claim_token) and a lease the claimer's heartbeat extends.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backends/postgresql/pg_pool.hpp"
#include "core/jobs/job_types.hpp"

namespace bfm::state {

// A target as a job is created with it. Targets that cannot run (or have nothing to do) are
// created finished.
struct new_target {
    std::string connection;
    std::string schema;
    core::target_status status = core::target_status::queued;
    std::string error;
    std::int64_t skipped = 0;  // finished with nothing to do: every selected migration applied
};

struct claimed_target {
    std::string job_id;
    std::int64_t seq = 0;
    std::string connection;
    std::string schema;
    std::int64_t claim_token = 0;  // fences this claim's writes to the target row
    std::int64_t attempts = 0;     // > 1: taken over from a claimer that died or lost its lease
    std::string request_json;      // empty when the claimer said it knows the job already
    core::job_options options;
};

struct target_outcome {
    core::target_status status = core::target_status::succeeded;
    std::string error;
    std::int64_t duration_ms = 0;
    std::int64_t applied = 0;
    std::int64_t skipped = 0;
    std::int64_t failed = 0;
    std::vector<core::migration_result> migrations;
};

// What the heartbeat learned about the targets this replica runs.
struct heartbeat_report {
    std::set<std::pair<std::string, std::int64_t>> kept;  // (job_id, seq) still ours
    std::set<std::string> cancel_requested;               // jobs whose cancel was asked for
};

class job_store {
public:
    job_store(std::shared_ptr<pg::pool> pool, std::string schema,
              std::chrono::milliseconds wait_timeout);

    // Job and targets in one transaction. A job whose targets are all finished already is
    // stored finished (status decided by finish_status()).
    boost::asio::awaitable<pg::status> insert(const core::job_summary& job,
                                              const std::string& request_json,
                                              const std::vector<new_target>& targets);

    boost::asio::awaitable<pg::result<std::optional<core::job_summary>>> get(
        const std::string& job_id);
    boost::asio::awaitable<pg::result<core::job_page>> list(const core::job_list_query& query);
    // nullopt when the job does not exist.
    boost::asio::awaitable<pg::result<std::optional<core::job_target_page>>> targets(
        const std::string& job_id, const core::job_target_query& query);

    // Up to `limit` runnable targets of `connection`, oldest job first: queued ones, and
    // running ones whose claimer's lease expired (taken over). Their jobs become `running`.
    // The stored request comes with each claim unless its job is one of `known_jobs`: a
    // fan-out's request names every tenant, and shipping it per claim made a big fan-out
    // quadratic.
    boost::asio::awaitable<pg::result<std::vector<claimed_target>>> claim(
        const std::string& connection, std::size_t limit, const std::string& holder,
        std::chrono::milliseconds lease, const std::vector<std::string>& known_jobs = {});
    // The request a job was submitted with (as stored); nullopt when there is no such job.
    boost::asio::awaitable<pg::result<std::optional<std::string>>> request_json(
        const std::string& job_id);

    // Records a target's end and adds it to the job's counts, unless the claim was lost
    // (nullopt then: another replica owns the target now). Returns the job after the update.
    boost::asio::awaitable<pg::result<std::optional<core::job_summary>>> finish_target(
        const claimed_target& target, const target_outcome& outcome);

    // Hands a claimed target back to the queue (shutdown), if the claim is still ours.
    boost::asio::awaitable<pg::status> requeue(const claimed_target& target);

    // on_error=stop / max_failures reached: queued targets are cancelled and the job marked
    // stopped. Returns the job after the update.
    boost::asio::awaitable<pg::result<core::job_summary>> stop_remaining(const std::string& job_id,
                                                                         const std::string& why);

    // Sets the final status once every target is done; nullopt when not done, or when another
    // replica finished it first (only one caller sees the transition).
    boost::asio::awaitable<pg::result<std::optional<core::job_summary>>> finish_job_if_done(
        const std::string& job_id);

    // Asks for cancellation: queued targets are cancelled now; running ones are cancelled by
    // their claimer (which sees cancel_requested on its heartbeat). nullopt: no such job.
    boost::asio::awaitable<pg::result<std::optional<core::job_summary>>> cancel(
        const std::string& job_id);

    // Extends the leases of every target `holder` runs and stores their current migration.
    boost::asio::awaitable<pg::result<heartbeat_report>> heartbeat(
        const std::string& holder, std::chrono::milliseconds lease,
        const std::vector<std::pair<claimed_target, std::string>>& current);

    // Statements of a `transaction off` migration already run on a target (resume point).
    boost::asio::awaitable<pg::result<std::int64_t>> statements_done(
        const std::string& connection, const std::string& schema, const std::string& migration_id,
        const std::string& checksum);
    boost::asio::awaitable<pg::status> save_statements_done(
        const std::string& connection, const std::string& schema, const std::string& migration_id,
        const std::string& checksum, std::int64_t done, const std::string& job_id);
    boost::asio::awaitable<pg::status> clear_statements_done(const std::string& connection,
                                                             const std::string& schema,
                                                             const std::string& migration_id);

private:
    std::string table(std::string_view name) const;
    boost::asio::awaitable<pg::result<pg::rows>> run(const std::string& sql,
                                                     const std::vector<pg::param>& params);

    std::shared_ptr<pg::pool> pool_;
    std::string schema_;
    std::chrono::milliseconds wait_timeout_;
};

// Final job status from its counts: cancelled when a cancel was asked, succeeded when nothing
// failed, failed when everything failed or the job stopped on errors, else partial.
core::job_status finish_status(const core::job_counts& counts, bool cancel_requested, bool stopped);

std::string migrations_to_json(const std::vector<core::migration_result>& migrations);
std::vector<core::migration_result> migrations_from_json(std::string_view text);

}  // namespace bfm::state
