#pragma once
// JSON migrations (SPEC 1.1-1.2; etcd today, nothing here is etcd-specific):
// - operation scripts `{version}_{name}.up.json` / `.down.json`: an array of objects
//   {"operation": "put"|"delete" (default put), "key": string, "value": string or object (put
//   only, required), "prefix": true|false (delete only)}; anything else is an error naming the
//   element index and its line;
// - metadata sidecars `{version}_{name}.meta.json`: an object with the optional keys schema,
//   table, depends, depends_schema, tags, transaction, timeout (same meaning and syntax as the
//   `-- bfm:` header lines); unknown keys are errors.

#include <string>
#include <string_view>
#include <vector>

#include "core/load_error.hpp"
#include "core/migration_header.hpp"

namespace bfm::core {

// Problems of one operation script, each with `file` and a 1-based line.
std::vector<load_error> check_json_operations(std::string_view script, const std::string& file);

struct json_meta_parse {
    migration_header metadata;  // file = the sidecar
    std::vector<load_error> errors;
};

// `backend` is canonical; it decides which schema values are valid (etcd key prefixes).
json_meta_parse parse_json_meta(std::string_view text, const std::string& file,
                                std::string_view backend);

}  // namespace bfm::core
