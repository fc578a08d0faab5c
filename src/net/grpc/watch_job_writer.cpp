#include "net/grpc/watch_job_writer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <iterator>
#include <utility>

#include "net/grpc/job_events_wire.hpp"

namespace bfm::net::grpc_bridge {

namespace asio = boost::asio;

// Shared with the tag of a write in flight, which may complete after the writer is gone.
struct watch_job_writer::state {
    explicit state(asio::any_io_executor ex) : idle_signal(ex) {}

    bool in_flight = false;          // a Write (the pass's or the coroutine's) is outstanding
    bool coroutine_writing = false;  // the coroutine holds events it took: the pass waits
    bool failed = false;             // a write failed: the client is gone
    bool delivered = false;          // the pass wrote since take_delivered_directly()
    bool awaiting_idle = false;      // the coroutine waits on idle_signal
    asio::steady_timer idle_signal;  // cancelled when a write completes
    core::event_subscription* subscription = nullptr;  // null once stopped
};

class watch_job_writer::write_tag final : public bridge_tag {
public:
    write_tag(std::shared_ptr<state> s, watch_call call)
        : state_(std::move(s)), call_(std::move(call)) {}

    void complete(bool ok) override {
        const std::shared_ptr<state> s = std::move(state_);
        delete this;
        s->in_flight = false;
        if (s->awaiting_idle) s->idle_signal.cancel();
        if (s->subscription == nullptr) return;
        if (ok) {
            s->subscription->request_delivery();  // what queued up meanwhile
        } else {
            s->failed = true;
            s->subscription->wake();  // the coroutine ends the stream
        }
    }

private:
    std::shared_ptr<state> state_;
    watch_call call_;  // the call outlives its operations
};

watch_job_writer::watch_job_writer(watch_call call, core::event_subscription& subscription)
    : call_(std::move(call)), state_(std::make_shared<state>(call_->bridge().executor())) {
    state_->subscription = &subscription;
    subscription.deliver_directly(
        [this](std::deque<core::shared_event_ptr>& queue) { return deliver_now(queue); });
}

watch_job_writer::~watch_job_writer() {
    if (state_->subscription != nullptr) state_->subscription->deliver_directly(nullptr);
    state_->subscription = nullptr;
}

bool watch_job_writer::deliver_now(std::deque<core::shared_event_ptr>& queue) {
    // A write in flight asks for another pass when it completes; the coroutine takes the queue
    // after its own write.
    if (state_->in_flight || state_->coroutine_writing) return false;
    if (state_->failed || call_->done() || call_->bridge().closed()) return true;
    if (core::contains_job_finished(queue)) return true;
    const std::vector<core::shared_event_ptr> events(std::make_move_iterator(queue.begin()),
                                                     std::make_move_iterator(queue.end()));
    queue.clear();
    const grpc::ByteBuffer message = job_events_message(events);
    state_->in_flight = true;
    state_->delivered = true;
    bridge_tag* tag = new write_tag(state_, call_);
    call_->responder().Write(message, static_cast<void*>(tag));
    return false;
}

asio::awaitable<void> watch_job_writer::wait_idle() {
    while (state_->in_flight) {
        state_->idle_signal.expires_at(asio::steady_timer::time_point::max());
        state_->awaiting_idle = true;
        co_await state_->idle_signal.async_wait(asio::as_tuple(asio::use_awaitable));
        state_->awaiting_idle = false;
    }
}

asio::awaitable<bool> watch_job_writer::write(std::vector<core::shared_event_ptr> events) {
    state_->coroutine_writing = true;
    co_await wait_idle();
    bool ok = !state_->failed;
    if (ok) {
        const grpc::ByteBuffer message = job_events_message(events);
        state_->in_flight = true;
        ok = co_await call_->write(message);
        state_->in_flight = false;
    }
    state_->coroutine_writing = false;
    co_return ok;
}

bool watch_job_writer::take_delivered_directly() {
    return std::exchange(state_->delivered, false);
}

bool watch_job_writer::failed() const {
    return state_->failed;
}

asio::awaitable<void> watch_job_writer::stop() {
    if (state_->subscription != nullptr) state_->subscription->deliver_directly(nullptr);
    state_->subscription = nullptr;
    co_await wait_idle();
}

}  // namespace bfm::net::grpc_bridge
