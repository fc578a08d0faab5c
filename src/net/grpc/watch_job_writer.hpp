#pragma once
// WatchJob's writer. Besides the writes of the stream's coroutine (the snapshot, the last
// events), the bus's delivery pass starts writes itself (event_subscription::deliver_directly):
// a Write with a tag whose completion only marks the stream free again, so a live event costs
// no coroutine resumption, timer or posted completion per watcher. gRPC allows one Write in
// flight per stream; this class keeps to it and keeps events in order (the pass waits while the
// coroutine holds events it has taken, the coroutine waits for the pass's write to complete).

#include <grpcpp/support/byte_buffer.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <vector>

#include "core/jobs/event_bus.hpp"
#include "net/grpc/rpc_env.hpp"
#include "net/grpc/rpc_job_follow.hpp"

namespace bfm::net::grpc_bridge {

using watch_call = stream_ptr<grpc::ByteBuffer, grpc::ByteBuffer>;

class watch_job_writer final : public event_writer {
public:
    // Starts direct delivery from `subscription`, which must outlive the call of stop().
    watch_job_writer(watch_call call, core::event_subscription& subscription);
    ~watch_job_writer() override;
    watch_job_writer(const watch_job_writer&) = delete;
    watch_job_writer& operator=(const watch_job_writer&) = delete;

    boost::asio::awaitable<bool> write(std::vector<core::shared_event_ptr> events) override;
    bool take_delivered_directly() override;
    bool failed() const override;

    // Ends direct delivery and waits for a write in flight: call before the stream finishes
    // (gRPC refuses Finish while a Write is outstanding).
    boost::asio::awaitable<void> stop();

private:
    struct state;
    class write_tag;

    bool deliver_now(std::deque<core::shared_event_ptr>& queue);
    boost::asio::awaitable<void> wait_idle();

    watch_call call_;
    std::shared_ptr<state> state_;
};

}  // namespace bfm::net::grpc_bridge
