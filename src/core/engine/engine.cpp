#include "core/engine/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>

#include "backends/postgresql/pg_endpoint.hpp"
#include "core/blocking_pool.hpp"
#include "core/planner.hpp"
#include "core/registry_diff.hpp"
#include "core/schema_name.hpp"

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

}  // namespace

engine::engine(asio::any_io_executor ex, const app_config& config, registry_ptr registry,
               registry_source source)
    : ex_(ex),
      config_(config),
      registry_(std::move(registry)),
      source_(std::move(source)),
      store_(ex, config),
      events_(ex) {
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
    co_return pg::status{};
}

void engine::shutdown() {
    for (auto& [name, p] : pools_) p->shutdown();
    store_.shutdown();
}

std::vector<engine::target_group> engine::group_targets(const registry& reg,
                                                        const job_request& request,
                                                        const connection_config& connection) const {
    const auto selected = reg.select(request.filter);
    std::vector<target_group> groups;
    if (selected.empty()) return groups;
    if (!request.schemas.empty()) {
        // Explicit run schemas: one target each. Dynamic migrations run there; fixed ones keep
        // their declared schema (the planner places every step).
        for (const auto& schema : request.schemas) groups.push_back({schema, selected, {}});
        return groups;
    }
    // No run schema: each migration goes to its declared schema, else the connection's
    // {CONN}_SCHEMA. A dynamic migration with neither cannot run.
    for (const auto* m : selected) {
        const std::string& schema = m->is_dynamic() ? connection.schema : m->schema;
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const target_group& g) { return g.schema == schema; });
        if (it == groups.end()) {
            groups.push_back({schema, {}, {}});
            it = std::prev(groups.end());
            if (schema.empty()) {
                it->error = "migration " + m->id
                            + " has a dynamic schema: give `schema`, `schemas` or `environment` "
                              "(or set "
                            + connection.env_prefix + "_SCHEMA)";
            }
        }
        it->selected.push_back(m);
    }
    return groups;
}

asio::awaitable<service_outcome<run_result>> engine::migrate_up(job_request request) {
    service_outcome<run_result> out;
    const auto* connection = config_.find_connection(request.connection);
    if (!connection) {
        out.error = service_error{"unknown_connection", "unknown connection " + request.connection};
        co_return out;
    }
    const registry_ptr reg = registry_;  // a reindex during the run does not change this run
    run_result result;
    if (!request.schema_selector_like.empty()) {
        auto found = co_await discover_schemas(*connection, request.schema_selector_like);
        if (!found) {
            out.error = service_error{"connection_unavailable",
                                      "discovering schemas on " + connection->name
                                          + " failed: " + found.error().to_string()};
            co_return out;
        }
        for (auto& name : *found) {
            if (auto problem = validate_schema_name(name)) {
                target_result bad;
                bad.connection = connection->name;
                bad.schema = name;
                bad.error = "matched schema_selector but " + *problem;
                result.targets.push_back(std::move(bad));
            } else if (std::find(request.schemas.begin(), request.schemas.end(), name)
                       == request.schemas.end()) {
                request.schemas.push_back(std::move(name));
            }
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

asio::awaitable<health_report> engine::health() {
    health_report report;
    auto st = co_await store_.ping();
    report.checks["state"] = st ? "ok" : st.error().to_string();
    report.checks["migrations_loaded"] = std::to_string(registry_->size());
    report.healthy = st.has_value();
    co_return report;
}

// Temporary until the job store lands (issue 4 in progress).
namespace {
service_error not_yet() { return {"not_implemented", "jobs are not implemented yet"}; }
}  // namespace

asio::awaitable<service_outcome<job_summary>> engine::submit_job(job_request, job_options) {
    co_return service_outcome<job_summary>{{}, not_yet()};
}
asio::awaitable<service_outcome<job_summary>> engine::get_job(std::string) {
    co_return service_outcome<job_summary>{{}, not_yet()};
}
asio::awaitable<service_outcome<job_page>> engine::list_jobs(job_list_query) {
    co_return service_outcome<job_page>{{}, not_yet()};
}
asio::awaitable<service_outcome<job_target_page>> engine::job_targets(std::string,
                                                                      job_target_query) {
    co_return service_outcome<job_target_page>{{}, not_yet()};
}
asio::awaitable<service_outcome<job_summary>> engine::cancel_job(std::string) {
    co_return service_outcome<job_summary>{{}, not_yet()};
}

}  // namespace bfm::core
