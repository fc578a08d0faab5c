#pragma once
// Loads an sfm tree (`{root}/{backend}/{connection}/...`) into migrations (SPEC 1.1-1.3).
// Conventions A (`{version}_{name}.up.sql` + `.down.sql`), B
// (`{schema}_{table}_{version}_{name}.sql` + `_down.sql`), C (`{version}_{name}.sql` with
// `-- +migrate Up/Down` sections) and D (A plus an upstream `{version}_{name}.go` stub), JSON
// migrations for etcd (`.up.json`/`.down.json` + `.meta.json`), and the `-- bfm:` header lines
// (migration_header.hpp). Every problem is reported with file and line; nothing that looks like
// a migration is skipped silently.

#include <filesystem>
#include <string>
#include <vector>

#include "core/load_error.hpp"
#include "core/migration.hpp"

namespace bfm::core {

struct load_result {
    std::vector<migration> migrations;  // sorted by (version_number, id); empty if errors
    std::vector<load_error> errors;     // all problems found, in path order

    bool ok() const { return errors.empty(); }
};

// One file as found in the tree: its path relative to the root and its content.
struct source_file {
    std::string path;  // "postgresql/core/core_users_20250101120000_create_users.sql"
    std::string content;
};

// Pure function over file contents: the unit of testing (and of build-time embedding later).
load_result load_migrations(const std::vector<source_file>& files);

// Reads every regular file under `root` (a missing root is an error) and loads them.
load_result load_migrations_from_directory(const std::filesystem::path& root);

}  // namespace bfm::core
