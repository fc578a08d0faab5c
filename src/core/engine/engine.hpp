#pragma once
// The migration engine: turns a validated job_request into per-target runs against the
// configured connections and records every attempt in the state store. The HTTP layer (and the
// CLI and gRPC later) talk to it through core::migration_service.

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/engine/job_scheduler.hpp"
#include "core/engine/target_groups.hpp"
#include "core/engine/target_runner.hpp"
#include "core/loader.hpp"
#include "core/registry.hpp"
#include "core/service.hpp"
#include "state/state_store.hpp"

namespace bfm::core {

// Where the registry comes from: the configured directory, or files compiled into the binary.
struct registry_source {
    std::string root;                            // directory; empty when embedded
    std::function<load_result()> load_embedded;  // set when the tree is embedded
};

class engine final : public migration_service {
public:
    engine(boost::asio::any_io_executor ex, const app_config& config, registry_ptr registry,
           registry_source source = {});

    // Runs the state store's internal migrations, then marks state rows of migrations that are
    // no longer known as `missing`. Must succeed before serving.
    // Then starts the job scheduler.
    boost::asio::awaitable<pg::status> initialize();
    // Stops claiming work and lets running targets finish for up to `grace`; targets still
    // running after it are cancelled and queued again for the next start or another replica.
    boost::asio::awaitable<void> drain(std::chrono::milliseconds grace);
    void shutdown();

    registry_ptr current_registry() const { return registry_; }

    const app_config& config() const override { return config_; }
    boost::asio::awaitable<service_outcome<run_result>> migrate_up(job_request request) override;
    boost::asio::awaitable<service_outcome<list_page>> list_migrations(list_query query) override;
    boost::asio::awaitable<health_report> health() override;
    std::optional<migration_ref> resolve_migration(std::string_view id) const override;
    order_batch_result order_batch(const std::string& connection,
                                   const std::vector<std::string>& ids) override;
    boost::asio::awaitable<reindex_outcome> reindex(std::string path) override;
    // Migration reads: engine_reads.cpp.
    boost::asio::awaitable<service_outcome<migration_detail>> get_migration(
        std::string id, read_query query) override;
    boost::asio::awaitable<service_outcome<status_report>> migration_status(
        std::string id, read_query query) override;
    boost::asio::awaitable<service_outcome<applied_report>> migration_applied(
        std::string id, read_query query) override;
    boost::asio::awaitable<service_outcome<history_page>> migration_history(
        std::string id, read_query query) override;
    boost::asio::awaitable<service_outcome<state_page>> migration_executions(
        std::string id, read_query query) override;
    boost::asio::awaitable<service_outcome<history_page>> migration_skipped(
        std::string id, read_query query) override;
    boost::asio::awaitable<service_outcome<state_page>> recent_executions(
        read_query query) override;
    boost::asio::awaitable<service_outcome<history_page>> recent_skipped(
        read_query query) override;

    boost::asio::awaitable<service_outcome<job_summary>> submit_job(job_request request,
                                                                    job_options options) override;
    boost::asio::awaitable<service_outcome<job_summary>> get_job(std::string job_id) override;
    boost::asio::awaitable<service_outcome<job_page>> list_jobs(job_list_query query) override;
    boost::asio::awaitable<service_outcome<job_target_page>> job_targets(
        std::string job_id, job_target_query query) override;
    boost::asio::awaitable<service_outcome<job_summary>> cancel_job(std::string job_id) override;
    event_bus& events() override { return events_; }

    // engine_ops.cpp
    boost::asio::awaitable<readiness_report> readiness() override;
    boost::asio::awaitable<std::vector<connection_status>> connections() override;
    boost::asio::awaitable<service_outcome<target_page>> targets(target_query query) override;
    boost::asio::awaitable<service_outcome<job_status_counts>> job_counts() override;

private:
    // A job as created: its targets in seq order, and what each selected (for results).
    struct created_job {
        job_summary summary;
        std::vector<target_group> groups;  // by schema, for targets finished at creation
    };
    // Discovers selector schemas, groups targets, finishes those with nothing to do (one state
    // query for all of them), persists the job and its targets, then wakes the scheduler.
    boost::asio::awaitable<service_outcome<created_job>> create_job(job_request request,
                                                                    job_options options,
                                                                    std::string job_id);
    // Dry runs: planned directly, not a job.
    boost::asio::awaitable<service_outcome<run_result>> plan_directly(job_request request);
    // Waits for a job's end (its job_finished event, or its final state when another replica
    // ran it) and returns its per-target results.
    boost::asio::awaitable<service_outcome<run_result>> await_job(
        const created_job& job, std::unique_ptr<event_subscription> events);
    // schema_selector: adds the matching schemas to request.schemas; names failing the schema
    // rule go to `refused` (they become failed targets). An error when discovery failed.
    struct refused_schema {
        std::string schema;
        std::string error;
    };
    boost::asio::awaitable<std::optional<service_error>> expand_selector(
        job_request& request, const connection_config& connection,
        std::vector<refused_schema>& refused);
    // Existing schemas of the connection matching a LIKE pattern (schema_selector).
    boost::asio::awaitable<pg::result<std::vector<std::string>>> discover_schemas(
        const connection_config& connection, const std::string& like);
    boost::asio::any_io_executor ex_;
    const app_config& config_;
    registry_ptr registry_;  // swapped whole by reindex; runs keep the one they started with
    registry_source source_;
    state::state_store store_;
    pool_map pools_;
    event_bus events_;
    job_cache job_cache_;
    state::job_store jobs_;
    state::lease_store leases_;
    job_scheduler scheduler_;
    bool initialized_ = false;  // internal migrations applied, scheduler started (GET /ready)
    bool draining_ = false;     // drain() began: not ready for new work
};

}  // namespace bfm::core
