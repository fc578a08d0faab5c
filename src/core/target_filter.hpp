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
    std::vector<tag> tags;            // all must be present (AND); untagged migrations never match

    bool matches(const migration& m) const;
};

// Request-side tag parsing (upstream ParseTagFilter): "key=value", split at the first '=', key
// trimmed and lower-cased, value trimmed; a duplicate key: the last one wins. Errors name the
// index: "tags[1]: tag must be key=value" / "tags[0]: empty tag" / "tags[2]: empty key".
struct tag_parse_result {
    std::vector<tag> tags;
    std::string error;
};
tag_parse_result parse_tag_filter(const std::vector<std::string>& raw);

}  // namespace bfm::core
