#pragma once
// The migration model: one migration as loaded from an sfm tree (SPEC 1).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bfm::core {

// How the files of a migration were named (SPEC 1.1): A paired, B seed, C single file with
// `-- +migrate Up/Down` sections, D paired plus an upstream `.go` metadata stub.
enum class naming_convention { paired, seed, single_file, upstream_stub };

// One dependency (SPEC 1.2, 2): `-- bfm:depends [connection:]name` or `[connection:]@version`,
// upstream `Dependencies` (by name, any connection) and `StructuredDependencies`.
struct dependency {
    enum class kind { name, version };
    std::string connection;       // "" = any connection
    std::string schema;           // "" = any; else the target's declared schema must equal it
    std::string target;           // a migration name, or a version (kind::version)
    kind target_type = kind::name;
    std::string requires_table;   // must exist in the dependency's schema before running
    std::string requires_schema;  // must exist before running
    int line = 0;                 // where it was declared in `source_file` (for messages)
    std::string source_file;
};

// A `key=value` label; keys are lower-cased, values kept exactly (a value may contain '=').
struct tag {
    std::string key;
    std::string value;
    bool operator==(const tag&) const = default;
};

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

    std::vector<dependency> dependencies;     // in declaration order
    std::vector<std::string> depends_schemas; // `-- bfm:depends-schema`: must exist before running
    std::vector<tag> tags;                    // `-- bfm:tags`, `-- bfm-tags:`, .go Tags, .meta.json
    bool transactional = true;                // false for `-- bfm:transaction off`
    std::chrono::milliseconds timeout{0};     // `-- bfm:timeout`: statement timeout, 0 = default

    bool is_dynamic() const { return schema.empty(); }
};

// Canonical backend name: "postgres" and "postgresql" are the same backend.
std::string canonical_backend(std::string_view backend);

// True for the backends an sfm tree may contain (any spelling canonical_backend accepts):
// postgresql, mysql, greptimedb, etcd, clickhouse.
bool is_known_backend(std::string_view backend);

}  // namespace bfm::core
