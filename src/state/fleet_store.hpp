#pragma once
// Read-only views over the state database for operations: the fleet of targets with their
// counts (GET /api/v1/targets) and job counts by status (/metrics). Aggregation runs in SQL so
// 10,000 tenants stay one cheap query.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "backends/postgresql/pg_pool.hpp"
#include "core/fleet_types.hpp"
#include "core/registry.hpp"

namespace bfm::state {

class fleet_store {
public:
    fleet_store(std::shared_ptr<pg::pool> pool, std::string schema,
                std::chrono::milliseconds wait_timeout);

    // One row per (connection, schema) in bfm_migrations, counted against `registry`: pending
    // are the registry migrations that run on that target (dynamic ones of its connection, fixed
    // ones declared for its schema) and are not applied there.
    boost::asio::awaitable<pg::result<core::target_page>> targets(const core::target_query& query,
                                                                  const core::registry& registry);

    // Jobs by status (all of them), and targets of unfinished jobs by status.
    boost::asio::awaitable<pg::result<core::job_status_counts>> job_counts();

private:
    std::string table(std::string_view name) const;

    std::shared_ptr<pg::pool> pool_;
    std::string schema_;
    std::chrono::milliseconds wait_timeout_;
};

}  // namespace bfm::state
