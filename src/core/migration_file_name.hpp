#pragma once
// Recognises migration file names (SPEC 1.1 conventions A, B, C and D) without looking at
// contents:
//   A  {version}_{name}.up.sql + .down.sql (.up.json + .down.json for etcd)
//   B  {schema}_{table}_{14 digits}_{name}.sql + ..._down.sql (a schema never starts with a digit)
//   C  {version}_{name}.sql with -- +migrate Up/Down sections (starts with digits and '_')
//   D  {version}_{name}.go beside A's files (role stub; `_test.go` files are not stubs)
// and `{version}_{name}.meta.json` sidecars of JSON migrations (role meta).

#include <string>
#include <string_view>

#include "core/migration.hpp"

namespace bfm::core {

enum class script_role {
    up,
    down,
    stub,  // convention D `.go` metadata stub
    meta,  // `.meta.json` sidecar of a JSON migration
};

struct migration_file_name {
    naming_convention convention = naming_convention::paired;
    script_role role = script_role::up;
    std::string stem;     // stem of the up script; an up and a down file pair on it
    std::string version;  // digits as written
    std::string name;
    std::string schema;  // convention B only
    std::string table;   // convention B only
};

enum class file_name_kind {
    other,      // not a migration file (sidecar, notes, ...): ignored
    migration,  // `parsed` is set
    invalid,    // looks like a migration but does not parse: `error` says why
};

struct file_name_parse {
    file_name_kind kind = file_name_kind::other;
    migration_file_name parsed;
    std::string error;
};

// `file_name` is the last path component; `backend` is canonical (etcd uses .json scripts).
file_name_parse parse_migration_file_name(std::string_view file_name, std::string_view backend);

}  // namespace bfm::core
