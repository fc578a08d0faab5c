#include "net/grpc/completion_bridge.hpp"

#include <grpc/support/time.h>

#include <chrono>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

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
    // Completions that are ready together (a delivery pass writes to a thousand streams) go to
    // the io thread as one handler: one post and one wake-up instead of one per completion.
    constexpr std::size_t max_batch = 256;
    // When the previous wake-up found several completions ready, they are arriving faster than
    // this thread is woken: it then lets them gather for `gather_window` before it drains. A
    // thread blocked in Next() is woken for every completion, and a delivery pass's thousand
    // writes would cost a thousand wake-ups (each an IPI paid by the writing io thread plus a
    // context switch here). A wake-up that finds one completion ends the gathering, so
    // sequential RPCs are never delayed.
    constexpr auto gather_window = std::chrono::microseconds(250);
    using completion = std::pair<bridge_tag*, bool>;
    void* raw = nullptr;
    bool ok = false;
    bool streaming = false;
    while (cq_->Next(&raw, &ok)) {
        if (streaming) std::this_thread::sleep_for(gather_window);
        auto batch = std::make_shared<std::vector<completion>>();
        batch->emplace_back(static_cast<bridge_tag*>(raw), ok);
        while (batch->size() < max_batch
               && cq_->AsyncNext(&raw, &ok, gpr_time_0(GPR_CLOCK_MONOTONIC))
                      == grpc::CompletionQueue::GOT_EVENT) {
            batch->emplace_back(static_cast<bridge_tag*>(raw), ok);
        }
        streaming = batch->size() > 1;
        asio::post(ex_, [batch] {
            for (const auto& [tag, tag_ok] : *batch) tag->complete(tag_ok);
        });
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
