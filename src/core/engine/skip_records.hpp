#pragma once
// Records the skips of one target run (SPEC 3: "a migration already applied to a target is
// skipped and the skip is recorded"): one history row per skipped step, all in one INSERT.
// Targets a job finishes at creation because nothing is to do never get here: those skips are
// counted in the job's target rows only (docs/decisions.md).

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/job_request.hpp"
#include "core/migration_result.hpp"
#include "core/planner.hpp"
#include "state/state_store.hpp"

namespace bfm::core {

using lease_tokens = std::map<std::pair<std::string, std::string>, std::int64_t>;

// The steps of `steps` the run skipped (action skip and a `skipped` outcome in `results`), as
// history rows fenced by the lease held on their place. A failure is logged, not returned:
// the run's outcome does not depend on it.
boost::asio::awaitable<void> record_skips(state::state_store& store,
                                          const std::vector<plan_step>& steps,
                                          const std::vector<migration_result>& results,
                                          const execution_origin& origin,
                                          const std::string& job_id, const lease_tokens& leases,
                                          const std::string& log_prefix);

}  // namespace bfm::core
