#pragma once
// When and how long to wait before retrying a migration that lost a race for a lock
// (SPEC 3): lock timeouts (55P03), serialization failures (40001) and deadlocks (40P01) are
// retried with jittered exponential backoff; every other error fails at once.

#include <chrono>
#include <random>

#include "backends/postgresql/pg_error.hpp"

namespace bfm::core {

bool is_retryable(const pg::error& e);

// Delay before retry number `attempt` (1-based): 200 ms doubling per attempt up to 5 s, each
// randomised to 50-150 % so that many tenants blocked by one lock do not retry in lockstep.
std::chrono::milliseconds backoff_delay(int attempt, std::mt19937_64& random);

}  // namespace bfm::core
