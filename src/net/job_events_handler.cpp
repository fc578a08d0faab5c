// GET /api/v1/jobs/{id}/events: Server-Sent Events (SPEC 6). A late subscriber first gets a
// snapshot (the job and all its targets), then live events from this process's event bus. A
// quiet period sends a keep-alive comment and re-reads the job, because the job may be run by
// another replica whose events this process never sees: a job found final ends the stream with
// a job_finished built from the stored summary.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <deque>
#include <utility>

#include "net/handlers.hpp"
#include "net/job_errors.hpp"
#include "net/job_json.hpp"
#include "net/job_query_params.hpp"

namespace bfm::net {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

class job_event_stream final : public response_stream {
public:
    job_event_stream(core::job_service& service, core::job_summary job,
                     std::unique_ptr<core::event_subscription> subscription, json::object snapshot,
                     std::chrono::milliseconds keep_alive)
        : service_(service),
          job_(std::move(job)),
          subscription_(std::move(subscription)),
          snapshot_(std::move(snapshot)),
          keep_alive_(keep_alive) {}

    asio::awaitable<void> run(stream_sink& sink) override {
        if (!co_await send(sink, "snapshot", snapshot_)) co_return;
        snapshot_.clear();  // sent; no need to hold it for the stream's lifetime
        if (core::is_final(job_.status)) {
            co_await send_event(sink, finished_event(job_));
            co_return;
        }
        // From now on the bus's delivery pass writes for this stream itself while the socket
        // takes the bytes at once; this coroutine only wakes for what that cannot do.
        subscription_->deliver_directly([this, &sink](std::deque<core::shared_event_ptr>& queue) {
            return deliver_now(sink, queue);
        });
        const direct_delivery_guard guard{*subscription_};
        while (!sink.stopping()) {
            std::vector<core::shared_event_ptr> batch =
                co_await subscription_->next_batch(keep_alive_, max_batch);
            if (!batch.empty()) {
                const bool finished = append_frames(batch);
                std::string frames = std::move(frames_);
                frames_.clear();
                if (!co_await sink.write(std::move(frames))) co_return;
                if (finished) co_return;
                continue;
            }
            if (sink.has_kept()) {  // a direct write the socket only partly took
                if (!co_await sink.write(std::string())) co_return;
                continue;
            }
            if (direct_failed_) co_return;  // the client is gone
            if (subscription_->overflowed()) {
                co_await send_error(sink, "events_overflow",
                                    "this client fell too far behind the job's events; "
                                    "reconnect for a fresh snapshot");
                co_return;
            }
            // Not quiet: the delivery pass wrote while this coroutine waited.
            if (std::exchange(delivered_directly_, false)) continue;
            if (!co_await sink.write(sse_comment("keep-alive"))) co_return;
            if (co_await finished_elsewhere(sink)) co_return;
        }
    }

private:
    // Re-reads the job; true when the stream has ended (the job is final or gone).
    asio::awaitable<bool> finished_elsewhere(stream_sink& sink) {
        core::service_outcome<core::job_summary> outcome = co_await service_.get_job(job_.job_id);
        if (outcome.value && core::is_final(outcome.value->status)) {
            co_await send_event(sink, finished_event(*outcome.value));
            co_return true;
        }
        if (outcome.error && outcome.error->code == "job_not_found") {
            co_await send_error(sink, outcome.error->code, outcome.error->message);
            co_return true;
        }
        // Any other read failure (state DB briefly away) is retried after the next wait.
        co_return false;
    }

    static constexpr std::size_t max_batch = 256;

    struct direct_delivery_guard {
        core::event_subscription& subscription;
        ~direct_delivery_guard() { subscription.deliver_directly(nullptr); }
    };

    // Appends the SSE frames of `events` (oldest first) to frames_; each event's JSON is made
    // once for all of its subscribers (shared_event::encoded_json). True when job_finished was
    // among them (the events after it are dropped: the stream ends there).
    template <class Events>
    bool append_frames(const Events& events) {
        for (const auto& shared : events) {
            if (shared->encoded_json.empty()) {
                shared->encoded_json = json::serialize(job_event_json(shared->event));
            }
            append_sse_event(frames_, core::to_string(shared->event.type), next_id_++,
                             shared->encoded_json);
            if (shared->event.type == core::job_event_type::job_finished) return true;
        }
        return false;
    }

    // The delivery pass's write (event_subscription::deliver_directly): true when this stream's
    // coroutine has to run.
    bool deliver_now(stream_sink& sink, std::deque<core::shared_event_ptr>& queue) {
        if (core::contains_job_finished(queue) || !sink.can_write_now()) return true;
        append_frames(queue);
        queue.clear();
        const stream_sink::write_now_result result = sink.write_now(frames_);
        frames_.clear();
        if (result == stream_sink::write_now_result::failed) {
            direct_failed_ = true;  // the client is gone: the coroutine ends the stream
            return true;
        }
        delivered_directly_ = true;
        // Partly kept: the coroutine sends the rest.
        return result != stream_sink::write_now_result::sent;
    }

    asio::awaitable<bool> send_event(stream_sink& sink, const core::job_event& event) {
        const json::object data = job_event_json(event);
        co_return co_await send(sink, core::to_string(event.type), data);
    }

    asio::awaitable<bool> send_error(stream_sink& sink, std::string_view code,
                                     std::string_view message) {
        json::object data;
        data["code"] = code;
        data["message"] = message;
        data["job_id"] = job_.job_id;
        co_return co_await send(sink, "error", data);
    }

    asio::awaitable<bool> send(stream_sink& sink, std::string_view type, const json::object& data) {
        std::string frame = sse_event(type, next_id_++, json::serialize(data));
        co_return co_await sink.write(std::move(frame));
    }

    core::job_service& service_;
    core::job_summary job_;
    std::unique_ptr<core::event_subscription> subscription_;
    json::object snapshot_;
    std::chrono::milliseconds keep_alive_;
    std::uint64_t next_id_ = 1;
    std::string frames_;  // the frames being written (direct writes reuse its capacity)
    bool delivered_directly_ = false;
    bool direct_failed_ = false;
};

// Every target row of the job, page by page.
asio::awaitable<core::service_outcome<json::array>> read_all_targets(core::job_service& service,
                                                                     const std::string& job_id) {
    core::service_outcome<json::array> out;
    json::array rows;
    core::job_target_query query;
    query.limit = max_list_limit;
    for (;;) {
        core::service_outcome<core::job_target_page> page =
            co_await service.job_targets(job_id, query);
        if (page.error) {
            out.error = std::move(page.error);
            co_return out;
        }
        if (!page.value)
            throw std::logic_error("job_targets returned neither a value nor an error");
        for (const core::job_target_row& row : page.value->items) {
            rows.push_back(job_target_json(row));
        }
        query.offset += page.value->items.size();
        if (page.value->items.empty() || query.offset >= page.value->total) break;
    }
    out.value = std::move(rows);
    co_return out;
}

}  // namespace

asio::awaitable<stream_reply> handle_job_events(core::job_service& service, std::string_view id,
                                                std::chrono::milliseconds keep_alive) {
    stream_reply out;
    std::optional<std::string> job_id = parse_job_id(id);
    if (!job_id) {
        out.reply = invalid_job_id_reply(id);
        co_return out;
    }
    // Subscribe before reading the snapshot: an event published in between is then queued
    // (seen twice at worst), never lost.
    std::unique_ptr<core::event_subscription> subscription = service.events().subscribe(*job_id);
    core::service_outcome<core::job_summary> job = co_await service.get_job(*job_id);
    if (job.error) {
        out.reply = job_service_error(*job.error);
        co_return out;
    }
    if (!job.value) throw std::logic_error("get_job returned neither a value nor an error");
    core::service_outcome<json::array> targets = co_await read_all_targets(service, *job_id);
    if (targets.error) {
        out.reply = job_service_error(*targets.error);
        co_return out;
    }
    json::object snapshot;
    snapshot["job"] = job_json(*job.value);
    snapshot["targets"] = std::move(*targets.value);
    out.stream = std::make_unique<job_event_stream>(
        service, std::move(*job.value), std::move(subscription), std::move(snapshot), keep_alive);
    co_return out;
}

}  // namespace bfm::net
