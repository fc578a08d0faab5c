#pragma once
// Which applied migrations a down / rollback reverts on one target, and in which order (SPEC 3).
// Pure: the target's applied migrations come in, nothing is read or written here.

#include <string>
#include <vector>

#include "core/job_request.hpp"
#include "core/registry.hpp"

namespace bfm::core {

struct applied_migration {
    const migration* m = nullptr;
    std::string attempt_id;  // UUIDv7 of the attempt that applied it: orders by time of apply
};

struct revert_plan {
    std::vector<const migration*> order;  // newest first: dependents before their dependencies
    std::vector<std::string> errors;      // nothing is reverted when there are any
    std::vector<const migration*> not_applied;  // named, but not applied here: skipped
    bool ok() const { return errors.empty(); }
};

// `applied`: the target's applied migrations, in any order. A migration that an applied one
// (not itself reverted) depends on is refused unless spec.cascade, which reverts that dependent
// too. Every migration to revert needs a down script.
revert_plan plan_revert(const registry& reg, std::vector<applied_migration> applied,
                        const revert_spec& spec);

}  // namespace bfm::core
