#pragma once
// Runs durable jobs (SPEC 3, 6): claims runnable targets from the state database
// (FOR UPDATE SKIP LOCKED, so several replicas share one queue), runs each in a coroutine
// bounded per connection ({CONN}_MAX_CONNECTIONS) and overall (BFM_MAX_PARALLEL), keeps its
// claims and leases alive with a heartbeat, and records each target's end and the job's.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/engine/job_cache.hpp"
#include "core/engine/target_control.hpp"
#include "core/engine/target_groups.hpp"
#include "core/engine/target_locks.hpp"
#include "core/engine/target_runner.hpp"
#include "core/jobs/event_bus.hpp"
#include "state/job_store.hpp"
#include "state/lease_store.hpp"
#include "state/state_store.hpp"

namespace bfm::core {

class job_scheduler {
public:
    struct deps {
        const app_config& config;
        std::function<registry_ptr()> registry;  // the current one, read when a target starts
        state::state_store& state;
        state::job_store& jobs;
        state::lease_store& leases;
        const pool_map& pools;
        event_bus& events;
        job_cache& cache;  // refreshed with every job summary the scheduler gets back
    };
    job_scheduler(boost::asio::any_io_executor ex, deps d, std::string holder);

    // Starts the dispatch and heartbeat loops.
    void start();
    // Stops claiming; targets already running finish (bounded by `grace`), then the ones left
    // are cancelled and stay claimed until their lease expires (the next start or another
    // replica resumes them).
    boost::asio::awaitable<void> stop(std::chrono::milliseconds grace);

    // New work was submitted here: claim now rather than at the next poll.
    void wake();
    // Cancels the running targets of a job on this replica (statements in flight included).
    void cancel_local(const std::string& job_id);

    // Publishes a job event, filling `at` and `progress`.
    void publish(job_event event, const job_counts* counts = nullptr);

    const std::string& holder() const { return holder_; }
    std::size_t running() const { return running_.size(); }

private:
    struct running_target {
        state::claimed_target claim;
        target_control control;
    };
    // A job's request and target groups, parsed once per job on this replica.
    struct job_context {
        job_request request;
        registry_ptr reg;
        std::map<std::string, std::vector<const migration*>> selected;  // by run schema
        std::map<std::string, std::string> errors;                      // by run schema
        std::string request_json;  // as stored: parsed again when the registry is reloaded
        std::string error;         // the stored request could not be used
    };

    boost::asio::awaitable<void> dispatch_loop();
    boost::asio::awaitable<void> heartbeat_loop();
    boost::asio::awaitable<void> run_target(std::shared_ptr<running_target> target);
    boost::asio::awaitable<void> finish(running_target& target, state::target_outcome outcome);
    boost::asio::awaitable<std::shared_ptr<const job_context>> context_for(
        const state::claimed_target& claim);
    std::shared_ptr<const job_context> make_context(const std::string& request_json) const;
    std::vector<std::string> known_jobs() const;
    void stop_target(running_target& target);
    std::size_t running_on(const std::string& connection) const;

    boost::asio::any_io_executor ex_;
    deps deps_;
    std::string holder_;
    target_locks locks_;
    boost::asio::steady_timer wake_;
    boost::asio::steady_timer heartbeat_;
    boost::asio::steady_timer idle_;  // signalled whenever a target ends (stop() waits on it)
    bool stopping_ = false;
    bool loops_started_ = false;
    std::map<std::pair<std::string, std::int64_t>, std::shared_ptr<running_target>> running_;
    std::map<std::string, std::shared_ptr<const job_context>> contexts_;
};

}  // namespace bfm::core
