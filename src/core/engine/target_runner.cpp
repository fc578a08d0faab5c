#include "core/engine/target_runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <random>
#include <set>

#include "core/bfm_metrics.hpp"
#include "core/engine/retry_policy.hpp"
#include "core/engine/skip_records.hpp"
#include "core/engine/step_rendering.hpp"
#include "core/revert_planner.hpp"
#include "core/uuid.hpp"

namespace bfm::core {
namespace asio = boost::asio;

namespace {

std::string join(const std::vector<std::string>& parts, const char* separator) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) out += separator;
        out += p;
    }
    return out;
}

std::int64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                 - since)
        .count();
}

migration_result skipped_id(const std::string& migration_id) {
    migration_result r;
    r.migration_id = migration_id;
    r.outcome = migration_outcome::skipped;
    return r;
}

migration_result skipped(const plan_step& step) { return skipped_id(step.m->id); }

migration_result would_run_or_skip(const plan_step& step) {
    migration_result r = skipped(step);
    if (step.action == step_action::run) r.outcome = migration_outcome::would_apply;
    return r;
}

}  // namespace

target_runner::target_runner(const app_config& config, const registry& registry,
                             state::state_store& store, const pool_map& pools,
                             const job_request& request,
                             std::shared_ptr<const state_snapshot::table> preloaded,
                             run_hooks hooks)
    : config_(config),
      registry_(registry),
      store_(store),
      pools_(pools),
      request_(request),
      preloaded_(std::move(preloaded)),
      hooks_(std::move(hooks)),
      log_prefix_(hooks_.job_id.empty() ? std::string() : "job " + hooks_.job_id + ": ") {}

void target_runner::publish(job_event_type type, const plan_step* step, std::string status,
                            std::string error, std::int64_t duration_ms,
                            std::int64_t statement_index) const {
    if (!hooks_.publish) return;
    job_event e;
    e.type = type;
    e.job_id = hooks_.job_id;
    if (step != nullptr) {
        e.connection = step->connection;
        e.schema = step->schema;
        e.migration_id = step->m->id;
    }
    e.status = std::move(status);
    e.error = std::move(error);
    e.duration_ms = duration_ms;
    e.statement_index = statement_index;
    hooks_.publish(std::move(e));
}

pg::target_options target_runner::options_for(const std::string& connection) const {
    pg::target_options options;
    options.lock_timeout = config_.lock_timeout;
    options.statement_timeout = config_.statement_timeout;
    if (const auto* c = config_.find_connection(connection)) options.ledger = c->ledger;
    return options;
}

std::vector<std::string> schemas_to_read(const registry& reg,
                                         const std::vector<std::string>& target_schemas) {
    // The targets' own schemas plus every declared schema: where fixed dependencies live.
    std::set<std::string> schemas(target_schemas.begin(), target_schemas.end());
    schemas.erase("");
    for (const auto& m : reg.all()) {
        if (!m.schema.empty()) schemas.insert(m.schema);
    }
    return {schemas.begin(), schemas.end()};
}

asio::awaitable<std::string> target_runner::load_snapshot(const std::string& schema) {
    auto rows = co_await store_.load_schemas(
        schemas_to_read(registry_, std::vector<std::string>(1, schema)));
    if (!rows) co_return "reading state failed: " + rows.error().to_string();
    snapshot_ = std::make_unique<state_snapshot>(state_snapshot::make_table(std::move(*rows)));
    co_return std::string();
}

target_plan target_runner::make_plan(const std::string& connection, const std::string& schema,
                                     const std::vector<const migration*>& selected) const {
    plan_options options;
    options.ignore_dependencies = request_.ignore_dependencies;
    options.allow_modified = request_.allow_modified;
    options.strict_order = request_.strict_order;
    return plan_target(registry_, selected, connection, schema, *snapshot_, options);
}

asio::awaitable<target_result> target_runner::run(const std::string& connection,
                                                  const std::string& schema,
                                                  const std::vector<const migration*>& selected) {
    if (is_revert(request_.kind)) co_return co_await run_revert(connection, schema, selected);
    if (is_operator_fix(request_.kind)) co_return co_await run_fix(connection, schema, selected);
    target_result result;
    result.connection = connection;
    result.schema = schema;
    session_map sessions;
    auto fail = [&](std::string problem) -> asio::awaitable<target_result> {
        co_await close_all(sessions);
        result.error = std::move(problem);
        co_return result;
    };
    // A job's target almost always has work (targets with none are finished when the job is
    // created), so it is locked first and its state read once, under the lock. Other runs plan
    // from state read without locks (a fan-out reads all its targets' state in one query), which
    // tells what to lock, and plan again once the locks are held.
    const bool lock_first = hooks_.locks != nullptr && !request_.dry_run && !preloaded_
                            && std::any_of(selected.begin(), selected.end(),
                                           [](const migration* m) { return m->schema.empty(); })
                            && plans_without_state(connection, schema, selected);
    bool state_is_fresh = false;
    if (lock_first) {
        const std::set<place> own{place(connection, schema)};
        if (auto problem = co_await open_places(own, sessions, false);
            !problem.empty()) {
            co_return co_await fail(std::move(problem));
        }
    }
    if (preloaded_) {
        snapshot_ = std::make_unique<state_snapshot>(preloaded_);
    } else if (auto problem = co_await load_snapshot(schema); !problem.empty()) {
        co_return co_await fail(std::move(problem));
    } else {
        state_is_fresh = lock_first;
    }
    auto plan = make_plan(connection, schema, selected);
    if (plan.ok() && plan.has_work()) {
        if (auto problem = co_await lock_and_replan(plan, sessions, state_is_fresh, connection,
                                                    schema, selected);
            !problem.empty()) {
            co_return co_await fail(std::move(problem));
        }
    }

    if (request_.dry_run) {
        for (const auto& step : plan.steps) {
            result.plan.push_back(
                to_planned_step(step, request_.environment, config_.tenant_schema_prefix));
        }
    }
    if (!plan.ok()) {
        result.error = "planning failed, nothing ran: " + join(plan.errors, "; ");
    } else if (!plan.has_work()) {
        for (const auto& step : plan.steps) result.migrations.push_back(skipped(step));
        if (!request_.dry_run) {
            co_await record_skips(store_, plan.steps, result.migrations, request_.origin,
                                  hooks_.job_id, leases_, log_prefix_);
        }
    } else if (auto problem = co_await check_requirements(plan, sessions); !problem.empty()) {
        result.error = problem;
    } else if (request_.dry_run) {
        for (const auto& step : plan.steps) result.migrations.push_back(would_run_or_skip(step));
    } else {
        co_await execute(plan, sessions, result);
    }
    co_await close_all(sessions);
    co_return result;
}

bool target_runner::plans_without_state(const std::string& connection, const std::string& schema,
                                        const std::vector<const migration*>& selected) {
    // A plan that fails whatever the state (a dependency cycle...) must not create the schema.
    snapshot_ = std::make_unique<state_snapshot>(state_snapshot::make_table({}));
    const bool ok = make_plan(connection, schema, selected).ok();
    snapshot_.reset();
    return ok;
}

asio::awaitable<std::string> target_runner::lock_and_replan(
    target_plan& plan, session_map& sessions, bool state_is_fresh, const std::string& connection,
    const std::string& schema, const std::vector<const migration*>& selected) {
    // Whenever a new lock is taken, the state read before it may be stale (another run of that
    // place may have applied meanwhile): read it again, fold in what the new places' ledgers
    // prove, and plan again, until the plan writes nowhere unlocked. A dry run locks nothing
    // and only reads the ledgers.
    const bool dry_run = request_.dry_run;
    std::set<place> reconciled;
    for (;;) {
        const auto locked_before = sessions.size();
        std::set<place> places;
        for (const auto& step : plan.steps) {
            if (step.action == step_action::run) places.insert({step.connection, step.schema});
        }
        if (auto problem = co_await open_places(places, sessions, dry_run); !problem.empty()) {
            co_return problem;
        }
        bool changed = false;
        if (!dry_run && (sessions.size() != locked_before || !state_is_fresh)) {
            if (auto problem = co_await load_snapshot(schema); !problem.empty()) co_return problem;
            changed = true;
        }
        state_is_fresh = true;
        for (auto& [where, session] : sessions) {
            if (!reconciled.insert(where).second) continue;
            if (auto problem = co_await reconcile(where, *session, changed, !dry_run);
                !problem.empty()) {
                co_return problem;
            }
        }
        if (!changed) co_return std::string();
        plan = make_plan(connection, schema, selected);
        if (!plan.ok() || !plan.has_work()) co_return std::string();
    }
}

asio::awaitable<std::string> target_runner::open_places(const std::set<place>& places,
                                                        session_map& sessions, bool read_only) {
    // Places are locked in one global order (the set's), so two runs whose plans overlap
    // cannot deadlock on each other's locks.
    for (const auto& where : places) {
        if (sessions.count(where)) continue;
        auto pool = pools_.find(where.first);
        if (pool == pools_.end()) {
            co_return "connection " + where.first + " (needed by the plan) is not configured";
        }
        // The cluster-wide lease first (SPEC 5.3): waiting for it is how two runs of one target
        // queue, on this replica or another. Its token fences every write of this run.
        std::int64_t token = 0;
        if (!read_only && hooks_.locks != nullptr && !leases_.count(where)) {
            auto lease = co_await hooks_.locks->acquire(where.first, where.second, hooks_.job_id,
                                                        hooks_.control);
            if (!lease) {
                co_return where.first + "/" + where.second + ": " + lease.error().to_string();
            }
            token = *lease;
            leases_.emplace(where, token);
        }
        auto opened = co_await pg::target_session::open(*pool->second, where.second,
                                                        options_for(where.first), read_only);
        if (!opened) {
            co_return where.first + "/" + where.second + ": " + opened.error().to_string();
        }
        opened.value()->set_fence(token);
        sessions.emplace(where, std::move(opened.value()));
    }
    co_return std::string();
}

asio::awaitable<std::string> target_runner::reconcile(const place& where,
                                                      pg::target_session& session, bool& changed,
                                                      bool write,
                                                      std::vector<pg::ledger_entry>* seen) {
    // A crash between the target's COMMIT and the state write leaves a ledger row whose attempt
    // has no history row: record it instead of running the migration a second time.
    auto ledger = co_await session.ledger_entries();
    if (!ledger) co_return "reading the ledger failed: " + ledger.error().to_string();
    if (seen != nullptr) *seen = *ledger;
    std::vector<std::string> ids;
    for (const auto& e : *ledger) ids.push_back(e.attempt_id);
    auto recorded = co_await store_.recorded_attempts(ids);
    if (!recorded) co_return "reading the history failed: " + recorded.error().to_string();
    for (const auto& e : *ledger) {
        if (recorded->count(e.attempt_id)) continue;
        const auto* m = registry_.find(e.migration_id);
        if (m == nullptr || m->id != e.migration_id) continue;  // unknown now: shown as missing
        // A revert leaves a row with the revert marker instead of a checksum (pg_target).
        const bool reverted = pg::target_session::is_revert_marker(e.checksum);
        const std::string status = reverted ? "rolled_back" : "applied";
        snapshot_->mark(where.first, where.second, m->id, status, e.checksum);
        changed = true;
        if (!write) continue;  // a dry run sees it as applied but records nothing
        state::attempt_record rec;
        rec.attempt_id = e.attempt_id;
        rec.migration = m;
        rec.connection = where.first;
        rec.schema = where.second;
        rec.action = "reconcile";
        rec.status = status;
        rec.started_at = rec.finished_at = std::chrono::system_clock::now();
        rec.origin.executed_by = "bfm";
        rec.origin.context_json = R"({"reconciled_from":"ledger"})";
        rec.fence_token = lease_token(where);
        if (auto st = co_await store_.record(rec); !st) {
            co_return "recording a reconciled attempt failed: " + st.error().to_string();
        }
        spdlog::warn("{}reconciled {} on {}/{} from the ledger as {} (its state write had been lost)",
                     log_prefix_, m->id, where.first, where.second, status);
    }
    co_return std::string();
}

asio::awaitable<std::string> target_runner::check_requirements(const target_plan& plan,
                                                               session_map& sessions) {
    // Any session on the right connection can answer; a dry run (or a connection the plan only
    // reads) gets a read-only one that takes no lock and creates nothing.
    auto session_on = [&](const std::string& connection)
        -> asio::awaitable<std::pair<pg::target_session*, std::string>> {
        for (auto& [where, s] : sessions) {
            if (where.first == connection) co_return std::make_pair(s.get(), std::string());
        }
        auto pool = pools_.find(connection);
        if (pool == pools_.end()) {
            co_return std::make_pair(nullptr, "connection " + connection + " is not configured");
        }
        auto opened =
            co_await pg::target_session::open(*pool->second, "", options_for(connection), true);
        if (!opened) co_return std::make_pair(nullptr, opened.error().to_string());
        auto* raw = opened.value().get();
        sessions.emplace(place{connection, ""}, std::move(opened.value()));
        co_return std::make_pair(raw, std::string());
    };

    std::vector<std::string> problems;
    for (const auto& required : plan.required_schemas) {
        const std::string& connection = required.first;
        const std::string& schema = required.second;
        auto found = co_await session_on(connection);
        if (!found.first) co_return found.second;
        auto missing = co_await found.first->missing_schemas(std::vector<std::string>(1, schema));
        if (!missing) co_return missing.error().to_string();
        if (!missing->empty()) {
            problems.push_back("required schema " + schema + " does not exist on connection "
                               + connection);
        }
    }
    for (const auto& t : plan.required_tables) {
        auto found = co_await session_on(t.connection);
        if (!found.first) co_return found.second;
        auto exists = co_await found.first->table_exists(t.schema, t.table);
        if (!exists) co_return exists.error().to_string();
        if (!*exists) {
            problems.push_back("required table " + t.schema + "." + t.table
                               + " does not exist on connection " + t.connection);
        }
    }
    if (problems.empty()) co_return std::string();
    co_return "requirements not met, nothing ran: " + join(problems, "; ");
}

asio::awaitable<void> target_runner::execute(const target_plan& plan, session_map& sessions,
                                             target_result& result) {
    auto* control = hooks_.control;
    std::vector<state::attempt_record> unrecorded;
    for (const auto& step : plan.steps) {
        if (step.action == step_action::skip) {
            result.migrations.push_back(skipped(step));
            metrics::record_migration("skipped", 0);
            publish(job_event_type::migration_skipped, &step, "skipped", step.reason);
            continue;
        }
        if (control != nullptr && control->should_stop()) {
            result.error = control->stop_reason() + "; " + step.m->id + " and later migrations did not run";
            break;
        }
        auto& session = *sessions.at({step.connection, step.schema});
        const std::string script =
            rendered_up_script(step, request_.environment, config_.tenant_schema_prefix);
        state::attempt_record rec;
        rec.attempt_id = make_uuid_v7();
        rec.migration = step.m;
        rec.connection = step.connection;
        rec.schema = step.schema;
        rec.origin = request_.origin;
        rec.job_id = hooks_.job_id;
        rec.fence_token = lease_token({step.connection, step.schema});
        rec.started_at = std::chrono::system_clock::now();
        const auto started = std::chrono::steady_clock::now();
        publish(job_event_type::migration_started, &step, "running");
        if (control != nullptr) {
            control->current_migration = step.m->id;
            control->active = &session;
        }
        pg::status applied;
        if (step.m->transactional) {
            applied = co_await apply_with_retries(session, step, script, rec.attempt_id);
        } else {
            applied = co_await apply_statements(session, step, script, rec.attempt_id);
        }
        if (control != nullptr) control->active = nullptr;
        rec.finished_at = std::chrono::system_clock::now();
        const auto ms = elapsed_ms(started);
        rec.status = applied ? "applied" : "failed";
        if (!applied) rec.error_message = applied.error().to_string();
        // With the ledger on, a commit is proven in the target itself: the state writes of a
        // target's migrations go to the state DB together, once, at the end (a crash before
        // that is reconciled from the ledger). Without it, each one is written at once.
        const bool deferred = applied && options_for(step.connection).ledger;
        unrecorded.push_back(std::move(rec));
        std::string record_error;
        if (!deferred) record_error = co_await flush_records(unrecorded);

        migration_result mr;
        mr.migration_id = step.m->id;
        mr.duration_ms = ms;
        if (applied) {
            spdlog::info("{}applied {} on {}/{} in {} ms{}", log_prefix_, step.m->id,
                         step.connection, step.schema, ms,
                         step.out_of_order ? " (out of order)" : "");
            mr.outcome = migration_outcome::applied;
            metrics::record_migration("applied", metrics::seconds_since(started));
            publish(job_event_type::migration_succeeded, &step, "applied", {}, ms);
            result.migrations.push_back(std::move(mr));
            if (!record_error.empty()) break;
            continue;
        }
        mr.outcome = migration_outcome::failed;
        metrics::record_migration("failed", metrics::seconds_since(started));
        mr.error = applied.error().to_string();
        spdlog::error("{}migration {} failed on {}/{}: {}", log_prefix_, step.m->id,
                      step.connection, step.schema, mr.error);
        publish(job_event_type::migration_failed, &step, "failed", mr.error, ms);
        if (!record_error.empty()) mr.error += " (" + record_error + ")";
        result.migrations.push_back(std::move(mr));
        break;  // the rest of this target's plan may depend on it
    }
    if (auto problem = co_await flush_records(unrecorded); !problem.empty()) {
        result.error = problem;
    }
    co_await record_skips(store_, plan.steps, result.migrations, request_.origin, hooks_.job_id,
                          leases_, log_prefix_);
}

std::int64_t target_runner::lease_token(const place& where) const {
    auto it = leases_.find(where);
    return it == leases_.end() ? 0 : it->second;
}

asio::awaitable<std::string> target_runner::flush_records(
    std::vector<state::attempt_record>& records) {
    if (records.empty()) co_return std::string();
    auto recorded = co_await store_.record_all(records);
    records.clear();
    if (recorded) co_return std::string();
    // The ledger holds the proof of what committed; the next run of this target reconciles it.
    co_return "recording state failed (applied migrations are reconciled from the ledger on "
              "the next run): "
              + recorded.error().to_string();
}

asio::awaitable<pg::status> target_runner::apply_with_retries(pg::target_session& session,
                                                              const plan_step& step,
                                                              const std::string& script,
                                                              const std::string& attempt_id,
                                                              bool revert) {
    // Only transactional migrations are retried: their failed attempt rolled back completely,
    // ledger row included. A `transaction off` script may have half-run.
    static thread_local std::mt19937_64 random{std::random_device{}()};
    for (int attempt = 1;; ++attempt) {
        pg::status applied;
        if (revert) {
            applied = co_await session.revert(*step.m, script, attempt_id, hooks_.job_id);
        } else {
            applied = co_await session.apply(*step.m, script, attempt_id);
        }
        if (applied || !step.m->transactional || attempt > config_.retry_max
            || !is_retryable(applied.error())) {
            co_return applied;
        }
        const auto delay = backoff_delay(attempt, random);
        metrics::record_retry();
        spdlog::warn("{}{} on {}/{}: {}; retry {} of {} in {} ms", log_prefix_, step.m->id, step.connection,
                     step.schema, applied.error().to_string(), attempt, config_.retry_max,
                     delay.count());
        asio::steady_timer timer(co_await asio::this_coro::executor, delay);
        co_await timer.async_wait(asio::use_awaitable);
    }
}

asio::awaitable<pg::status> target_runner::apply_statements(pg::target_session& session,
                                                            const plan_step& step,
                                                            const std::string& script,
                                                            const std::string& attempt_id) {
    pg::statement_progress progress;
    if (hooks_.progress == nullptr) co_return co_await session.apply(*step.m, script, attempt_id);
    auto& jobs = *hooks_.progress;
    auto done = co_await jobs.statements_done(step.connection, step.schema, step.m->id,
                                              step.m->checksum);
    if (!done) co_return done.error();
    progress.resume_from = static_cast<std::size_t>(*done);
    const plan_step* where = &step;
    progress.on_statement_done = [this, where, &jobs](std::size_t index,
                                                      std::size_t total) -> asio::awaitable<void> {
        auto saved = co_await jobs.save_statements_done(where->connection, where->schema,
                                                        where->m->id, where->m->checksum,
                                                        static_cast<std::int64_t>(index + 1),
                                                        hooks_.job_id);
        if (!saved) {
            // Only the resume point is lost: a later attempt re-runs this statement.
            spdlog::warn("{}{} on {}/{}: recording progress (statement {} of {}) failed: {}", log_prefix_,
                         where->m->id, where->connection, where->schema, index + 1, total,
                         saved.error().to_string());
        }
        publish(job_event_type::statement_done, where, "running", {}, 0,
                static_cast<std::int64_t>(index));
    };
    auto applied = co_await session.apply(*step.m, script, attempt_id, &progress);
    if (applied) {
        auto cleared = co_await jobs.clear_statements_done(step.connection, step.schema, step.m->id);
        if (!cleared) {
            spdlog::warn("{}{} on {}/{}: clearing its statement progress failed: {}", log_prefix_, step.m->id,
                         step.connection, step.schema, cleared.error().to_string());
        }
    }
    co_return applied;
}

asio::awaitable<void> target_runner::close_all(session_map& sessions) {
    for (auto& [where, session] : sessions) co_await session->close();
    sessions.clear();
    for (auto& [where, token] : leases_) {
        co_await hooks_.locks->release(where.first, where.second, token);
    }
    leases_.clear();
}

asio::awaitable<target_result> target_runner::run_revert(
    const std::string& connection, const std::string& schema,
    const std::vector<const migration*>& selected) {
    target_result result;
    result.connection = connection;
    result.schema = schema;
    session_map sessions;
    const bool dry_run = request_.dry_run;
    const place own(connection, schema);
    const std::set<place> places{own};
    std::vector<applied_migration> applied;
    std::vector<pg::ledger_entry> ledger;
    std::string problem = co_await open_places(places, sessions, dry_run);
    if (problem.empty()) {
        problem = co_await applied_here(own, *sessions.at(own), selected, applied, ledger);
    }
    if (!problem.empty()) {
        co_await close_all(sessions);
        result.error = problem;
        co_return result;
    }
    // A retried job (crash, lost lease) finds what it already reverted here in the ledger:
    // `steps` counts from the state before the job, not from where it stopped.
    revert_spec spec = request_.revert;
    if (spec.steps > 0 && !hooks_.job_id.empty()) {
        const std::string mine = pg::target_session::revert_marker_for(hooks_.job_id);
        spec.steps -= std::count_if(ledger.begin(), ledger.end(),
                                    [&](const pg::ledger_entry& e) { return e.checksum == mine; });
        if (spec.steps <= 0) {
            co_await close_all(sessions);
            co_return result;
        }
    }
    const revert_plan plan = plan_revert(registry_, std::move(applied), spec);
    for (const migration* m : plan.not_applied) result.migrations.push_back(skipped_id(m->id));
    if (!plan.ok()) {
        result.error = "nothing was reverted: " + join(plan.errors, "; ");
    } else if (dry_run) {
        for (const migration* m : plan.order) {
            migration_result r;
            r.migration_id = m->id;
            r.outcome = migration_outcome::would_roll_back;
            result.migrations.push_back(std::move(r));
        }
    } else {
        co_await execute_revert(plan.order, own, *sessions.at(own), result);
    }
    co_await close_all(sessions);
    co_return result;
}

asio::awaitable<std::string> target_runner::applied_here(const place& where,
                                                         pg::target_session& session,
                                                         const std::vector<const migration*>& selected,
                                                         std::vector<applied_migration>& out,
                                                         std::vector<pg::ledger_entry>& ledger) {
    // State read under the lock, completed by the ledger (a crash may have lost state writes);
    // once that is recorded the rows are read again for the attempt IDs that order them.
    auto rows = co_await store_.load_schemas(std::vector<std::string>(1, where.second));
    if (!rows) co_return "reading state failed: " + rows.error().to_string();
    snapshot_ = std::make_unique<state_snapshot>(state_snapshot::make_table(*rows));
    bool changed = false;
    if (auto problem = co_await reconcile(where, session, changed, !request_.dry_run, &ledger);
        !problem.empty()) {
        co_return problem;
    }
    if (changed && !request_.dry_run) {
        rows = co_await store_.load_schemas(std::vector<std::string>(1, where.second));
        if (!rows) co_return "reading state failed: " + rows.error().to_string();
    }
    const std::set<const migration*> chosen(selected.begin(), selected.end());
    const auto* states = snapshot_->target(where.first, where.second);
    if (states == nullptr) co_return std::string();
    const auto recorded = rows->find({where.first, where.second});
    for (const auto& [id, st] : *states) {
        if (st.status != "applied") continue;
        const migration* m = registry_.find(id);
        if (m == nullptr || m->id != id || !chosen.count(m)) continue;
        applied_migration a;
        a.m = m;
        if (recorded != rows->end()) {
            if (auto r = recorded->second.find(id); r != recorded->second.end()) {
                a.attempt_id = r->second.attempt_id;
            }
        }
        out.push_back(std::move(a));
    }
    co_return std::string();
}

asio::awaitable<void> target_runner::execute_revert(const std::vector<const migration*>& order,
                                                    const place& where,
                                                    pg::target_session& session,
                                                    target_result& result) {
    auto* control = hooks_.control;
    const std::string action(to_string(request_.kind));
    std::vector<state::attempt_record> unrecorded;
    for (const migration* m : order) {
        if (control != nullptr && control->should_stop()) {
            result.error = control->stop_reason() + "; " + m->id + " and older migrations were not reverted";
            break;
        }
        plan_step step;
        step.m = m;
        step.connection = where.first;
        step.schema = where.second;
        const std::string script =
            rendered_down_script(step, request_.environment, config_.tenant_schema_prefix);
        state::attempt_record rec;
        rec.attempt_id = make_uuid_v7();
        rec.migration = m;
        rec.connection = where.first;
        rec.schema = where.second;
        rec.action = action;
        rec.origin = request_.origin;
        rec.job_id = hooks_.job_id;
        rec.fence_token = lease_token(where);
        rec.started_at = std::chrono::system_clock::now();
        const auto started = std::chrono::steady_clock::now();
        publish(job_event_type::migration_started, &step, "rolling_back");
        if (control != nullptr) {
            control->current_migration = m->id;
            control->active = &session;
        }
        const pg::status reverted =
            co_await apply_with_retries(session, step, script, rec.attempt_id, true);
        if (control != nullptr) control->active = nullptr;
        rec.finished_at = std::chrono::system_clock::now();
        const auto ms = elapsed_ms(started);
        migration_result mr;
        mr.migration_id = m->id;
        mr.duration_ms = ms;
        if (reverted) {
            rec.status = "rolled_back";
            mr.outcome = migration_outcome::rolled_back;
            spdlog::info("{}reverted {} on {}/{} in {} ms ({})", log_prefix_, m->id, where.first,
                         where.second, ms, action);
            publish(job_event_type::migration_succeeded, &step, "rolled_back", {}, ms);
        } else {
            // The down ran in a transaction that was rolled back: the migration stays applied,
            // only the attempt goes to history.
            rec.status = "failed";
            rec.history_only = true;
            rec.error_message = reverted.error().to_string();
            mr.outcome = migration_outcome::failed;
            mr.error = rec.error_message;
            spdlog::error("{}reverting {} on {}/{} failed: {}", log_prefix_, m->id, where.first,
                          where.second, mr.error);
            publish(job_event_type::migration_failed, &step, "failed", mr.error, ms);
        }
        const bool deferred = reverted && options_for(where.first).ledger;
        unrecorded.push_back(std::move(rec));
        std::string record_error;
        if (!deferred) record_error = co_await flush_records(unrecorded);
        if (!record_error.empty() && mr.error.empty()) result.error = record_error;
        result.migrations.push_back(std::move(mr));
        if (!reverted || !record_error.empty()) break;
    }
    if (auto problem = co_await flush_records(unrecorded); !problem.empty()) result.error = problem;
}

namespace {

// The request's origin context with the operator's reason added (history execution_context).
std::string context_with_reason(const std::string& context_json, const std::string& reason) {
    boost::system::error_code ec;
    boost::json::value context = boost::json::parse(context_json, ec);
    if (ec || !context.is_object()) context = boost::json::object();
    context.as_object()["reason"] = reason;
    return boost::json::serialize(context);
}

// What an operator fix changes on one target: (migration, new status).
std::vector<std::pair<const migration*, std::string>> fix_changes(
    const job_request& request, const registry& reg, const std::vector<const migration*>& selected,
    const std::map<std::string, state::migration_state>& recorded) {
    std::vector<std::pair<const migration*, std::string>> out;
    auto state_of = [&](const migration* m) -> const state::migration_state* {
        auto it = recorded.find(m->id);
        return it == recorded.end() ? nullptr : &it->second;
    };
    const fix_spec& fix = request.fix;
    if (request.kind == job_kind::force) {
        if (const migration* m = reg.find(fix.migration_id)) {
            const auto* st = state_of(m);
            if (st == nullptr || st->status != fix.status || st->checksum != m->checksum) {
                out.emplace_back(m, fix.status);
            }
        }
        return out;
    }
    const std::uint64_t up_to =
        request.kind == job_kind::baseline ? std::stoull(fix.to_version) : 0;
    for (const migration* m : selected) {
        const auto* st = state_of(m);
        if (request.kind == job_kind::baseline) {
            if (m->version_number <= up_to && (st == nullptr || st->status != "applied")) {
                out.emplace_back(m, "applied");
            }
        } else if (st != nullptr && st->status == "failed") {  // repair
            out.emplace_back(m, "pending");
        } else if (st != nullptr && st->status == "applied" && st->checksum != m->checksum) {
            out.emplace_back(m, "applied");  // the file changed since: accept its checksum
        }
    }
    return out;
}

}  // namespace

asio::awaitable<target_result> target_runner::run_fix(const std::string& connection,
                                                      const std::string& schema,
                                                      const std::vector<const migration*>& selected) {
    target_result result;
    result.connection = connection;
    result.schema = schema;
    const place own(connection, schema);
    // The target's lease keeps any run of it from racing the fix; no session is opened: a fix
    // changes recorded state only.
    if (hooks_.locks != nullptr && !request_.dry_run) {
        auto lease = co_await hooks_.locks->acquire(connection, schema, hooks_.job_id,
                                                    hooks_.control);
        if (!lease) {
            result.error = connection + "/" + schema + ": " + lease.error().to_string();
            co_return result;
        }
        leases_.emplace(own, *lease);
    }
    auto rows = co_await store_.load_schemas(std::vector<std::string>(1, schema));
    if (!rows) {
        result.error = "reading state failed: " + rows.error().to_string();
    } else {
        static const std::map<std::string, state::migration_state> none;
        const auto found = rows->find({connection, schema});
        const auto changes = fix_changes(request_, registry_, selected,
                                         found == rows->end() ? none : found->second);
        std::vector<state::attempt_record> records;
        const auto now = std::chrono::system_clock::now();
        for (const auto& [m, status] : changes) {
            state::attempt_record rec;
            rec.attempt_id = make_uuid_v7();
            rec.migration = m;
            rec.connection = connection;
            rec.schema = schema;
            rec.action = std::string(to_string(request_.kind));
            rec.status = status;
            rec.started_at = rec.finished_at = now;
            rec.origin = request_.origin;
            rec.origin.context_json = context_with_reason(request_.origin.context_json,
                                                          request_.fix.reason);
            rec.job_id = hooks_.job_id;
            rec.fence_token = lease_token(own);
            migration_result r;
            r.migration_id = m->id;
            r.outcome = request_.dry_run ? migration_outcome::would_apply : migration_outcome::applied;
            result.migrations.push_back(std::move(r));
            if (request_.dry_run) continue;
            records.push_back(std::move(rec));
            spdlog::warn("{}{} on {}/{}: {} set to {} (reason: {})", log_prefix_, to_string(request_.kind),
                         connection, schema, m->id, status, request_.fix.reason);
        }
        if (records.empty()) {
            // a dry run, or nothing to change
        } else if (auto problem = co_await flush_records(records); !problem.empty()) {
            result.error = problem;
            for (auto& r : result.migrations) r.outcome = migration_outcome::failed;
        }
    }
    session_map no_sessions;
    co_await close_all(no_sessions);
    co_return result;
}

}  // namespace bfm::core
