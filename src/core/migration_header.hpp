#pragma once
// Reads the `-- bfm:key value` metadata lines at the top of an SQL up script (SPEC 1.2):
// schema, table, depends, depends-schema, tags (also upstream's `-- bfm-tags:`), transaction
// and timeout. The same struct carries metadata read from a `.go` stub or a `.meta.json`
// sidecar, so all sources merge the same way (migration_metadata.hpp).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/load_error.hpp"
#include "core/migration.hpp"

namespace bfm::core {

struct header_tag {
    tag value;
    int line = 0;
};

struct migration_header {
    std::string schema;  // -- bfm:schema; empty when not declared
    int schema_line = 0;
    std::string table;  // -- bfm:table; empty when not declared
    int table_line = 0;

    std::string file;              // where these values were declared (for messages)
    bool schema_declared = false;  // also true for an explicit "" (a .go stub's `Schema: ""`)
    std::vector<dependency> dependencies;      // each with line and source_file; no repeats
    std::vector<std::string> depends_schemas;  // validated schema names; no repeats
    std::vector<header_tag> tags;              // one value per key
    std::optional<bool> transactional;         // -- bfm:transaction on|off
    int transaction_line = 0;
    std::optional<std::chrono::milliseconds> timeout;  // -- bfm:timeout, positive
    int timeout_line = 0;
};

struct header_parse {
    migration_header header;
    std::vector<load_error> errors;  // each with `file` and the 1-based line
};

// Scans the leading comment and blank lines; stops at the first other line. Line numbers count
// from the start of `script`.
header_parse parse_migration_header(std::string_view script, const std::string& file);

// Pieces of a header (or sidecar) value, shared with the other metadata readers. Each returns
// an error message, or nullopt after adding the value to `header` (repeats are merged).
std::optional<std::string> add_dependency_spec(migration_header& header, std::string_view spec,
                                               int line);
std::optional<std::string> add_depends_schema(migration_header& header, std::string_view schema);
std::optional<std::string> add_tag(migration_header& header, std::string_view text, int line);
std::optional<std::string> add_tag_value(migration_header& header, std::string_view key,
                                         std::string_view value, int line);
std::optional<std::string> set_transaction(migration_header& header, std::string_view value,
                                           int line);
std::optional<std::string> set_timeout(migration_header& header, std::string_view value, int line);

}  // namespace bfm::core
