#pragma once
// Index names a script builds with CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name.
// A failed concurrent build leaves an INVALID index of that name behind; the executor drops it
// before the migration runs again (SPEC 3).

#include <string>
#include <vector>

#include "core/sql_statements.hpp"

namespace bfm::core {

// Lower-cased unless the name was double-quoted (as PostgreSQL folds it); schema-qualified
// names keep only the index name.
std::vector<std::string> concurrent_index_names(const std::vector<sql_statement>& statements);

}  // namespace bfm::core
