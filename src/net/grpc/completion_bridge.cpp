#include "net/grpc/completion_bridge.hpp"

namespace bfm::net::grpc_bridge {

namespace asio = boost::asio;

completion_bridge::completion_bridge(asio::io_context& ioc,
                                     std::unique_ptr<grpc::ServerCompletionQueue> cq)
    : ex_(ioc.get_executor()), cq_(std::move(cq)), work_(ioc.get_executor()) {}

completion_bridge::~completion_bridge() {
    if (thread_.joinable()) {
        // Only reached when the owner never shut the queue down (start-up failed half-way).
        if (!closed_) {
            closed_ = true;
            cq_->Shutdown();
        }
        thread_.join();
    }
    // Completions the thread posted but the io_context never ran are lost with it; their tags
    // are not freed here (the io_context owns the posted handlers).
}

void completion_bridge::start(std::function<void()> on_drained) {
    on_drained_ = std::move(on_drained);
    thread_ = std::thread([this] { poll(); });
}

void completion_bridge::poll() {
    void* raw = nullptr;
    bool ok = false;
    while (cq_->Next(&raw, &ok)) {
        auto* tag = static_cast<bridge_tag*>(raw);
        asio::post(ex_, [tag, ok] { tag->complete(ok); });
    }
    // Shut down and empty: tell the io thread, which joins this thread and lets run() return.
    asio::post(ex_, [this] {
        if (thread_.joinable()) thread_.join();
        retired_.clear();
        if (on_drained_) std::exchange(on_drained_, nullptr)();
        work_.reset();
    });
}

void completion_bridge::close() {
    if (closed_) return;
    closed_ = true;
    cq_->Shutdown();
}

}  // namespace bfm::net::grpc_bridge
