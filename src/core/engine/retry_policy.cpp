#include "core/engine/retry_policy.hpp"

#include <algorithm>

namespace bfm::core {

bool is_retryable(const pg::error& e) {
    return e.is(pg::errc::lock_not_available) || e.is(pg::errc::serialization_failure)
           || e.is(pg::errc::deadlock_detected);
}

std::chrono::milliseconds backoff_delay(int attempt, std::mt19937_64& random) {
    constexpr std::int64_t base_ms = 200;
    constexpr std::int64_t cap_ms = 5000;
    const int shift = std::clamp(attempt - 1, 0, 10);
    const std::int64_t nominal = std::min(cap_ms, base_ms << shift);
    std::uniform_int_distribution<std::int64_t> jitter(nominal / 2, nominal + nominal / 2);
    return std::chrono::milliseconds(jitter(random));
}

}  // namespace bfm::core
