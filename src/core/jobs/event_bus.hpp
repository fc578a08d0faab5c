#pragma once
// One in-process bus for job progress events (SPEC 6, DESIGN data flow): the job engine
// publishes, SSE streams / gRPC WatchJob / logs subscribe. Runs on the single io thread, so it
// needs no locks; a subscriber that falls too far behind is cut off rather than growing memory.
//
// Publishing only queues: waiting subscribers are woken by one delivery pass per burst, at most
// every `flush_interval`. With thousands of watchers a wake-up per event and watcher would cost
// more than the events themselves; a pass hands each watcher everything since its last one, so
// it makes one write per pass whatever the event rate.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/jobs/job_types.hpp"

namespace bfm::core {

class event_bus;

// One published event, shared by the queues of every subscriber that gets it. The `encoded_*`
// fields cache the event's form on a transport: the first subscriber that serializes it stores
// the bytes there and the others reuse them (everything runs on the io thread).
struct shared_event {
    job_event event;
    mutable std::string encoded_json;   // SSE: the JSON of the event
    mutable std::string encoded_proto;  // gRPC: the serialized JobEvent message
};
using shared_event_ptr = std::shared_ptr<const shared_event>;

inline shared_event_ptr make_shared_event(job_event event) {
    return std::make_shared<const shared_event>(shared_event{std::move(event), {}, {}});
}

// True when `events` hold the job's last event (a stream's coroutine must write that one: it
// ends the stream).
template <class Events>
bool contains_job_finished(const Events& events) {
    for (const shared_event_ptr& shared : events) {
        if (shared->event.type == job_event_type::job_finished) return true;
    }
    return false;
}

// Events of one job (or of every job when the job ID is empty) in publication order.
class event_subscription {
public:
    ~event_subscription();
    event_subscription(const event_subscription&) = delete;
    event_subscription& operator=(const event_subscription&) = delete;

    // The next event; nullopt after `wait` passed without one (the caller may send a
    // keep-alive and call again). Throws nothing; `overflowed()` tells why the stream ended.
    boost::asio::awaitable<std::optional<job_event>> next(std::chrono::milliseconds wait);

    // Every queued event (up to `max`), waiting up to `wait` for the first: a subscriber that
    // fell behind catches up with one write instead of one per event. Empty after `wait`.
    boost::asio::awaitable<std::vector<shared_event_ptr>> next_batch(std::chrono::milliseconds wait,
                                                                     std::size_t max);

    // True when the subscriber fell more than the bus's limit behind and events were dropped:
    // it should re-read the snapshot or end the stream.
    bool overflowed() const { return overflowed_; }

    // A transport that can write without suspending (a non-blocking socket send, a gRPC write
    // started with a tag) lets the delivery pass hand it the queued events directly, instead of
    // waking the subscriber's coroutine only for it to make that write: with thousands of
    // watchers, the resumptions, timers and completions cost more than the writes. The callback
    // takes from `queue` what it writes and returns true when the coroutine must run anyway (to
    // finish a partial write, to end the stream, or to write what the callback could not).
    // While it is set, the queue belongs to the pass: next()/next_batch() hand out events only
    // after the callback handed them back (returned true) or wake() was called. Clear it
    // (nullptr) before whatever it refers to goes away.
    using direct_delivery = std::function<bool(std::deque<shared_event_ptr>& queue)>;
    void deliver_directly(direct_delivery deliver) { direct_ = std::move(deliver); }
    // Asks for a delivery pass soon (a direct write that was busy has finished).
    void request_delivery();
    // Ends a wait in next()/next_batch() now, with whatever is queued.
    void wake();

private:
    friend class event_bus;
    event_subscription(event_bus& bus, boost::asio::any_io_executor ex, std::string job_id);
    boost::asio::awaitable<void> wait_for_events(std::chrono::milliseconds wait);
    bool has_events_for_coroutine() const;

    event_bus* bus_;
    std::string job_id_;
    std::deque<shared_event_ptr> queue_;
    boost::asio::steady_timer wake_;
    bool waiting_ = false;
    bool overflowed_ = false;
    direct_delivery direct_;
    bool handed_back_ = false;  // the direct delivery left the queue to the coroutine
    std::list<event_subscription*>::iterator self_;
};

class event_bus {
public:
    static constexpr std::chrono::milliseconds default_flush_interval{10};

    explicit event_bus(boost::asio::any_io_executor ex, std::size_t max_queued = 10000,
                       std::chrono::milliseconds flush_interval = default_flush_interval);
    ~event_bus();
    event_bus(const event_bus&) = delete;
    event_bus& operator=(const event_bus&) = delete;

    // Empty job_id: every job's events.
    std::unique_ptr<event_subscription> subscribe(std::string job_id);
    void publish(const job_event& event);

    std::size_t subscriber_count() const { return subscribers_.size(); }

private:
    friend class event_subscription;
    void schedule_flush();
    void flush();

    boost::asio::any_io_executor ex_;
    std::size_t max_queued_;
    std::chrono::milliseconds flush_interval_;
    std::list<event_subscription*> subscribers_;
    boost::asio::steady_timer flush_timer_;
    std::chrono::steady_clock::time_point last_flush_{};
    bool flush_scheduled_ = false;
    // Cleared on destruction: a flush handler that runs afterwards must not touch the bus.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bfm::core
