#include "core/service.hpp"

#include <algorithm>

namespace bfm::core {

std::string_view to_string(migration_outcome o) {
    switch (o) {
        case migration_outcome::applied:
            return "applied";
        case migration_outcome::skipped:
            return "skipped";
        case migration_outcome::failed:
            return "failed";
        case migration_outcome::would_apply:
            return "would_apply";
        case migration_outcome::rolled_back:
            return "rolled_back";
        case migration_outcome::would_roll_back:
            return "would_roll_back";
    }
    return "unknown";
}

bool target_result::ok() const {
    return error.empty()
           && std::none_of(migrations.begin(), migrations.end(), [](const migration_result& r) {
                  return r.outcome == migration_outcome::failed;
              });
}

bool run_result::success() const {
    return std::all_of(targets.begin(), targets.end(),
                       [](const target_result& t) { return t.ok(); });
}

}  // namespace bfm::core
