// Which failures are retried, and how long the jittered backoff waits.

#include <gtest/gtest.h>

#include <set>

#include "core/engine/retry_policy.hpp"

namespace {

using bfm::pg::errc;

bfm::pg::error server_error(const char* sqlstate) {
    bfm::pg::error e;
    e.diag.sqlstate = sqlstate;
    e.code = bfm::pg::make_error_code(bfm::pg::errc_from_sqlstate(sqlstate));
    return e;
}

TEST(RetryPolicy, RetriesOnlyLockAndSerializationConflicts) {
    EXPECT_TRUE(bfm::core::is_retryable(server_error("55P03")));  // lock_not_available
    EXPECT_TRUE(bfm::core::is_retryable(server_error("40001")));  // serialization_failure
    EXPECT_TRUE(bfm::core::is_retryable(server_error("40P01")));  // deadlock_detected
    EXPECT_FALSE(bfm::core::is_retryable(server_error("42P01")));
    EXPECT_FALSE(bfm::core::is_retryable(server_error("57014")));  // a timeout is not a race
    EXPECT_FALSE(bfm::core::is_retryable(bfm::pg::make_client_error(errc::connection_lost, "")));
}

TEST(RetryPolicy, BackoffDoublesWithJitterAndIsCapped) {
    std::mt19937_64 random(42);
    for (int attempt = 1; attempt <= 12; ++attempt) {
        const std::int64_t nominal =
            std::min<std::int64_t>(5000, 200LL << std::min(attempt - 1, 10));
        for (int sample = 0; sample < 50; ++sample) {
            const auto d = bfm::core::backoff_delay(attempt, random).count();
            EXPECT_GE(d, nominal / 2) << "attempt " << attempt;
            EXPECT_LE(d, nominal + nominal / 2) << "attempt " << attempt;
        }
    }
    // Jitter: many tenants retrying the same lock do not all wait the same time.
    std::set<std::int64_t> seen;
    for (int i = 0; i < 20; ++i) seen.insert(bfm::core::backoff_delay(3, random).count());
    EXPECT_GT(seen.size(), 10u);
}

}  // namespace
