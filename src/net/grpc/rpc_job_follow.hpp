#pragma once
// Following one job's events for a server stream (WatchJob, StreamMigrate), as the SSE endpoint
// does: live events from this process's bus; after a quiet while the job is re-read, because
// another replica may be running it (its events never reach this bus) and a job found final ends
// the stream with a job_finished made from the stored summary. The stream also ends when the
// call does (client cancelled, deadline) or the server shuts down.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/jobs/event_bus.hpp"
#include "net/grpc/rpc_env.hpp"

namespace bfm::net::grpc_bridge {

// Writes events (oldest first, never empty) in the stream's message type; false when the client
// is gone.
class event_writer {
public:
    virtual ~event_writer() = default;
    virtual boost::asio::awaitable<bool> write(std::vector<core::shared_event_ptr> events) = 0;

    // For a writer the bus's delivery pass writes through (watch_job_writer): whether the pass
    // wrote since the last call (the stream is then not quiet), and whether such a write failed.
    virtual bool take_delivered_directly() { return false; }
    virtual bool failed() const { return false; }
};

// `subscription` is of `job_id` only, or of every job (`all_jobs`: events of other jobs are
// skipped; then an overflow re-subscribes instead of ending the stream). Returns the status to
// finish with: OK after job_finished.
boost::asio::awaitable<grpc::Status> follow_job(
    rpc_env& env, std::shared_ptr<rpc_context> call,
    std::unique_ptr<core::event_subscription>& subscription, bool all_jobs,
    const std::string& job_id, event_writer& writer);

}  // namespace bfm::net::grpc_bridge
