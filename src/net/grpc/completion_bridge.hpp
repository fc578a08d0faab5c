#pragma once
// The bridge between gRPC's completion queue and the io_context (DESIGN: concurrency model): one
// thread does nothing but cq->Next() and posts the completions into the io_context (those ready
// together as one handler), where the RPC coroutines run. An operation's tag is a heap object
// that lives until the queue returns it.
//
// gRPC rules this file enforces:
//  - no operation may be started after cq->Shutdown() (grpc aborts the process): close() sets a
//    flag on the io thread first, and async_grpc() then completes with `false` without touching
//    gRPC;
//  - io_context::run() must not return while operations are outstanding: the bridge holds work
//    on the io_context from start() until the queue is drained.

#include <grpcpp/completion_queue.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

namespace bfm::net::grpc_bridge {

// What the completion queue hands back. complete() runs on the io thread and owns the tag from
// then on (most tags delete themselves).
class bridge_tag {
public:
    virtual ~bridge_tag() = default;
    virtual void complete(bool ok) = 0;
};

class completion_bridge {
public:
    completion_bridge(boost::asio::io_context& ioc,
                      std::unique_ptr<grpc::ServerCompletionQueue> cq);
    ~completion_bridge();  // after drain: joins the thread, frees retired tags
    completion_bridge(const completion_bridge&) = delete;
    completion_bridge& operator=(const completion_bridge&) = delete;

    grpc::ServerCompletionQueue* cq() { return cq_.get(); }
    boost::asio::any_io_executor executor() const { return ex_; }

    // Starts the polling thread; `on_drained` runs on the io thread once the queue is shut down
    // and empty.
    void start(std::function<void()> on_drained);

    // On the io thread, after grpc::Server::Shutdown() returned: no new operation reaches gRPC
    // from now on, and the queue is shut down (it then drains).
    void close();
    bool closed() const { return closed_; }

    // A tag that gRPC may or may not return (AsyncNotifyWhenDone of a call that never started):
    // kept until the queue is drained, then deleted.
    void retire(bridge_tag* tag) { retired_.emplace_back(tag); }

private:
    void poll();

    boost::asio::any_io_executor ex_;
    std::unique_ptr<grpc::ServerCompletionQueue> cq_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::thread thread_;
    std::function<void()> on_drained_;
    bool closed_ = false;
    std::vector<std::unique_ptr<bridge_tag>> retired_;
};

namespace detail {

template <class Handler>
class handler_tag final : public bridge_tag {
public:
    explicit handler_tag(Handler handler) : handler_(std::move(handler)) {}
    void complete(bool ok) override {
        Handler handler = std::move(handler_);
        delete this;
        std::move(handler)(ok);
    }

private:
    Handler handler_;
};

}  // namespace detail

// Starts one gRPC operation and completes with its `ok` on the io thread. `start(void* tag)`
// must start exactly one operation with that tag (Finish, Write, Request...). After close() it
// completes with false and `start` is not called.
template <class Start, class Token = const boost::asio::use_awaitable_t<>&>
auto async_grpc(completion_bridge& bridge, Start start,
                Token&& token = boost::asio::use_awaitable) {
    return boost::asio::async_initiate<Token, void(bool)>(
        [&bridge](auto handler, Start start_op) {
            if (bridge.closed()) {
                boost::asio::post(bridge.executor(),
                                  [h = std::move(handler)]() mutable { std::move(h)(false); });
                return;
            }
            auto* tag = new detail::handler_tag<decltype(handler)>(std::move(handler));
            start_op(static_cast<void*>(static_cast<bridge_tag*>(tag)));
        },
        token, std::move(start));
}

}  // namespace bfm::net::grpc_bridge
