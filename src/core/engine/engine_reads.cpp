// The migration read endpoints' side of the engine: which migration and target an ID names,
// and its recorded state and history (state::history_store).
#include <algorithm>
#include <array>

#include "core/engine/engine.hpp"
#include "state/history_store.hpp"

namespace bfm::core {
namespace asio = boost::asio;

namespace {

// The migration a read is about and the targets it covers.
struct read_subject {
    const migration* m = nullptr;  // null: unknown to the registry, only recorded state is left
    std::string migration_id;
    std::string connection;  // the migration's connection
    std::string table;
    std::string schema;  // the target's schema; empty: every recorded target
    std::optional<state::recorded_migration> recorded;

    state::row_filter rows(const read_query& q) const {
        return {migration_id, q.connection, schema};
    }
    // Whether the read's connection filter can match where this migration runs.
    bool connection_matches(const read_query& q) const {
        return q.connection.empty() || q.connection == connection;
    }
};

service_error unavailable(const pg::error& e) {
    return {"state_unavailable", "reading the state database failed: " + e.to_string()};
}

template <class T>
service_outcome<T> failed(service_error e) {
    return service_outcome<T>{std::nullopt, std::move(e)};
}

// Resolves `id` through the registry (canonical, aliases, `{schema}_{id}`), else as the exact
// ID of a recorded migration whose files are gone.
asio::awaitable<service_outcome<read_subject>> resolve_subject(const registry& reg,
                                                               state::history_store& history,
                                                               const std::string& id,
                                                               const read_query& q) {
    read_subject s;
    std::string id_schema;
    const registry::resolved_id resolved = reg.resolve(id);
    if (resolved.m != nullptr) {
        s.m = resolved.m;
        s.migration_id = resolved.m->id;
        s.connection = resolved.m->connection;
        s.table = resolved.m->table;
        id_schema = resolved.schema;
    } else {
        auto found = co_await history.find_recorded(id);
        if (!found) co_return failed<read_subject>(unavailable(found.error()));
        if (!*found) {
            co_return failed<read_subject>({"migration_not_found", "migration not found"});
        }
        s.migration_id = id;
        s.connection = (*found)->connection;
        s.table = (*found)->table;
        s.recorded = std::move(*found);
    }
    if (!q.schema.empty() && !id_schema.empty() && q.schema != id_schema) {
        co_return failed<read_subject>(
            {"schema_conflict", "query parameter \"schema\" (" + q.schema
                                    + ") differs from the schema the migration ID names ("
                                    + id_schema + ")"});
    }
    if (!q.schema.empty()) {
        s.schema = q.schema;
    } else if (!id_schema.empty()) {
        s.schema = id_schema;
    } else if (s.m != nullptr) {
        s.schema = s.m->schema;  // fixed: its declared schema; dynamic: every target
    }
    co_return service_outcome<read_subject>{std::move(s), std::nullopt};
}

// The most pressing status first: `applied` only when nothing else is left.
constexpr std::array<std::string_view, 6> status_precedence = {
    "failed", "running", "rolled_back", "pending", "missing", "applied"};

std::size_t rank(std::string_view status) {
    const auto* it = std::find(status_precedence.begin(), status_precedence.end(), status);
    return it == status_precedence.end() ? 0 : static_cast<std::size_t>(it - status_precedence.begin());
}

state_summary summarize(const read_subject& s, const std::vector<state::status_group>& groups) {
    state_summary out;
    out.connection = s.connection;
    out.schema = s.schema;
    const state::status_group* worst = nullptr;
    for (const auto& g : groups) {
        out.targets[g.status] += g.count;
        if (worst == nullptr || rank(g.status) < rank(worst->status)) worst = &g;
    }
    if (worst == nullptr) return out;  // nothing recorded: pending
    out.status = worst->status;
    out.applied = out.status == "applied";
    if (out.applied) out.applied_at = worst->latest_applied_at;
    if (out.status == "failed") out.error_message = worst->latest_error;
    return out;
}

asio::awaitable<service_outcome<state_summary>> summary_of(state::history_store& history,
                                                           const read_subject& s,
                                                           const read_query& q) {
    auto groups = co_await history.status_groups(s.rows(q));
    if (!groups) co_return failed<state_summary>(unavailable(groups.error()));
    co_return service_outcome<state_summary>{summarize(s, *groups), std::nullopt};
}

void fill_tables(const registry& reg, history_page& page, const std::string& table) {
    for (auto& item : page.items) {
        if (!table.empty()) {
            item.table = table;
        } else if (const migration* m = reg.find(item.migration_id)) {
            item.table = m->table;
        }
    }
}

}  // namespace

asio::awaitable<service_outcome<migration_detail>> engine::get_migration(std::string id,
                                                                         read_query query) {
    const registry_ptr reg = registry_;
    state::history_store history(store_.pool(), store_.schema(), store_.wait_timeout());
    auto subject = co_await resolve_subject(*reg, history, id, query);
    if (subject.error) co_return failed<migration_detail>(std::move(*subject.error));
    const read_subject& s = *subject.value;
    auto summary = co_await summary_of(history, s, query);
    if (summary.error) co_return failed<migration_detail>(std::move(*summary.error));

    migration_detail d;
    d.migration_id = s.migration_id;
    d.connection = s.connection;
    d.table = s.table;
    if (s.m != nullptr) {
        const migration& m = *s.m;
        d.backend = m.backend;
        d.version = m.version;
        d.name = m.name;
        d.schema = m.schema;
        d.checksum = m.checksum;
        d.up_sql = m.up_sql;
        d.down_sql = m.down_sql;
        d.up_path = m.up_path;
        d.down_path = m.down_path;
        d.dependencies = m.dependencies;
        d.depends_schemas = m.depends_schemas;
        d.tags = m.tags;
        d.transactional = m.transactional;
    } else {
        d.known = false;
        d.backend = s.recorded->backend;
        d.version = s.recorded->version;
        d.name = s.recorded->name;
        d.checksum = s.recorded->checksum;
    }
    d.state = std::move(*summary.value);
    co_return service_outcome<migration_detail>{std::move(d), std::nullopt};
}

asio::awaitable<service_outcome<status_report>> engine::migration_status(std::string id,
                                                                         read_query query) {
    const registry_ptr reg = registry_;
    state::history_store history(store_.pool(), store_.schema(), store_.wait_timeout());
    auto subject = co_await resolve_subject(*reg, history, id, query);
    if (subject.error) co_return failed<status_report>(std::move(*subject.error));
    auto summary = co_await summary_of(history, *subject.value, query);
    if (summary.error) co_return failed<status_report>(std::move(*summary.error));
    status_report report;
    report.migration_id = subject.value->migration_id;
    report.state = std::move(*summary.value);
    co_return service_outcome<status_report>{std::move(report), std::nullopt};
}

asio::awaitable<service_outcome<applied_report>> engine::migration_applied(std::string id,
                                                                           read_query query) {
    const registry_ptr reg = registry_;
    state::history_store history(store_.pool(), store_.schema(), store_.wait_timeout());
    auto subject = co_await resolve_subject(*reg, history, id, query);
    if (subject.error) co_return failed<applied_report>(std::move(*subject.error));
    const read_subject& s = *subject.value;
    auto summary = co_await summary_of(history, s, query);
    if (summary.error) co_return failed<applied_report>(std::move(*summary.error));
    auto page =
        co_await history.states(s.rows(query), state::state_order::by_target, query.limit,
                                query.offset);
    if (!page) co_return failed<applied_report>(unavailable(page.error()));

    applied_report report;
    report.migration_id = s.migration_id;
    report.applied = summary.value->applied;
    report.total = page->total;
    report.targets = std::move(page->items);
    // One named target with nothing recorded yet is still an answer about that target.
    if (report.total == 0 && !s.schema.empty() && s.connection_matches(query)) {
        report.total = 1;
        if (query.offset == 0) {
            target_state pending;
            pending.migration_id = s.migration_id;
            pending.connection = s.connection;
            pending.schema = s.schema;
            pending.table = s.table;
            pending.status = "pending";
            pending.recorded = false;
            if (s.m != nullptr) {
                pending.version = s.m->version;
                pending.name = s.m->name;
                pending.backend = s.m->backend;
                pending.checksum = s.m->checksum;
            }
            report.targets.push_back(std::move(pending));
        }
    }
    co_return service_outcome<applied_report>{std::move(report), std::nullopt};
}

asio::awaitable<service_outcome<history_page>> engine::migration_history(std::string id,
                                                                         read_query query) {
    const registry_ptr reg = registry_;
    state::history_store history(store_.pool(), store_.schema(), store_.wait_timeout());
    auto subject = co_await resolve_subject(*reg, history, id, query);
    if (subject.error) co_return failed<history_page>(std::move(*subject.error));
    const read_subject& s = *subject.value;
    const state::history_filter filter{s.rows(query), query.action};
    auto page = co_await history.history(filter, query.limit, query.offset);
    if (!page) co_return failed<history_page>(unavailable(page.error()));
    fill_tables(*reg, *page, s.table);
    co_return service_outcome<history_page>{std::move(*page), std::nullopt};
}

asio::awaitable<service_outcome<state_page>> engine::migration_executions(std::string id,
                                                                          read_query query) {
    const registry_ptr reg = registry_;
    state::history_store history(store_.pool(), store_.schema(), store_.wait_timeout());
    auto subject = co_await resolve_subject(*reg, history, id, query);
    if (subject.error) co_return failed<state_page>(std::move(*subject.error));
    auto page = co_await history.states(subject.value->rows(query),
                                        state::state_order::recent_first, query.limit,
                                        query.offset);
    if (!page) co_return failed<state_page>(unavailable(page.error()));
    co_return service_outcome<state_page>{std::move(*page), std::nullopt};
}

asio::awaitable<service_outcome<history_page>> engine::migration_skipped(std::string id,
                                                                         read_query query) {
    const registry_ptr reg = registry_;
    state::history_store history(store_.pool(), store_.schema(), store_.wait_timeout());
    auto subject = co_await resolve_subject(*reg, history, id, query);
    if (subject.error) co_return failed<history_page>(std::move(*subject.error));
    const read_subject& s = *subject.value;
    const state::history_filter filter{s.rows(query), "skip"};
    auto page = co_await history.history(filter, query.limit, query.offset);
    if (!page) co_return failed<history_page>(unavailable(page.error()));
    fill_tables(*reg, *page, s.table);
    co_return service_outcome<history_page>{std::move(*page), std::nullopt};
}

asio::awaitable<service_outcome<state_page>> engine::recent_executions(read_query query) {
    state::history_store history(store_.pool(), store_.schema(), store_.wait_timeout());
    const state::row_filter rows{"", query.connection, query.schema};
    auto page =
        co_await history.states(rows, state::state_order::recent_first, query.limit, query.offset);
    if (!page) co_return failed<state_page>(unavailable(page.error()));
    co_return service_outcome<state_page>{std::move(*page), std::nullopt};
}

asio::awaitable<service_outcome<history_page>> engine::recent_skipped(read_query query) {
    const registry_ptr reg = registry_;
    state::history_store history(store_.pool(), store_.schema(), store_.wait_timeout());
    const state::history_filter filter{{"", query.connection, query.schema}, "skip"};
    auto page = co_await history.history(filter, query.limit, query.offset);
    if (!page) co_return failed<history_page>(unavailable(page.error()));
    fill_tables(*reg, *page, "");
    co_return service_outcome<history_page>{std::move(*page), std::nullopt};
}

}  // namespace bfm::core
