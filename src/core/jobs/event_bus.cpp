#include "core/jobs/event_bus.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bfm::core {
namespace asio = boost::asio;

event_subscription::event_subscription(event_bus& bus, asio::any_io_executor ex,
                                       std::string job_id)
    : bus_(&bus), job_id_(std::move(job_id)), wake_(ex) {}

event_subscription::~event_subscription() {
    if (bus_ != nullptr) bus_->subscribers_.erase(self_);
}

asio::awaitable<std::optional<job_event>> event_subscription::next(
    std::chrono::milliseconds wait) {
    if (queue_.empty() && !overflowed_ && bus_ != nullptr) {
        wake_.expires_after(wait);
        co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (queue_.empty()) co_return std::nullopt;
    job_event event = queue_.front()->event;
    queue_.pop_front();
    co_return event;
}

asio::awaitable<std::vector<shared_event_ptr>> event_subscription::next_batch(
    std::chrono::milliseconds wait, std::size_t max) {
    if (queue_.empty() && !overflowed_ && bus_ != nullptr) {
        wake_.expires_after(wait);
        co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    std::vector<shared_event_ptr> out;
    while (!queue_.empty() && out.size() < max) {
        out.push_back(std::move(queue_.front()));
        queue_.pop_front();
    }
    co_return out;
}

event_bus::~event_bus() {
    for (auto* s : subscribers_) {
        s->bus_ = nullptr;
        s->wake_.cancel();
    }
}

std::unique_ptr<event_subscription> event_bus::subscribe(std::string job_id) {
    std::unique_ptr<event_subscription> sub(new event_subscription(*this, ex_, std::move(job_id)));
    sub->self_ = subscribers_.insert(subscribers_.end(), sub.get());
    return sub;
}

void event_bus::publish(const job_event& event) {
    shared_event_ptr shared;  // made on the first subscriber that wants it
    for (auto* s : subscribers_) {
        if (!s->job_id_.empty() && s->job_id_ != event.job_id) continue;
        if (s->overflowed_) continue;
        if (s->queue_.size() >= max_queued_) {
            s->overflowed_ = true;
            s->queue_.clear();
        } else {
            if (!shared) shared = std::make_shared<const shared_event>(shared_event{event, {}});
            s->queue_.push_back(shared);
        }
        s->wake_.cancel();
    }
}

}  // namespace bfm::core
