#pragma once
// Reads an upstream BfM `.go` metadata stub (convention D, SPEC 1.2) with a real Go tokenizer:
// finds the one `MigrationScript` composite literal (`&migrations.MigrationScript{...}`,
// `backends.MigrationScript{...}`, ...) and reads its keyed fields
//   Schema                  string literal ("" declares a dynamic migration)
//   Dependencies            []string{...}: migration names, any connection
//   StructuredDependencies  []pkg.Dependency{ {Connection: ..., Target: ..., ...}, ... }
//   Tags                    []string{"key=value", ...}
// Every other field (Version, Name, UpSQL: upSQL, ...) is ignored: file names decide those.
// A value that is not a literal (a constant, a function call) is an error naming the field.

#include <string>
#include <string_view>
#include <vector>

#include "core/load_error.hpp"
#include "core/migration_header.hpp"

namespace bfm::core {

struct go_stub_parse {
    migration_header metadata;  // file = the stub; schema_declared when Schema is present
    std::vector<load_error> errors;
};

// `backend` is canonical; it decides which schema values are valid (etcd key prefixes).
go_stub_parse parse_go_stub(std::string_view source, const std::string& file,
                            std::string_view backend);

}  // namespace bfm::core
