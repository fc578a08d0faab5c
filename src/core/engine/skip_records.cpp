#include "core/engine/skip_records.hpp"

#include <spdlog/spdlog.h>

#include <set>
#include <string_view>

#include "state/history_store.hpp"

namespace bfm::core {
namespace asio = boost::asio;

asio::awaitable<void> record_skips(state::state_store& store, const std::vector<plan_step>& steps,
                                   const std::vector<migration_result>& results,
                                   const execution_origin& origin, const std::string& job_id,
                                   const lease_tokens& leases, const std::string& log_prefix) {
    std::set<std::string_view> skipped;
    for (const auto& r : results) {
        if (r.outcome == migration_outcome::skipped) skipped.insert(r.migration_id);
    }
    const auto now = std::chrono::system_clock::now();
    std::vector<state::skip_record> records;
    for (const auto& step : steps) {
        if (step.action != step_action::skip || !skipped.count(step.m->id)) continue;
        state::skip_record k;
        k.migration = step.m;
        k.connection = step.connection;
        k.schema = step.schema;
        k.reason = step.reason;
        k.origin = origin;
        k.job_id = job_id;
        if (auto it = leases.find({step.connection, step.schema}); it != leases.end()) {
            k.fence_token = it->second;
        }
        k.at = now;
        records.push_back(std::move(k));
    }
    if (records.empty()) co_return;
    state::history_store history(store.pool(), store.schema(), store.wait_timeout());
    if (auto st = co_await history.record_skips(records); !st) {
        spdlog::warn("{}recording {} skipped migration(s) failed: {}", log_prefix, records.size(),
                     st.error().to_string());
    }
}

}  // namespace bfm::core
