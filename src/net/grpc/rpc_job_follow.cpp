#include "net/grpc/rpc_job_follow.hpp"

#include "net/job_json.hpp"

namespace bfm::net::grpc_bridge {

namespace asio = boost::asio;

namespace {

// How often a waiting stream looks at its call (client gone, shutdown), and how long a quiet
// stream waits before it re-reads the job.
constexpr std::chrono::milliseconds poll_tick{250};
constexpr std::chrono::milliseconds recheck_after{2000};

}  // namespace

asio::awaitable<grpc::Status> follow_job(rpc_env& env, std::shared_ptr<rpc_context> call,
                                         std::unique_ptr<core::event_subscription>& subscription,
                                         bool all_jobs, const std::string& job_id,
                                         event_writer& writer) {
    std::chrono::milliseconds quiet{0};
    for (;;) {
        // The client is gone: nobody reads the status; returning frees the subscription.
        if (call->done()) co_return grpc::Status(grpc::StatusCode::CANCELLED, "call ended");
        if (writer.failed()) co_return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
        if (env.stopping) {
            co_return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                   "bfm is shutting down; the job goes on: watch it again (on "
                                   "another replica, or after the restart)");
        }
        // Everything queued at once: one wake-up per batch, and the events are shared with the
        // other subscribers, not copied.
        std::vector<core::shared_event_ptr> batch =
            co_await subscription->next_batch(poll_tick, 256);
        if (!batch.empty()) {
            quiet = std::chrono::milliseconds{0};
            std::vector<core::shared_event_ptr> mine;
            mine.reserve(batch.size());
            bool finished = false;
            for (core::shared_event_ptr& shared : batch) {
                if (shared->event.job_id != job_id) continue;
                finished = shared->event.type == core::job_event_type::job_finished;
                mine.push_back(std::move(shared));
                if (finished) break;
            }
            if (mine.empty()) continue;
            if (!co_await writer.write(std::move(mine))) {
                co_return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
            }
            if (finished) co_return grpc::Status::OK;
            continue;
        }
        if (subscription->overflowed()) {
            if (!all_jobs) {
                co_return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                       "this client fell too far behind the job's events; call "
                                       "WatchJob again for a fresh snapshot");
            }
            // Other jobs' events crowded ours out: go on from the stored state.
            subscription = env.service.events().subscribe("");
            quiet = recheck_after;
        } else if (writer.take_delivered_directly()) {
            quiet = std::chrono::milliseconds{0};
        } else {
            quiet += poll_tick;
        }
        if (quiet < recheck_after) continue;
        quiet = std::chrono::milliseconds{0};
        core::service_outcome<core::job_summary> job = co_await env.service.get_job(job_id);
        if (job.value && core::is_final(job.value->status)) {
            std::vector<core::shared_event_ptr> finished{
                core::make_shared_event(finished_event(*job.value))};
            co_await writer.write(std::move(finished));
            co_return grpc::Status::OK;
        }
        if (job.error && job.error->code == "job_not_found") co_return to_status(*job.error);
        // Any other failure (state DB briefly away) is retried after the next quiet while.
    }
}

}  // namespace bfm::net::grpc_bridge
