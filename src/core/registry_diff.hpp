#pragma once
// What changed between two registries (reindex answer, SPEC 1.5).

#include <string>
#include <vector>

#include "core/registry.hpp"

namespace bfm::core {

struct registry_diff {
    std::vector<std::string> added;
    std::vector<std::string> removed;
    std::vector<std::string> updated;  // same ID, different checksum, down script or metadata
};

registry_diff diff_registries(const registry& before, const registry& after);

}  // namespace bfm::core
