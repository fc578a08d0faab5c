#pragma once
// The dependency syntax shared by `-- bfm:depends` and `.meta.json` "depends" (SPEC 1.2):
// `name`, `connection:name`, `@version` or `connection:@version`. A name is a migration name
// (the part of the file name after the version); a version is digits only.

#include <string>
#include <string_view>

#include "core/migration.hpp"

namespace bfm::core {

struct dependency_spec_parse {
    dependency value;   // connection, target and target_type set; the caller adds line and file
    std::string error;  // empty when `value` is set

    bool ok() const { return error.empty(); }
};

dependency_spec_parse parse_dependency_spec(std::string_view text);

// The same dependency declared twice (every field but line and file equal).
bool same_dependency(const dependency& a, const dependency& b);

}  // namespace bfm::core
