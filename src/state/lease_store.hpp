#pragma once
// Cluster-wide target leases (SPEC 5.3) in bfm_locks: one row per (connection, schema) with its
// holder, a fencing token from one sequence (newer holders always have larger tokens) and an
// expiry the holder's heartbeat pushes forward. A holder that dies stops renewing and its
// lease expires by itself; nobody ever has to release locks by hand.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "backends/postgresql/pg_pool.hpp"

namespace bfm::state {

class lease_store {
public:
    lease_store(std::shared_ptr<pg::pool> pool, std::string schema,
                std::chrono::milliseconds wait_timeout);

    // The new fencing token, or nullopt while another holder's lease is still valid.
    boost::asio::awaitable<pg::result<std::optional<std::int64_t>>> try_acquire(
        const std::string& connection, const std::string& schema, const std::string& holder,
        const std::string& job_id, std::chrono::milliseconds lease);

    // Releases the lease if `token` still owns it (a lease taken over is left alone).
    boost::asio::awaitable<pg::status> release(const std::string& connection,
                                               const std::string& schema, std::int64_t token);

    // Extends every lease `holder` still owns; returns their tokens (missing = lost).
    boost::asio::awaitable<pg::result<std::set<std::int64_t>>> renew(
        const std::string& holder, std::chrono::milliseconds lease);

private:
    std::string table(std::string_view name) const;

    std::shared_ptr<pg::pool> pool_;
    std::string schema_;
    std::chrono::milliseconds wait_timeout_;
};

}  // namespace bfm::state
