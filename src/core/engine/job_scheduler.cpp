#include "core/engine/job_scheduler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/jobs/job_request_json.hpp"
#include "state/state_store.hpp"

namespace bfm::core {
namespace asio = boost::asio;

namespace {

std::int64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                 - since)
        .count();
}

state::target_outcome outcome_of(const target_result& result, const target_control& control) {
    state::target_outcome o;
    for (const auto& m : result.migrations) {
        // A down job's reverts are the changes it made: counted with the applied ones.
        if (m.outcome == migration_outcome::applied || m.outcome == migration_outcome::rolled_back) {
            ++o.applied;
        }
        if (m.outcome == migration_outcome::skipped) ++o.skipped;
        if (m.outcome == migration_outcome::failed) ++o.failed;
    }
    o.migrations = result.migrations;
    o.error = result.error;
    if (o.error.empty()) {
        for (const auto& m : result.migrations) {
            if (m.outcome == migration_outcome::failed) o.error = m.migration_id + ": " + m.error;
        }
    }
    if (result.ok()) {
        o.status = target_status::succeeded;
    } else if (control.cancel_requested) {
        o.status = target_status::cancelled;
    } else {
        o.status = target_status::failed;
    }
    return o;
}

std::string describe_exception(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        return ex.what();
    } catch (...) {
        return "unknown exception";
    }
}

}  // namespace

job_scheduler::job_scheduler(asio::any_io_executor ex, deps d, std::string holder)
    : ex_(ex),
      deps_(d),
      holder_(std::move(holder)),
      locks_(d.leases, holder_, d.config.lock_lease),
      wake_(ex, asio::steady_timer::time_point::max()),
      heartbeat_(ex),
      idle_(ex, asio::steady_timer::time_point::max()) {}

void job_scheduler::start() {
    if (loops_started_) return;
    loops_started_ = true;
    auto log_end = [](const char* what) {
        return [what](std::exception_ptr e) {
            if (e) spdlog::error("job scheduler: {} loop failed: {}", what, describe_exception(e));
        };
    };
    asio::co_spawn(ex_, dispatch_loop(), log_end("dispatch"));
    asio::co_spawn(ex_, heartbeat_loop(), log_end("heartbeat"));
}

void job_scheduler::wake() { wake_.cancel(); }

std::size_t job_scheduler::running_on(const std::string& connection) const {
    return static_cast<std::size_t>(
        std::count_if(running_.begin(), running_.end(),
                      [&](const auto& r) { return r.second->claim.connection == connection; }));
}

void job_scheduler::publish(job_event event, const job_counts* counts) {
    event.at = state::to_rfc3339(std::chrono::system_clock::now());
    if (counts != nullptr) event.progress = counts->progress();
    deps_.events.publish(event);
}

asio::awaitable<void> job_scheduler::dispatch_loop() {
    bool reported_error = false;
    while (!stopping_) {
        bool full = true;
        for (const auto& connection : deps_.config.connections) {
            const std::size_t total = running_.size();
            if (total >= deps_.config.max_parallel) break;
            const std::size_t mine = running_on(connection.name);
            // Twice the sessions: a target's bookkeeping (state reads, lease, claim, finish) runs
            // while others hold the connection's sessions, which stay capped by its pool.
            const auto limit = 2 * static_cast<std::size_t>(connection.max_connections);
            if (mine >= limit) continue;
            const std::size_t free = std::min(limit - mine, deps_.config.max_parallel - total);
            auto claimed = co_await deps_.jobs.claim(connection.name, free, holder_,
                                                     deps_.config.lock_lease, known_jobs());
            if (!claimed) {
                if (!reported_error) {
                    spdlog::error("job scheduler: claiming targets of {} failed: {}",
                                  connection.name, claimed.error().to_string());
                }
                reported_error = true;
                break;
            }
            reported_error = false;
            if (claimed->size() < free) full = false;
            for (auto& claim : *claimed) {
                auto target = std::make_shared<running_target>();
                target->claim = std::move(claim);
                running_.emplace(std::make_pair(target->claim.job_id, target->claim.seq), target);
                asio::co_spawn(ex_, run_target(target), [this, target](std::exception_ptr e) {
                    if (e) {
                        spdlog::error("job {}: target {}/{} failed unexpectedly: {}",
                                      target->claim.job_id, target->claim.connection,
                                      target->claim.schema, describe_exception(e));
                    }
                    running_.erase(std::make_pair(target->claim.job_id, target->claim.seq));
                    idle_.cancel();
                    wake();
                });
            }
        }
        if (stopping_) break;
        // Sleep until a target ends or work is submitted here; poll for other replicas' work.
        // When every slot is busy there is nothing to poll for.
        wake_.expires_after(full && !running_.empty() ? std::chrono::hours(1)
                                                      : deps_.config.job_poll_interval);
        co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

asio::awaitable<void> job_scheduler::heartbeat_loop() {
    const auto interval = std::max(deps_.config.lock_lease / 3, std::chrono::milliseconds(100));
    while (!stopping_ || !running_.empty()) {
        heartbeat_.expires_after(interval);
        co_await heartbeat_.async_wait(asio::as_tuple(asio::use_awaitable));
        if (running_.empty()) continue;
        auto lost = co_await locks_.renew();
        if (!lost) {
            spdlog::warn("job scheduler: renewing leases failed: {}", lost.error().to_string());
        }
        std::vector<std::pair<state::claimed_target, std::string>> current;
        // Claims made while the heartbeat is on its way were not part of it: judge only these.
        std::map<std::pair<std::string, std::int64_t>, std::int64_t> sent;  // key -> claim token
        for (const auto& [key, target] : running_) {
            current.emplace_back(target->claim, target->control.current_migration);
            sent.emplace(key, target->claim.claim_token);
        }
        auto report = co_await deps_.jobs.heartbeat(holder_, deps_.config.lock_lease, current);
        if (!report) {
            // Not fatal yet: the leases last `lock_lease`; the next beat may get through.
            spdlog::warn("job scheduler: heartbeat failed: {}", report.error().to_string());
            continue;
        }
        for (auto& [key, target] : running_) {
            const auto beat = sent.find(key);
            if (beat == sent.end() || beat->second != target->claim.claim_token) continue;
            if (!report->kept.count(key)) {
                spdlog::error("job {}: claim on {}/{} lost (lease expired); stopping it",
                              key.first, target->claim.connection, target->claim.schema);
                target->control.claim_lost = true;
                stop_target(*target);
            } else if (report->cancel_requested.count(key.first)) {
                target->control.cancel_requested = true;
                stop_target(*target);
            }
        }
        if (lost && !lost->empty()) {
            // Their runs' writes are fenced off in the target databases (bfm.fence).
            spdlog::error("job scheduler: {} target lease(s) expired before renewal",
                          lost->size());
        }
    }
}

void job_scheduler::cancel_local(const std::string& job_id) {
    for (auto& [key, target] : running_) {
        if (key.first != job_id) continue;
        target->control.cancel_requested = true;
        stop_target(*target);
    }
}

void job_scheduler::stop_target(running_target& target) {
    pg::target_session* session = target.control.active;
    if (session == nullptr || session->cancelled()) return;
    asio::co_spawn(
        ex_,
        [session]() -> asio::awaitable<void> {
            auto st = co_await session->cancel();
            if (!st) spdlog::warn("cancelling a statement failed: {}", st.error().to_string());
        },
        asio::detached);
}

std::vector<std::string> job_scheduler::known_jobs() const {
    std::vector<std::string> ids;
    ids.reserve(contexts_.size());
    for (const auto& [job_id, ctx] : contexts_) ids.push_back(job_id);
    return ids;
}

std::shared_ptr<const job_scheduler::job_context> job_scheduler::make_context(
    const std::string& request_json) const {
    auto ctx = std::make_shared<job_context>();
    ctx->reg = deps_.registry();
    ctx->request_json = request_json;
    std::string error;
    auto request = job_request_from_json(request_json, error);
    const auto* connection =
        request ? deps_.config.find_connection(request->connection) : nullptr;
    if (!request) {
        ctx->error = error;
    } else if (connection == nullptr) {
        ctx->error = "connection " + request->connection + " is not configured on this replica";
    } else {
        ctx->request = std::move(*request);
        for (auto& group : group_targets(*ctx->reg, ctx->request, *connection)) {
            if (!group.error.empty()) ctx->errors[group.schema] = group.error;
            ctx->selected[group.schema] = std::move(group.selected);
        }
    }
    return ctx;
}

asio::awaitable<std::shared_ptr<const job_scheduler::job_context>> job_scheduler::context_for(
    const state::claimed_target& claim) {
    std::string request_json = claim.request_json;
    if (auto it = contexts_.find(claim.job_id); it != contexts_.end()) {
        if (it->second->reg == deps_.registry()) co_return it->second;
        if (request_json.empty()) request_json = it->second->request_json;
    }
    if (request_json.empty()) {
        // The claim left the request out (this replica knew the job), but its context has been
        // dropped since: read it.
        auto stored = co_await deps_.jobs.request_json(claim.job_id);
        if (stored && *stored) {
            request_json = **stored;
        } else {
            auto ctx = std::make_shared<job_context>();
            ctx->error = stored ? "job " + claim.job_id + " no longer exists"
                                : "reading the job's request failed: " + stored.error().to_string();
            co_return ctx;
        }
    }
    auto ctx = make_context(request_json);
    // Contexts of jobs that ended are dropped once more than a few are cached.
    if (contexts_.size() > 64) {
        for (auto it = contexts_.begin(); it != contexts_.end();) {
            const bool in_use = std::any_of(running_.begin(), running_.end(), [&](const auto& r) {
                return r.first.first == it->first;
            });
            it = in_use ? std::next(it) : contexts_.erase(it);
        }
    }
    contexts_[claim.job_id] = ctx;
    co_return ctx;
}

asio::awaitable<void> job_scheduler::run_target(std::shared_ptr<running_target> target) {
    const auto& claim = target->claim;
    const auto started = std::chrono::steady_clock::now();
    job_event started_event;
    started_event.type = job_event_type::target_started;
    started_event.job_id = claim.job_id;
    started_event.connection = claim.connection;
    started_event.schema = claim.schema;
    started_event.status = "running";
    publish(started_event);
    if (claim.attempts > 1) {
        spdlog::warn("job {}: taking over {}/{} (attempt {}): reconciling from its ledger first",
                     claim.job_id, claim.connection, claim.schema, claim.attempts);
    }

    const auto ctx = co_await context_for(claim);
    target_result result;
    result.connection = claim.connection;
    result.schema = claim.schema;
    if (!ctx->error.empty()) {
        result.error = ctx->error;
    } else if (auto e = ctx->errors.find(claim.schema); e != ctx->errors.end()) {
        result.error = e->second;
    } else {
        auto found = ctx->selected.find(claim.schema);
        static const std::vector<const migration*> none;
        const auto& selected = found == ctx->selected.end() ? none : found->second;
        run_hooks hooks;
        hooks.job_id = claim.job_id;
        hooks.locks = &locks_;
        hooks.control = &target->control;
        hooks.progress = &deps_.jobs;
        hooks.publish = [this](job_event event) { publish(std::move(event)); };
        target_runner runner(deps_.config, *ctx->reg, deps_.state, deps_.pools, ctx->request,
                             nullptr, std::move(hooks));
        result = co_await runner.run(claim.connection, claim.schema, selected);
    }
    auto outcome = outcome_of(result, target->control);
    outcome.duration_ms = elapsed_ms(started);
    co_await finish(*target, std::move(outcome));
}

asio::awaitable<void> job_scheduler::finish(running_target& target, state::target_outcome outcome) {
    const auto& claim = target.claim;
    if (target.control.claim_lost) {
        spdlog::warn("job {}: {}/{} ended after its claim was lost; the new owner records it",
                     claim.job_id, claim.connection, claim.schema);
        co_return;
    }
    if (target.control.shutting_down && outcome.status != target_status::succeeded) {
        // Not a failure of the target: another replica (or the next start) runs it again.
        auto requeued = co_await deps_.jobs.requeue(claim);
        if (!requeued) {
            spdlog::warn("job {}: queueing {}/{} again failed ({}); its lease expires instead",
                         claim.job_id, claim.connection, claim.schema,
                         requeued.error().to_string());
        }
        co_return;
    }
    const auto status = outcome.status;
    const auto error = outcome.error;
    auto job = co_await deps_.jobs.finish_target(claim, outcome);
    if (!job) {
        // The claim stays `running`; when its lease expires another run takes it over and
        // reconciles from the ledger.
        spdlog::error("job {}: recording the end of {}/{} failed: {}", claim.job_id,
                      claim.connection, claim.schema, job.error().to_string());
        co_return;
    }
    if (!*job) {
        spdlog::warn("job {}: {}/{} was taken over by another replica meanwhile", claim.job_id,
                     claim.connection, claim.schema);
        co_return;
    }
    job_summary summary = **job;
    deps_.cache.put(summary);
    job_event finished;
    finished.type = job_event_type::target_finished;
    finished.job_id = claim.job_id;
    finished.connection = claim.connection;
    finished.schema = claim.schema;
    finished.status = std::string(to_string(status));
    finished.error = error;
    finished.duration_ms = outcome.duration_ms;
    publish(finished, &summary.counts);
    if (status == target_status::failed) {
        spdlog::error("job {}: target {}/{} failed: {}", claim.job_id, claim.connection,
                      claim.schema, error);
    }

    const bool stop_now =
        status == target_status::failed
        && (claim.options.on_error == on_error_policy::stop
            || (claim.options.max_failures > 0
                && summary.counts.targets_failed >= claim.options.max_failures));
    if (stop_now) {
        auto stopped = co_await deps_.jobs.stop_remaining(
            claim.job_id, "not run: the job stopped after " + claim.schema + " failed (on_error="
                              + std::string(to_string(claim.options.on_error))
                              + ", max_failures=" + std::to_string(claim.options.max_failures)
                              + ")");
        if (stopped) {
            summary = *stopped;
            deps_.cache.put(summary);
        } else {
            spdlog::error("job {}: stopping the remaining targets failed: {}", claim.job_id,
                          stopped.error().to_string());
        }
    }
    if (summary.counts.targets_done < summary.counts.targets_total) co_return;
    auto done = co_await deps_.jobs.finish_job_if_done(claim.job_id);
    if (!done) {
        spdlog::error("job {}: recording its end failed: {}", claim.job_id,
                      done.error().to_string());
        co_return;
    }
    if (!*done) co_return;  // another finisher recorded it
    const job_summary& final_job = **done;
    deps_.cache.put(final_job);
    spdlog::info("job {} {}: {} target(s), {} failed; {} migration(s) applied, {} skipped",
                 final_job.job_id, to_string(final_job.status), final_job.counts.targets_total,
                 final_job.counts.targets_failed, final_job.counts.migrations_applied,
                 final_job.counts.migrations_skipped);
    job_event ended;
    ended.type = job_event_type::job_finished;
    ended.job_id = final_job.job_id;
    ended.status = std::string(to_string(final_job.status));
    ended.error = final_job.error;
    publish(ended, &final_job.counts);
    contexts_.erase(final_job.job_id);
}

asio::awaitable<void> job_scheduler::stop(std::chrono::milliseconds grace) {
    stopping_ = true;
    wake();
    const auto deadline = std::chrono::steady_clock::now() + grace;
    bool cancelled = false;
    while (!running_.empty()) {
        if (!cancelled && std::chrono::steady_clock::now() >= deadline) {
            spdlog::warn("shutdown: {} target(s) still running after {} ms; cancelling them",
                         running_.size(), grace.count());
            for (auto& [key, target] : running_) {
                target->control.shutting_down = true;
                stop_target(*target);
            }
            cancelled = true;
        }
        idle_.expires_at(cancelled ? std::chrono::steady_clock::now() + std::chrono::seconds(1)
                                   : deadline);
        co_await idle_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    heartbeat_.cancel();
}

}  // namespace bfm::core
