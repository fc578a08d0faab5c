#pragma once
// Merges the metadata sources of one migration (SQL header lines, a `.go` stub, a `.meta.json`
// sidecar) into the migration: schema, table, transaction and timeout must agree where more
// than one source declares them; dependencies, depends-schema and tags are the union (one value
// per tag key).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/load_error.hpp"
#include "core/migration.hpp"
#include "core/migration_header.hpp"

namespace bfm::core {

// A declared schema for `backend` (canonical): a schema name (SPEC 4), or for etcd also an
// absolute key prefix such as "/metadata/operations" (upstream §4.1). Error message or nullopt.
std::optional<std::string> validate_declared_schema(std::string_view backend,
                                                    std::string_view schema);

// Applies `sources` in order; on a disagreement the later source's line gets the error.
// Returns false when errors were added.
bool apply_metadata(migration& m, const std::vector<const migration_header*>& sources,
                    std::vector<load_error>& errors);

}  // namespace bfm::core
