#pragma once
// The migration model: one migration as loaded from an sfm tree (SPEC 1).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bfm::core {

// How the files of a migration were named (SPEC 1.1).
enum class naming_convention { paired, seed };

struct migration {
    std::string id;                       // canonical ID (SPEC 1.3)
    std::string backend;                  // canonical backend name ("postgresql"), from the folder
    std::string connection;               // connection folder name
    std::string version;                  // digits as written in the file name
    std::uint64_t version_number = 0;     // numeric value of `version`, for ordering
    std::string name;                     // rest of the stem after the version
    std::string schema;                   // declared schema; empty = dynamic
    std::string table;                    // table the migration is about; may be empty
    std::string up_sql;                   // raw up script (headers included)
    std::optional<std::string> down_sql;  // raw down script, if a down file exists
    std::string checksum;                 // "v1:<sha256 hex>" of the up script (SPEC 1.3)
    std::string up_path;                  // file the up script came from, relative to the sfm root
    std::optional<std::string> down_path;
    naming_convention convention = naming_convention::paired;

    bool is_dynamic() const { return schema.empty(); }
};

// Canonical backend name: "postgres" and "postgresql" are the same backend.
std::string canonical_backend(std::string_view backend);

// True for the backends an sfm tree may contain (any spelling canonical_backend accepts):
// postgresql, mysql, greptimedb, etcd, clickhouse.
bool is_known_backend(std::string_view backend);

}  // namespace bfm::core
