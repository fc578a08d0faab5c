#pragma once
// One in-process bus for job progress events (SPEC 6, DESIGN data flow): the job engine
// publishes, SSE streams / gRPC WatchJob / logs subscribe. Runs on the single io thread, so it
// needs no locks; a subscriber that falls too far behind is cut off rather than growing memory.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/jobs/job_types.hpp"

namespace bfm::core {

class event_bus;

// One published event, shared by the queues of every subscriber that gets it. `encoded` is a
// cache for a transport: the first subscriber that serializes the event stores the text there
// and the others reuse it (everything runs on the io thread).
struct shared_event {
    job_event event;
    mutable std::string encoded;
};
using shared_event_ptr = std::shared_ptr<const shared_event>;

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

private:
    friend class event_bus;
    event_subscription(event_bus& bus, boost::asio::any_io_executor ex, std::string job_id);

    event_bus* bus_;
    std::string job_id_;
    std::deque<shared_event_ptr> queue_;
    boost::asio::steady_timer wake_;
    bool overflowed_ = false;
    std::list<event_subscription*>::iterator self_;
};

class event_bus {
public:
    explicit event_bus(boost::asio::any_io_executor ex, std::size_t max_queued = 10000)
        : ex_(std::move(ex)), max_queued_(max_queued) {}
    ~event_bus();
    event_bus(const event_bus&) = delete;
    event_bus& operator=(const event_bus&) = delete;

    // Empty job_id: every job's events.
    std::unique_ptr<event_subscription> subscribe(std::string job_id);
    void publish(const job_event& event);

    std::size_t subscriber_count() const { return subscribers_.size(); }

private:
    friend class event_subscription;
    boost::asio::any_io_executor ex_;
    std::size_t max_queued_;
    std::list<event_subscription*> subscribers_;
};

}  // namespace bfm::core
