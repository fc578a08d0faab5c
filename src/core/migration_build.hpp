#pragma once
// Builds one migration from the files the loader grouped for it. One builder per format:
//   build_sql_migration          conventions A, B and D (SQL up/down files, optional .go stub)
//   build_single_file_migration  convention C (one .sql file with -- +migrate sections)
//   build_json_migration         JSON operation scripts (etcd), optional .meta.json and .go stub
// Each returns the migration, or nullopt after adding every problem it found to `errors`.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/load_error.hpp"
#include "core/loader.hpp"
#include "core/migration.hpp"
#include "core/migration_file_name.hpp"
#include "core/migration_header.hpp"

namespace bfm::core {

struct migration_files {
    const source_file* up = nullptr;
    const source_file* down = nullptr;
    const source_file* stub = nullptr;  // convention D `{version}_{name}.go`
    const source_file* meta = nullptr;  // `{version}_{name}.meta.json`
    migration_file_name name;           // of the up file
    std::string backend;                // canonical
    std::string connection;
};

std::optional<migration> build_sql_migration(const migration_files& files,
                                             std::vector<load_error>& errors);
std::optional<migration> build_single_file_migration(const migration_files& files,
                                                     std::vector<load_error>& errors);
std::optional<migration> build_json_migration(const migration_files& files,
                                              std::vector<load_error>& errors);

// --- shared by the builders ---------------------------------------------------------------

// Identity from the file names (SPEC 1.3): backend, connection, version, name, ID, paths and
// convention (upstream_stub when a stub is present). Scripts and checksum are left to the
// builder.
migration migration_identity(const migration_files& files);

// Reads the `.go` stub when there is one; nullopt when there is none or it has errors (added).
std::optional<migration_header> read_stub_metadata(const migration_files& files,
                                                   std::vector<load_error>& errors);

// Template problems of `script` (SPEC 1.4), with lines counted from `first_line` of `file`.
void check_script_template(std::string_view script, const std::string& file, int first_line,
                           std::vector<load_error>& errors);

}  // namespace bfm::core
