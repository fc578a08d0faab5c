#pragma once
// Reads the `-- bfm:key value` metadata lines at the top of an SQL up script (SPEC 1.2).

#include <string>
#include <string_view>
#include <vector>

#include "core/load_error.hpp"

namespace bfm::core {

struct migration_header {
    std::string schema;  // -- bfm:schema; empty when not declared
    int schema_line = 0;
    std::string table;  // -- bfm:table; empty when not declared
    int table_line = 0;
};

struct header_parse {
    migration_header header;
    std::vector<load_error> errors;  // each with `file` and the 1-based line
};

// Scans the leading comment and blank lines; stops at the first other line.
header_parse parse_migration_header(std::string_view script, const std::string& file);

}  // namespace bfm::core
