#pragma once
// One incoming RPC as a coroutine sees it (the asio-grpc shape): `co_await call->finish(resp,
// status)`, `co_await call->write(msg)`. A call object lives in a shared_ptr held by its
// handler coroutine and by the AsyncNotifyWhenDone tag, so it outlives every operation gRPC may
// still return.
//
// done(): the call is over for gRPC (finished, cancelled by the client, deadline passed, or the
// server shutting down). cancelled(): it ended without our Finish (client or deadline).

#include <grpcpp/server_context.h>
#include <grpcpp/support/async_stream.h>
#include <grpcpp/support/async_unary_call.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>

#include "net/grpc/completion_bridge.hpp"

namespace bfm::net::grpc_bridge {

class rpc_context {
public:
    explicit rpc_context(completion_bridge& bridge) : bridge_(bridge), signal_(bridge.executor()) {}
    virtual ~rpc_context() = default;
    rpc_context(const rpc_context&) = delete;
    rpc_context& operator=(const rpc_context&) = delete;

    grpc::ServerContext& context() { return ctx_; }
    completion_bridge& bridge() { return bridge_; }
    bool done() const { return done_; }
    bool cancelled() const { return cancelled_; }

    // Arms the done notification; must be called before the call is requested. `self` is kept
    // alive by the tag until gRPC returns it. Returns the tag (to retire it when the request
    // never matched a call).
    bridge_tag* notify_when_done(std::shared_ptr<rpc_context> self);
    // The request of this call completed with ok=false (server shutting down): gRPC is not
    // expected to return the done tag, so the bridge frees it once the queue is drained.
    void retire(bridge_tag* done_tag);

    // Wakes a coroutine in wait_signal() (an awaited operation finished).
    void wake() { signal_.cancel(); }
    // Suspends until wake() or the end of the call; returns at once when done() already.
    boost::asio::awaitable<void> wait_signal();

private:
    class done_tag;
    completion_bridge& bridge_;
    grpc::ServerContext ctx_;
    boost::asio::steady_timer signal_;
    bool done_ = false;
    bool cancelled_ = false;
};

template <class Request, class Response>
class unary_call final : public rpc_context {
public:
    explicit unary_call(completion_bridge& bridge) : rpc_context(bridge), responder_(&context()) {}

    Request request;
    grpc::ServerAsyncResponseWriter<Response>& responder() { return responder_; }

    boost::asio::awaitable<bool> finish(const Response& response, const grpc::Status& status) {
        auto start = [this, &response, &status](void* tag) {
            if (status.ok()) {
                responder_.Finish(response, status, tag);
            } else {
                responder_.FinishWithError(status, tag);
            }
        };
        return async_grpc(bridge(), start);
    }

    boost::asio::awaitable<bool> finish_with_error(const grpc::Status& status) {
        auto start = [this, &status](void* tag) { responder_.FinishWithError(status, tag); };
        return async_grpc(bridge(), start);
    }

private:
    grpc::ServerAsyncResponseWriter<Response> responder_;
};

template <class Request, class Response>
class server_stream_call final : public rpc_context {
public:
    explicit server_stream_call(completion_bridge& bridge)
        : rpc_context(bridge), writer_(&context()) {}

    Request request;
    grpc::ServerAsyncWriter<Response>& responder() { return writer_; }

    // One Write at a time per stream (gRPC rule): callers await each before the next.
    boost::asio::awaitable<bool> write(const Response& message) {
        auto start = [this, &message](void* tag) { writer_.Write(message, tag); };
        return async_grpc(bridge(), start);
    }

    boost::asio::awaitable<bool> finish(const grpc::Status& status) {
        auto start = [this, &status](void* tag) { writer_.Finish(status, tag); };
        return async_grpc(bridge(), start);
    }

private:
    grpc::ServerAsyncWriter<Response> writer_;
};

}  // namespace bfm::net::grpc_bridge
