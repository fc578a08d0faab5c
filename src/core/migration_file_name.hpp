#pragma once
// Recognises migration file names (SPEC 1.1 conventions A and B) without looking at contents.

#include <string>
#include <string_view>

#include "core/migration.hpp"

namespace bfm::core {

enum class script_role { up, down };

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
