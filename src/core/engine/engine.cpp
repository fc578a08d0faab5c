#include "core/engine/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>

#include "backends/postgresql/pg_endpoint.hpp"
#include "core/bfm_metrics.hpp"
#include "core/blocking_pool.hpp"
#include "core/planner.hpp"
#include "core/registry_diff.hpp"
#include "core/schema_name.hpp"
#include "core/uuid.hpp"
#include "core/jobs/job_request_json.hpp"
#include "state/state_store.hpp"

#include <unistd.h>

#include <cstdio>

namespace bfm::core {
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> known_ids(const registry& reg) {
    std::vector<std::string> ids;
    ids.reserve(reg.size());
    for (const auto& m : reg.all()) ids.push_back(m.id);
    return ids;
}

// True when `path` is `root` or inside it, after resolving `..` and symlinks.
bool is_inside(const fs::path& root, const fs::path& path) {
    std::error_code ec;
    const auto r = fs::weakly_canonical(root, ec);
    if (ec) return false;
    const auto p = fs::weakly_canonical(path, ec);
    if (ec) return false;
    auto mismatch = std::mismatch(r.begin(), r.end(), p.begin(), p.end());
    return mismatch.first == r.end();
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

std::string holder_name(const app_config& config) {
    if (!config.instance_id.empty()) return config.instance_id;
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "bfm");
    return std::string(host) + "-" + std::to_string(getpid()) + "-" + make_uuid_v7().substr(24);
}

// True when every selected migration is applied, unchanged, where it would run: the planner
// would skip them all (an applied migration needs none of its dependencies), so the target
// needs neither a lease nor a session.
bool nothing_to_do(const target_group& group, const state_snapshot& state, bool allow_modified) {
    if (group.selected.empty()) return true;
    for (const auto* m : group.selected) {
        const auto* rows =
            state.target(m->connection, m->is_dynamic() ? group.schema : m->schema);
        if (rows == nullptr) return false;
        auto it = rows->find(m->id);
        if (it == rows->end() || it->second.status != "applied") return false;
        if (!allow_modified && it->second.checksum != m->checksum) return false;
    }
    return true;
}

}  // namespace

engine::engine(asio::any_io_executor ex, const app_config& config, registry_ptr registry,
               registry_source source)
    : ex_(ex),
      config_(config),
      registry_(std::move(registry)),
      source_(std::move(source)),
      store_(ex, config),
      events_(ex),
      job_cache_(std::chrono::milliseconds(100)),
      jobs_(store_.pool(), store_.schema(), store_.wait_timeout()),
      leases_(store_.pool(), store_.schema(), store_.wait_timeout()),
      scheduler_(ex,
                 job_scheduler::deps{config_, [this] { return registry_; }, store_, jobs_, leases_,
                                     pools_, events_, job_cache_},
                 holder_name(config)) {
    for (const auto& c : config_.connections) {
        pools_.emplace(c.name, pg::pool::create(ex_,
                                                pg::connect_params_for(c.endpoint, "bfm:" + c.name,
                                                                       config_.connect_timeout),
                                                static_cast<std::size_t>(c.max_connections)));
    }
}

asio::awaitable<pg::status> engine::initialize() {
    if (auto st = co_await store_.initialize(); !st) co_return st;
    auto changed = co_await store_.sync_missing(known_ids(*registry_));
    if (!changed) co_return changed.error();
    if (*changed > 0) spdlog::info("state: {} row(s) changed to or from `missing`", *changed);
    spdlog::info("job scheduler: claiming work as {}", scheduler_.holder());
    scheduler_.start();
    initialized_ = true;
    co_return pg::status{};
}

asio::awaitable<void> engine::drain(std::chrono::milliseconds grace) {
    draining_ = true;
    co_await scheduler_.stop(grace);
}

void engine::shutdown() {
    for (auto& [name, p] : pools_) p->shutdown();
    store_.shutdown();
}

namespace {

std::optional<service_error> canonical_revert_ids(const registry& reg, job_request& request) {
    // Aliases and upstream `{schema}_{id}` forms are accepted; jobs store canonical IDs.
    for (auto& id : request.revert.migration_ids) {
        const auto resolved = reg.resolve(id);
        if (resolved.m == nullptr) {
            return service_error{"unknown_migration", "unknown migration " + id};
        }
        if (resolved.m->connection != request.connection) {
            return service_error{"invalid_migration", "migration " + resolved.m->id
                                                          + " belongs to connection "
                                                          + resolved.m->connection + ", not "
                                                          + request.connection};
        }
        id = resolved.m->id;
    }
    if (request.kind == job_kind::force) {
        const auto resolved = reg.resolve(request.fix.migration_id);
        if (resolved.m == nullptr) {
            return service_error{"unknown_migration",
                                 "unknown migration " + request.fix.migration_id};
        }
        request.fix.migration_id = resolved.m->id;
    }
    return std::nullopt;
}

}  // namespace

asio::awaitable<service_outcome<run_result>> engine::plan_directly(job_request request) {
    service_outcome<run_result> out;
    const auto* connection = config_.find_connection(request.connection);
    if (!connection) {
        out.error = service_error{"unknown_connection", "unknown connection " + request.connection};
        co_return out;
    }
    const registry_ptr reg = registry_;  // a reindex during the run does not change this run
    if (auto refused = canonical_revert_ids(*reg, request)) {
        out.error = std::move(*refused);
        co_return out;
    }
    run_result result;
    if (!request.schema_selector_like.empty()) {
        std::vector<refused_schema> refused;
        if (auto failed = co_await expand_selector(request, *connection, refused)) {
            out.error = std::move(*failed);
            co_return out;
        }
        for (auto& r : refused) {
            target_result bad;
            bad.connection = connection->name;
            bad.schema = std::move(r.schema);
            bad.error = std::move(r.error);
            result.targets.push_back(std::move(bad));
        }
        if (request.schemas.empty()) {  // a selector that matched nothing means no targets
            out.value = std::move(result);
            co_return out;
        }
    }
    const auto groups = group_targets(*reg, request, *connection);
    // One state query for the whole fan-out instead of one per target.
    std::shared_ptr<const state_snapshot::table> preloaded;
    if (groups.size() > 1) {
        std::vector<std::string> schemas;
        for (const auto& g : groups) schemas.push_back(g.schema);
        auto rows = co_await store_.load_schemas(schemas_to_read(*reg, schemas));
        if (!rows) {
            out.error = service_error{"state_unavailable",
                                      "reading state failed: " + rows.error().to_string()};
            co_return out;
        }
        preloaded = state_snapshot::make_table(std::move(*rows));
    }
    const std::size_t first = result.targets.size();
    result.targets.resize(first + groups.size());

    // Targets run in parallel, at most BFM_MAX_PARALLEL at once and never more than the
    // connection's session pool can serve; results keep the request's order.
    const std::size_t workers = std::min({groups.size(), config_.max_parallel,
                                          static_cast<std::size_t>(connection->max_connections)});
    std::size_t next = 0;
    std::size_t running = workers;
    asio::steady_timer all_done(ex_, asio::steady_timer::time_point::max());
    auto worker = [&]() -> asio::awaitable<void> {
        while (next < groups.size()) {
            const std::size_t i = next++;
            const auto& group = groups[i];
            auto& slot = result.targets[first + i];
            if (!group.error.empty()) {
                slot.connection = connection->name;
                slot.schema = group.schema;
                slot.error = group.error;
                continue;
            }
            target_runner runner(config_, *reg, store_, pools_, request, preloaded);
            slot = co_await runner.run(connection->name, group.schema, group.selected);
        }
    };
    for (std::size_t w = 0; w < workers; ++w) {
        asio::co_spawn(ex_, worker(), [&](std::exception_ptr e) {
            if (e) spdlog::error("target worker failed: {}", describe_exception(e));
            if (--running == 0) all_done.cancel();
        });
    }
    if (workers > 0) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
    out.value = std::move(result);
    co_return out;
}

asio::awaitable<std::optional<service_error>> engine::expand_selector(
    job_request& request, const connection_config& connection,
    std::vector<refused_schema>& refused) {
    auto found = co_await discover_schemas(connection, request.schema_selector_like);
    if (!found) {
        co_return service_error{"connection_unavailable", "discovering schemas on "
                                                              + connection.name + " failed: "
                                                              + found.error().to_string()};
    }
    for (auto& name : *found) {
        if (auto problem = validate_schema_name(name)) {
            refused.push_back({name, "matched schema_selector but " + *problem});
        } else if (std::find(request.schemas.begin(), request.schemas.end(), name)
                   == request.schemas.end()) {
            request.schemas.push_back(std::move(name));
        }
    }
    co_return std::nullopt;
}

asio::awaitable<pg::result<std::vector<std::string>>> engine::discover_schemas(
    const connection_config& connection, const std::string& like) {
    auto session = co_await pools_.at(connection.name)->acquire(config_.connect_timeout * 2);
    if (!session) co_return session.error();
    auto rows = co_await session.value()->query(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 ORDER BY nspname",
        pg::params(like));
    if (!rows) co_return rows.error();
    std::vector<std::string> names;
    for (int i = 0; i < rows->size(); ++i) names.emplace_back(rows->text(i, 0));
    co_return names;
}

order_batch_result engine::order_batch(const std::string& connection,
                                       const std::vector<std::string>& ids) {
    order_batch_result out;
    const registry_ptr reg = registry_;
    std::vector<std::string> unknown;
    std::vector<const migration*> set;
    std::map<const migration*, std::vector<std::string>> originals;  // caller's spellings
    for (const auto& id : ids) {
        const auto resolved = reg->resolve(id);
        if (!resolved.m) {
            unknown.push_back(id);
            continue;
        }
        if (resolved.m->connection != connection) {
            out.error =
                service_error{"wrong_connection", "migration " + id + " belongs to connection \""
                                                      + resolved.m->connection + "\", expected \""
                                                      + connection + "\""};
            return out;
        }
        if (originals[resolved.m].empty()) set.push_back(resolved.m);
        originals[resolved.m].push_back(id);
    }
    if (!unknown.empty()) {
        std::string list;
        for (const auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
        out.error = service_error{"unknown_migration", "unknown migration_id(s): " + list};
        return out;
    }
    auto ordered = order_by_dependencies(*reg, set);
    if (!ordered.error.empty()) {
        out.error = service_error{"dependency_error", ordered.error};
        return out;
    }
    for (const auto* m : ordered.ordered) {
        for (const auto& original : originals[m]) out.ordered_ids.push_back(original);
    }
    return out;
}

asio::awaitable<migration_service::reindex_outcome> engine::reindex(std::string path) {
    reindex_outcome out;
    if (source_.root.empty() && path.empty() && !source_.load_embedded) {
        out.error = reindex_error{"load_failed", "no migration source is configured", {}};
        co_return out;
    }
    if (!path.empty() && (source_.root.empty() || !is_inside(source_.root, path))) {
        out.error = reindex_error{"path_outside_root",
                                  "sfm_path must be inside the configured root "
                                      + (source_.root.empty() ? std::string("(none: migrations are "
                                                                            "embedded)")
                                                              : source_.root),
                                  {}};
        co_return out;
    }
    const std::string root = path.empty() ? source_.root : path;
    // Capture by pointer: a lambda temporary with a std::string capture inside a co_await
    // expression is destroyed twice by GCC 12.
    const std::string* where = &root;
    auto loaded = co_await run_blocking([where, this]() {
        return where->empty() ? source_.load_embedded() : load_migrations_from_directory(*where);
    });
    if (!loaded.ok()) {
        reindex_error error{"load_failed",
                            std::to_string(loaded.errors.size())
                                + " problem(s) in the migration tree; the running registry is "
                                  "unchanged",
                            {}};
        for (const auto& e : loaded.errors) error.problems.push_back(e.to_string());
        out.error = std::move(error);
        co_return out;
    }
    auto next = std::make_shared<const registry>(std::move(loaded.migrations));
    const auto diff = diff_registries(*registry_, *next);
    registry_ = next;  // atomic for every reader: one io thread, and runs hold their own copy
    auto changed = co_await store_.sync_missing(known_ids(*next));
    if (!changed) {
        out.error = reindex_error{"state_unavailable",
                                  "registry reloaded, but marking missing migrations failed: "
                                      + changed.error().to_string(),
                                  {}};
        co_return out;
    }
    spdlog::info("reindex: {} added, {} removed, {} updated, {} total", diff.added.size(),
                 diff.removed.size(), diff.updated.size(), next->size());
    out.report = reindex_report{diff.added, diff.removed, diff.updated, next->size()};
    co_return out;
}

asio::awaitable<service_outcome<list_page>> engine::list_migrations(list_query query) {
    service_outcome<list_page> out;
    const registry_ptr reg = registry_;
    auto page = co_await store_.list(query, *reg);
    if (!page) {
        out.error = service_error{"state_unavailable",
                                  "reading the state database failed: " + page.error().to_string()};
    } else {
        out.value = std::move(*page);
    }
    co_return out;
}

std::optional<migration_ref> engine::resolve_migration(std::string_view id) const {
    const auto resolved = registry_->resolve(id);
    if (resolved.m == nullptr) return std::nullopt;
    return migration_ref{resolved.m->id, resolved.m->connection, resolved.m->schema,
                         resolved.schema, resolved.m->down_sql.has_value()};
}

asio::awaitable<health_report> engine::health() {
    health_report report;
    auto st = co_await store_.ping();
    report.checks["state"] = st ? "ok" : st.error().to_string();
    report.checks["migrations_loaded"] = std::to_string(registry_->size());
    report.healthy = st.has_value();
    co_return report;
}

asio::awaitable<service_outcome<run_result>> engine::migrate_up(job_request request) {
    if (request.dry_run) co_return co_await plan_directly(std::move(request));
    // A synchronous run is a job that is awaited (SPEC 6): subscribed before it exists, so
    // not one of its events is missed.
    const std::string job_id = make_uuid_v7();
    auto events = events_.subscribe(job_id);
    auto created = co_await create_job(std::move(request), job_options{}, job_id);
    if (created.error) co_return service_outcome<run_result>{{}, created.error};
    co_return co_await await_job(*created.value, std::move(events));
}


asio::awaitable<service_outcome<engine::created_job>> engine::create_job(job_request request,
                                                                         job_options options,
                                                                         std::string job_id) {
    service_outcome<created_job> out;
    const auto* connection = config_.find_connection(request.connection);
    if (!connection) {
        out.error = service_error{"unknown_connection", "unknown connection " + request.connection};
        co_return out;
    }
    const registry_ptr reg = registry_;
    if (auto refused = canonical_revert_ids(*reg, request)) {
        out.error = std::move(*refused);
        co_return out;
    }
    std::vector<state::new_target> targets;
    if (!request.schema_selector_like.empty()) {
        std::vector<refused_schema> refused;
        if (auto failed = co_await expand_selector(request, *connection, refused)) {
            out.error = std::move(*failed);
            co_return out;
        }
        for (auto& r : refused) {
            targets.push_back({connection->name, std::move(r.schema), target_status::failed,
                               std::move(r.error), 0});
        }
    }
    created_job job;
    if (request.schema_selector_like.empty() || !request.schemas.empty()) {
        job.groups = group_targets(*reg, request, *connection);
    }
    // One state query for every target: the ones with nothing to do are finished right here,
    // which is what makes a no-op check of thousands of tenants cheap.
    std::vector<std::string> schemas;
    for (const auto& g : job.groups) schemas.push_back(g.schema);
    std::optional<state_snapshot> state;
    if (!job.groups.empty()) {
        auto rows = co_await store_.load_schemas(schemas_to_read(*reg, schemas));
        if (!rows) {
            out.error = service_error{"state_unavailable",
                                      "reading state failed: " + rows.error().to_string()};
            co_return out;
        }
        state.emplace(state_snapshot::make_table(std::move(*rows)));
    }
    for (const auto& g : job.groups) {
        state::new_target t{connection->name, g.schema, target_status::queued, g.error, 0};
        if (!g.error.empty()) {
            t.status = target_status::failed;
        } else if (request.kind == job_kind::up && nothing_to_do(g, *state, request.allow_modified)) {
            t.status = target_status::succeeded;
            t.skipped = static_cast<std::int64_t>(g.selected.size());
            metrics::record_migrations_skipped(t.skipped);
        }
        targets.push_back(std::move(t));
    }

    job_summary& summary = job.summary;
    summary.job_id = std::move(job_id);
    summary.kind = std::string(to_string(request.kind));
    summary.connection = connection->name;
    summary.options = options;
    summary.submitted_by = request.origin.executed_by;
    summary.execution_method = std::string(to_string(request.origin.method));
    summary.counts.targets_total = static_cast<std::int64_t>(targets.size());
    for (const auto& t : targets) {
        if (t.status == target_status::queued) continue;
        ++summary.counts.targets_done;
        if (t.status == target_status::failed) ++summary.counts.targets_failed;
        summary.counts.migrations_skipped += t.skipped;
    }
    const bool finished = summary.counts.targets_done == summary.counts.targets_total;
    summary.status = finished ? state::finish_status(summary.counts, false, false)
                              : job_status::queued;
    if (auto st = co_await jobs_.insert(summary, job_request_to_json(request), targets); !st) {
        out.error = service_error{"state_unavailable",
                                  "storing the job failed: " + st.error().to_string()};
        co_return out;
    }
    spdlog::info("job {} {}: {} target(s) on {}, {} with nothing to do", summary.job_id,
                 to_string(summary.status), summary.counts.targets_total, summary.connection,
                 summary.counts.targets_done - summary.counts.targets_failed);
    job_event queued;
    queued.type = job_event_type::job_queued;
    queued.job_id = summary.job_id;
    queued.status = std::string(to_string(summary.status));
    scheduler_.publish(queued, &summary.counts);
    if (finished) {
        job_event ended = queued;
        ended.type = job_event_type::job_finished;
        scheduler_.publish(ended, &summary.counts);
    } else {
        scheduler_.wake();
    }
    out.value = std::move(job);
    co_return out;
}

asio::awaitable<service_outcome<run_result>> engine::await_job(
    const created_job& job, std::unique_ptr<event_subscription> events) {
    service_outcome<run_result> out;
    const std::string& job_id = job.summary.job_id;
    bool finished = is_final(job.summary.status);
    while (!finished) {
        auto event = co_await events->next(std::chrono::seconds(1));
        if (event && event->type == job_event_type::job_finished) break;
        if (event && !events->overflowed()) continue;
        // Quiet for a second (another replica may be running it), or events were dropped.
        auto current = co_await jobs_.get(job_id);
        if (current && *current && is_final((*current)->status)) break;
        if (events->overflowed()) events = events_.subscribe(job_id);
    }
    run_result result;
    job_target_query page;
    page.limit = 1000;
    for (;;) {
        auto rows = co_await jobs_.targets(job_id, page);
        if (!rows || !*rows) {
            out.error = service_error{
                "state_unavailable",
                "job " + job_id + " finished, but reading its results failed"
                    + (rows ? std::string(": the job vanished") : ": " + rows.error().to_string())};
            co_return out;
        }
        for (auto& row : (*rows)->items) {
            target_result t;
            t.connection = row.connection;
            t.schema = row.schema;
            t.error = row.error;
            t.migrations = std::move(row.migrations);
            if (t.migrations.empty() && row.skipped > 0) {
                // Finished at creation with nothing to do: the stored row only counts them.
                for (const auto& g : job.groups) {
                    if (g.schema != row.schema) continue;
                    for (const auto* m : g.selected) {
                        migration_result skipped;
                        skipped.migration_id = m->id;
                        t.migrations.push_back(std::move(skipped));
                    }
                }
            }
            if (row.status == target_status::succeeded) t.error.clear();
            result.targets.push_back(std::move(t));
        }
        page.offset += page.limit;
        if (page.offset >= (*rows)->total) break;
    }
    out.value = std::move(result);
    co_return out;
}

asio::awaitable<service_outcome<job_summary>> engine::submit_job(job_request request,
                                                                 job_options options) {
    auto created = co_await create_job(std::move(request), options, make_uuid_v7());
    if (created.error) co_return service_outcome<job_summary>{{}, created.error};
    co_return service_outcome<job_summary>{std::move(created.value->summary), {}};
}

namespace {

service_error job_not_found(const std::string& job_id) {
    return {"job_not_found", "no job with ID " + job_id};
}

service_error state_unavailable(const pg::error& e) {
    return {"state_unavailable", "reading the state database failed: " + e.to_string()};
}

}  // namespace

asio::awaitable<service_outcome<job_summary>> engine::get_job(std::string job_id) {
    if (auto cached = job_cache_.find(job_id)) {
        co_return service_outcome<job_summary>{std::move(*cached), {}};
    }
    auto job = co_await jobs_.get(job_id);
    if (!job) co_return service_outcome<job_summary>{{}, state_unavailable(job.error())};
    if (!*job) co_return service_outcome<job_summary>{{}, job_not_found(job_id)};
    job_cache_.put(**job);
    co_return service_outcome<job_summary>{std::move(**job), {}};
}

asio::awaitable<service_outcome<job_page>> engine::list_jobs(job_list_query query) {
    auto page = co_await jobs_.list(query);
    if (!page) co_return service_outcome<job_page>{{}, state_unavailable(page.error())};
    co_return service_outcome<job_page>{std::move(*page), {}};
}

asio::awaitable<service_outcome<job_target_page>> engine::job_targets(std::string job_id,
                                                                      job_target_query query) {
    auto page = co_await jobs_.targets(job_id, query);
    if (!page) co_return service_outcome<job_target_page>{{}, state_unavailable(page.error())};
    if (!*page) co_return service_outcome<job_target_page>{{}, job_not_found(job_id)};
    co_return service_outcome<job_target_page>{std::move(**page), {}};
}

asio::awaitable<service_outcome<job_summary>> engine::cancel_job(std::string job_id) {
    auto job = co_await jobs_.cancel(job_id);
    if (!job) co_return service_outcome<job_summary>{{}, state_unavailable(job.error())};
    if (!*job) co_return service_outcome<job_summary>{{}, job_not_found(job_id)};
    job_summary summary = std::move(**job);
    job_cache_.put(summary);
    if (!is_final(summary.status)) {
        spdlog::info("job {}: cancel requested", job_id);
        scheduler_.cancel_local(job_id);  // other replicas see it on their next heartbeat
        // Nothing was running: the job ends now.
        auto done = co_await jobs_.finish_job_if_done(job_id);
        if (done && *done) {
            summary = **done;
            job_cache_.put(summary);
            job_event ended;
            ended.type = job_event_type::job_finished;
            ended.job_id = job_id;
            ended.status = std::string(to_string(summary.status));
            scheduler_.publish(ended, &summary.counts);
        }
    }
    co_return service_outcome<job_summary>{std::move(summary), {}};
}

}  // namespace bfm::core
