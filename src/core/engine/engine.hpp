#pragma once
// The migration engine: turns a validated job_request into per-target runs against the
// configured connections and records every attempt in the state store. The HTTP layer (and the
// CLI and gRPC later) talk to it through core::migration_service.

#include <boost/asio/any_io_executor.hpp>
#include <map>
#include <memory>
#include <string>

#include "backends/postgresql/pg_pool.hpp"
#include "backends/postgresql/pg_target.hpp"
#include "core/registry.hpp"
#include "core/service.hpp"
#include "state/state_store.hpp"

namespace bfm::core {

class engine final : public migration_service {
public:
    engine(boost::asio::any_io_executor ex, const app_config& config, registry_ptr registry);

    // Runs the state store's internal migrations. Must succeed before serving.
    boost::asio::awaitable<pg::status> initialize();
    void shutdown();

    const app_config& config() const override { return config_; }
    boost::asio::awaitable<service_outcome<run_result>> migrate_up(job_request request) override;
    boost::asio::awaitable<service_outcome<list_page>> list_migrations(list_query query) override;
    boost::asio::awaitable<health_report> health() override;

private:
    struct target_plan {
        std::string schema;
        std::vector<const migration*> migrations;
        std::string error;  // a target that cannot run at all (e.g. dynamic without schema)
    };

    std::vector<target_plan> plan_targets(const job_request& request,
                                          const connection_config& connection) const;
    boost::asio::awaitable<target_result> run_target(const job_request& request,
                                                     const connection_config& connection,
                                                     const target_plan& plan);
    boost::asio::awaitable<std::string> reconcile_ledger(
        pg::target_session& session, const connection_config& connection, const std::string& schema,
        std::map<std::string, state::migration_state>& states, bool dry_run);

    boost::asio::any_io_executor ex_;
    const app_config& config_;
    registry_ptr registry_;
    state::state_store store_;
    std::map<std::string, std::shared_ptr<pg::pool>> pools_;  // by connection name
};

}  // namespace bfm::core
