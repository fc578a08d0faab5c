#pragma once
// bfm's own tables in the state database, created and upgraded by versioned internal
// migrations (SPEC 5.1) — run once at start-up under an advisory lock, never from a health check.

#include <string>
#include <string_view>
#include <vector>

namespace bfm::state {

struct internal_migration {
    int version;
    std::string description;
    std::string sql;  // may hold several statements; runs in one transaction
};

// The migrations for a state schema (its name already validated), in version order.
std::vector<internal_migration> internal_migrations(std::string_view schema);

}  // namespace bfm::state
