#pragma once
// What happened to one migration on one target, and how a service call reports its own
// failures: shared by the synchronous API results and the durable job rows.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bfm::core {

enum class migration_outcome { applied, skipped, failed, would_apply, rolled_back, would_roll_back };
std::string_view to_string(migration_outcome o);

struct migration_result {
    std::string migration_id;
    migration_outcome outcome = migration_outcome::skipped;
    std::string error;  // when failed: what happened (SQLSTATE and server message)
    std::int64_t duration_ms = 0;
};

// A failure of the service itself (state DB unreachable...), not of a migration.
struct service_error {
    std::string code;
    std::string message;
};

template <class T>
struct service_outcome {
    std::optional<T> value;
    std::optional<service_error> error;
};

}  // namespace bfm::core
