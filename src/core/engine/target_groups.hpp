#pragma once
// Which targets a request has and what each runs: one group per run schema. Used when a job is
// created (its target rows) and again by whichever replica runs a target.

#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/job_request.hpp"
#include "core/registry.hpp"

namespace bfm::core {

struct target_group {
    std::string schema;
    std::vector<const migration*> selected;
    std::string error;  // a target that cannot run at all (dynamic without schema)
};

std::vector<target_group> group_targets(const registry& reg, const job_request& request,
                                        const connection_config& connection);

}  // namespace bfm::core
