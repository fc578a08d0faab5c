#pragma once
// Which migrations a request selects (SPEC 2): every set field must match (AND).

#include <string>
#include <vector>

#include "core/migration.hpp"

namespace bfm::core {

struct version_filter {
    std::string version;       // empty = any
    bool up_to = false;        // "<=V": every version numerically <= V
    std::uint64_t number = 0;  // numeric value of `version`
};

struct target_filter {
    std::string backend;              // "postgres" == "postgresql"; empty = any
    std::string connection;           // empty = any
    std::string schema;               // declared schema; empty = any
    std::vector<std::string> tables;  // empty = any
    version_filter version;

    bool matches(const migration& m) const;
};

}  // namespace bfm::core
