#include "core/engine/target_locks.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "core/bfm_metrics.hpp"

namespace bfm::core {
namespace asio = boost::asio;

asio::awaitable<pg::result<std::int64_t>> target_locks::acquire(const std::string& connection,
                                                                const std::string& schema,
                                                                const std::string& job_id,
                                                                const target_control* control) {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    auto delay = std::chrono::milliseconds(20);
    const auto asked_at = std::chrono::steady_clock::now();
    bool logged = false;
    for (;;) {
        if (control != nullptr && control->should_stop()) {
            co_return pg::make_client_error(pg::errc::query_canceled,
                                            "gave up waiting for the lease on " + connection + "/"
                                                + schema + ": " + control->stop_reason());
        }
        auto token = co_await store_.try_acquire(connection, schema, holder_, job_id, lease_);
        if (!token) co_return token.error();
        if (*token) {
            held_.insert(**token);
            metrics::record_lock_wait(metrics::seconds_since(asked_at));
            co_return **token;
        }
        if (!logged) {
            spdlog::info("job {}: {}/{} is locked by another run; waiting for its lease", job_id,
                         connection, schema);
            logged = true;
        }
        // Polling with jitter: waiters on one target do not hit the state DB in lock step.
        std::uniform_int_distribution<long> jitter(delay.count() / 2, delay.count());
        asio::steady_timer timer(co_await asio::this_coro::executor,
                                 std::chrono::milliseconds(jitter(random)));
        co_await timer.async_wait(asio::use_awaitable);
        delay = std::min(delay * 2, std::chrono::milliseconds(500));
    }
}

asio::awaitable<void> target_locks::release(const std::string& connection,
                                            const std::string& schema, std::int64_t token) {
    held_.erase(token);
    if (auto st = co_await store_.release(connection, schema, token); !st) {
        // It expires by itself after the lease time.
        spdlog::warn("releasing the lease on {}/{} failed: {}", connection, schema,
                     st.error().to_string());
    }
}

asio::awaitable<pg::result<std::set<std::int64_t>>> target_locks::renew() {
    std::set<std::int64_t> lost;
    if (held_.empty()) co_return lost;
    const std::set<std::int64_t> asked = held_;  // leases taken meanwhile were not renewed
    auto kept = co_await store_.renew(holder_, lease_);
    if (!kept) co_return kept.error();
    for (auto token : asked) {
        if (!held_.count(token)) continue;  // released meanwhile
        if (!kept->count(token)) lost.insert(token);
    }
    co_return lost;
}

}  // namespace bfm::core
