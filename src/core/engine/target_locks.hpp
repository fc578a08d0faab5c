#pragma once
// Cluster-wide leases on the places a target run writes to (SPEC 5.3), held by this process
// under one holder name and renewed by the scheduler's heartbeat. Waiting for a lease another
// run holds is how requests for the same target queue, here or on another replica.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>

#include "backends/postgresql/pg_error.hpp"
#include "core/engine/target_control.hpp"
#include "state/lease_store.hpp"

namespace bfm::core {

class target_locks {
public:
    target_locks(state::lease_store& store, std::string holder, std::chrono::milliseconds lease)
        : store_(store), holder_(std::move(holder)), lease_(lease) {}

    // Waits until the lease is ours and returns its fencing token. Gives up when `control`
    // says to stop (errc::query_canceled).
    boost::asio::awaitable<pg::result<std::int64_t>> acquire(const std::string& connection,
                                                             const std::string& schema,
                                                             const std::string& job_id,
                                                             const target_control* control);
    boost::asio::awaitable<void> release(const std::string& connection, const std::string& schema,
                                         std::int64_t token);

    // Heartbeat: extends every lease held; returns the tokens that were lost.
    boost::asio::awaitable<pg::result<std::set<std::int64_t>>> renew();

    const std::string& holder() const { return holder_; }
    std::chrono::milliseconds lease() const { return lease_; }

private:
    state::lease_store& store_;
    std::string holder_;
    std::chrono::milliseconds lease_;
    std::set<std::int64_t> held_;
};

}  // namespace bfm::core
