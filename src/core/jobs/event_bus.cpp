#include "core/jobs/event_bus.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bfm::core {
namespace asio = boost::asio;

event_subscription::event_subscription(event_bus& bus, asio::any_io_executor ex, std::string job_id)
    : bus_(&bus), job_id_(std::move(job_id)), wake_(ex) {}

event_subscription::~event_subscription() {
    if (bus_ != nullptr) bus_->subscribers_.erase(self_);
}

bool event_subscription::has_events_for_coroutine() const {
    if (direct_ && !handed_back_) return false;
    return !queue_.empty();
}

asio::awaitable<void> event_subscription::wait_for_events(std::chrono::milliseconds wait) {
    if (has_events_for_coroutine() || overflowed_ || bus_ == nullptr) co_return;
    wake_.expires_after(wait);
    waiting_ = true;
    co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    waiting_ = false;
}

asio::awaitable<std::optional<job_event>> event_subscription::next(std::chrono::milliseconds wait) {
    co_await wait_for_events(wait);
    if (!has_events_for_coroutine()) co_return std::nullopt;
    handed_back_ = false;
    job_event event = queue_.front()->event;
    queue_.pop_front();
    co_return event;
}

asio::awaitable<std::vector<shared_event_ptr>> event_subscription::next_batch(
    std::chrono::milliseconds wait, std::size_t max) {
    co_await wait_for_events(wait);
    std::vector<shared_event_ptr> out;
    if (!has_events_for_coroutine()) co_return out;
    handed_back_ = false;
    out.reserve(std::min(max, queue_.size()));
    while (!queue_.empty() && out.size() < max) {
        out.push_back(std::move(queue_.front()));
        queue_.pop_front();
    }
    co_return out;
}

void event_subscription::request_delivery() {
    if (bus_ != nullptr && !queue_.empty()) bus_->schedule_flush();
}

void event_subscription::wake() {
    handed_back_ = true;
    if (waiting_) wake_.cancel();
}

event_bus::event_bus(asio::any_io_executor ex, std::size_t max_queued,
                     std::chrono::milliseconds flush_interval)
    : ex_(ex), max_queued_(max_queued), flush_interval_(flush_interval), flush_timer_(ex) {}

event_bus::~event_bus() {
    *alive_ = false;
    flush_timer_.cancel();
    for (auto* s : subscribers_) {
        s->bus_ = nullptr;
        s->wake();
    }
}

std::unique_ptr<event_subscription> event_bus::subscribe(std::string job_id) {
    std::unique_ptr<event_subscription> sub(new event_subscription(*this, ex_, std::move(job_id)));
    sub->self_ = subscribers_.insert(subscribers_.end(), sub.get());
    return sub;
}

void event_bus::publish(const job_event& event) {
    shared_event_ptr shared;  // made on the first subscriber that wants it
    bool queued = false;
    for (auto* s : subscribers_) {
        if (!s->job_id_.empty() && s->job_id_ != event.job_id) continue;
        if (s->overflowed_) continue;
        if (s->queue_.size() >= max_queued_) {
            s->overflowed_ = true;
            s->queue_.clear();
        } else {
            if (!shared) shared = make_shared_event(event);
            s->queue_.push_back(shared);
        }
        queued = true;
    }
    if (queued) schedule_flush();
}

void event_bus::schedule_flush() {
    if (flush_scheduled_) return;
    flush_scheduled_ = true;
    flush_timer_.expires_at(
        std::max(std::chrono::steady_clock::now(), last_flush_ + flush_interval_));
    flush_timer_.async_wait([this, alive = alive_](const boost::system::error_code&) {
        if (*alive) flush();
    });
}

void event_bus::flush() {
    flush_scheduled_ = false;
    last_flush_ = std::chrono::steady_clock::now();
    for (auto* s : subscribers_) {
        if (s->queue_.empty() && !s->overflowed_) continue;
        if (s->direct_ && !s->overflowed_ && !s->direct_(s->queue_)) continue;
        // A subscriber that is busy writing takes what is queued when it asks next.
        s->wake();
    }
}

}  // namespace bfm::core
