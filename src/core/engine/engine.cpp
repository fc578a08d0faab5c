#include "core/engine/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "backends/postgresql/pg_endpoint.hpp"
#include "backends/postgresql/pg_target.hpp"
#include "core/uuid.hpp"

namespace bfm::core {
namespace asio = boost::asio;

namespace {

std::int64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                 - since)
        .count();
}

}  // namespace

engine::engine(asio::any_io_executor ex, const app_config& config, registry_ptr registry)
    : ex_(ex), config_(config), registry_(std::move(registry)), store_(ex, config) {
    for (const auto& c : config_.connections) {
        pools_.emplace(c.name, pg::pool::create(ex_,
                                                pg::connect_params_for(c.endpoint, "bfm:" + c.name,
                                                                       config_.connect_timeout),
                                                static_cast<std::size_t>(c.max_connections)));
    }
}

asio::awaitable<pg::status> engine::initialize() {
    co_return co_await store_.initialize();
}

void engine::shutdown() {
    for (auto& [name, p] : pools_) p->shutdown();
    store_.shutdown();
}

std::vector<engine::target_plan> engine::plan_targets(const job_request& request,
                                                      const connection_config& connection) const {
    const auto selected = registry_->select(request.filter);
    std::vector<target_plan> plans;
    if (!request.schemas.empty()) {
        // Explicit run schemas: every selected migration runs in each of them (a fixed
        // migration's declared schema is overridden, as upstream does).
        for (const auto& schema : request.schemas) plans.push_back({schema, selected, {}});
        return plans;
    }
    // No run schema: each migration goes to its declared schema, else the connection's
    // {CONN}_SCHEMA. A dynamic migration with neither cannot run.
    for (const auto* m : selected) {
        const std::string& schema = m->is_dynamic() ? connection.schema : m->schema;
        auto it = std::find_if(plans.begin(), plans.end(),
                               [&](const target_plan& p) { return p.schema == schema; });
        if (it == plans.end()) {
            plans.push_back({schema, {}, {}});
            it = std::prev(plans.end());
            if (schema.empty()) {
                it->error = "migration " + m->id +
                            " has a dynamic schema: give `schema`, `schemas` or `environment` "
                            "(or set " + connection.env_prefix + "_SCHEMA)";
            }
        }
        it->migrations.push_back(m);
    }
    return plans;
}

asio::awaitable<service_outcome<run_result>> engine::migrate_up(job_request request) {
    service_outcome<run_result> out;
    const auto* connection = config_.find_connection(request.connection);
    if (!connection) {
        out.error = service_error{"unknown_connection", "unknown connection " + request.connection};
        co_return out;
    }
    run_result result;
    // Targets run one after another for now; parallel fan-out arrives with the job engine.
    for (const auto& plan : plan_targets(request, *connection)) {
        result.targets.push_back(co_await run_target(request, *connection, plan));
    }
    out.value = std::move(result);
    co_return out;
}

asio::awaitable<std::string> engine::reconcile_ledger(
    pg::target_session& session, const connection_config& connection, const std::string& schema,
    std::map<std::string, state::migration_state>& states, bool dry_run) {
    // A crash between the target's COMMIT and the state write leaves a ledger row whose attempt
    // has no history row: record it now instead of running the migration a second time.
    auto ledger = co_await session.ledger_entries();
    if (!ledger) co_return "reading the ledger failed: " + ledger.error().to_string();
    std::vector<std::string> ids;
    for (const auto& e : *ledger) ids.push_back(e.attempt_id);
    auto recorded = co_await store_.recorded_attempts(ids);
    if (!recorded) co_return "reading the history failed: " + recorded.error().to_string();
    for (const auto& e : *ledger) {
        if (recorded->count(e.attempt_id)) continue;
        const auto* m = registry_->find(e.migration_id);
        if (!m) continue;  // committed by a migration no longer known: shown by reindex later
        states[m->id] = {"applied", e.checksum, e.attempt_id};
        if (dry_run) continue;  // a dry run reports it as applied but writes nothing
        state::attempt_record rec;
        rec.attempt_id = e.attempt_id;
        rec.migration = m;
        rec.connection = connection.name;
        rec.schema = schema;
        rec.action = "reconcile";
        rec.status = "applied";
        rec.started_at = rec.finished_at = std::chrono::system_clock::now();
        rec.origin.executed_by = "bfm";
        rec.origin.context_json = R"({"reconciled_from":"ledger"})";
        if (auto st = co_await store_.record(rec); !st) {
            co_return "recording a reconciled attempt failed: " + st.error().to_string();
        }
        spdlog::warn("reconciled {} on {}/{} from the ledger (state write had been lost)", m->id,
                     connection.name, schema);
    }
    co_return std::string();
}

asio::awaitable<target_result> engine::run_target(const job_request& request,
                                                  const connection_config& connection,
                                                  const target_plan& plan) {
    target_result result{connection.name, plan.schema, {}, plan.error};
    if (!plan.error.empty() || plan.migrations.empty()) co_return result;

    pg::target_options options;
    options.lock_timeout = config_.lock_timeout;
    options.statement_timeout = config_.statement_timeout;
    options.ledger = connection.ledger;
    auto opened = co_await pg::target_session::open(*pools_.at(connection.name), plan.schema,
                                                    options, request.dry_run);
    if (!opened) {
        result.error = opened.error().to_string();
        co_return result;
    }
    auto& session = *opened.value();

    auto states = co_await store_.load_target(connection.name, plan.schema);
    if (!states) {
        result.error = "reading state failed: " + states.error().to_string();
        co_await session.close();
        co_return result;
    }
    if (auto problem =
            co_await reconcile_ledger(session, connection, plan.schema, *states, request.dry_run);
        !problem.empty()) {
        result.error = problem;
        co_await session.close();
        co_return result;
    }

    for (const auto* m : plan.migrations) {
        const auto it = states->find(m->id);
        if (it != states->end() && it->second.status == "applied") {
            result.migrations.push_back({m->id, migration_outcome::skipped, {}, 0});
            continue;
        }
        if (request.dry_run) {
            result.migrations.push_back({m->id, migration_outcome::would_apply, {}, 0});
            continue;
        }
        state::attempt_record rec;
        rec.attempt_id = make_uuid_v7();
        rec.migration = m;
        rec.connection = connection.name;
        rec.schema = plan.schema;
        rec.origin = request.origin;
        rec.started_at = std::chrono::system_clock::now();
        const auto started = std::chrono::steady_clock::now();
        auto applied = co_await session.apply(*m, m->up_sql, rec.attempt_id);
        rec.finished_at = std::chrono::system_clock::now();
        const auto ms = elapsed_ms(started);
        rec.status = applied ? "applied" : "failed";
        if (!applied) rec.error_message = applied.error().to_string();
        auto recorded = co_await store_.record(rec);

        if (applied) {
            spdlog::info("applied {} on {}/{} in {} ms", m->id, connection.name, plan.schema, ms);
            migration_result mr{m->id, migration_outcome::applied, {}, ms};
            if (!recorded) {
                // The ledger holds the proof; the next run of this target reconciles it.
                mr.error =
                    "applied, but recording state failed (will be reconciled from the "
                    "ledger on the next run): "
                    + recorded.error().to_string();
                result.error = mr.error;
            }
            result.migrations.push_back(std::move(mr));
            if (!recorded) break;
            continue;
        }
        spdlog::error("migration {} failed on {}/{}: {}", m->id, connection.name, plan.schema,
                      rec.error_message);
        std::string message = rec.error_message;
        if (!recorded)
            message += " (recording the failure also failed: " + recorded.error().to_string() + ")";
        result.migrations.push_back({m->id, migration_outcome::failed, message, ms});
        break;  // the rest of this target's plan may depend on it
    }
    co_await session.close();
    co_return result;
}

asio::awaitable<service_outcome<list_page>> engine::list_migrations(list_query query) {
    service_outcome<list_page> out;
    auto page = co_await store_.list(query, *registry_);
    if (!page) {
        out.error = service_error{"state_unavailable",
                                  "reading the state database failed: " + page.error().to_string()};
    } else {
        out.value = std::move(*page);
    }
    co_return out;
}

asio::awaitable<health_report> engine::health() {
    health_report report;
    auto st = co_await store_.ping();
    report.checks["state"] = st ? "ok" : st.error().to_string();
    report.checks["migrations_loaded"] = std::to_string(registry_->size());
    report.healthy = st.has_value();
    co_return report;
}

}  // namespace bfm::core
