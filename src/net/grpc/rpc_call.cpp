#include "net/grpc/rpc_call.hpp"

namespace bfm::net::grpc_bridge {

namespace asio = boost::asio;

// Returned once, when the call is over; holds the call until then.
class rpc_context::done_tag final : public bridge_tag {
public:
    explicit done_tag(std::shared_ptr<rpc_context> call) : call_(std::move(call)) {}

    bool retired = false;  // owned by the bridge's retired list, which deletes it

    void complete(bool) override {
        if (!call_) return;
        std::shared_ptr<rpc_context> call = std::move(call_);
        call->done_ = true;
        // IsCancelled() may only be asked once this tag is back (gRPC's rule).
        call->cancelled_ = call->ctx_.IsCancelled();
        call->wake();
        if (!retired) delete this;
    }

private:
    std::shared_ptr<rpc_context> call_;
};

bridge_tag* rpc_context::notify_when_done(std::shared_ptr<rpc_context> self) {
    auto* tag = new done_tag(std::move(self));
    bridge_tag* base = tag;
    ctx_.AsyncNotifyWhenDone(static_cast<void*>(base));
    return base;
}

void rpc_context::retire(bridge_tag* tag) {
    static_cast<done_tag*>(tag)->retired = true;
    bridge_.retire(tag);
}

asio::awaitable<void> rpc_context::wait_signal() {
    if (done_) co_return;
    signal_.expires_at(asio::steady_timer::time_point::max());
    co_await signal_.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace bfm::net::grpc_bridge
