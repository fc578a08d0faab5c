#include "state/history_store.hpp"

#include <boost/json.hpp>

#include "backends/postgresql/pg_quote.hpp"
#include "state/json_params.hpp"
#include "state/state_store.hpp"

namespace bfm::state {
namespace asio = boost::asio;

namespace {

// A WHERE clause of bound parameters. Only the conditions given become part of the text, so
// each combination is its own prepared statement with a plan that can use the indexes (a
// generic plan of `($1 = '' OR schema = $1)` could not).
class where_clause {
public:
    void equals(const char* column, const std::string& value) {
        if (value.empty()) return;
        params_.emplace_back(value);
        add(std::string(column) + " = $" + std::to_string(params_.size()));
    }
    void add(const std::string& condition) {
        text_ += text_.empty() ? " WHERE " : " AND ";
        text_ += condition;
    }
    // A parameter for the rest of the statement (LIMIT, OFFSET).
    std::string bind(std::string value) {
        params_.emplace_back(std::move(value));
        return "$" + std::to_string(params_.size());
    }
    const std::string& text() const { return text_; }
    std::vector<pg::param>& params() { return params_; }

private:
    std::string text_;
    std::vector<pg::param> params_;
};

void add_rows(where_clause& where, const row_filter& f) {
    where.equals("migration_id", f.migration_id);
    where.equals("connection", f.connection);
    where.equals("schema", f.schema);
}

// One page and the total in one round trip: the count, LEFT JOINed to the page (so an offset
// past the end still answers the total, with one row of NULLs).
std::string paged(const std::string& from_where, const std::string& columns,
                  const std::string& order, where_clause& where, std::size_t limit,
                  std::size_t offset) {
    const std::string limit_param = where.bind(std::to_string(limit));
    const std::string offset_param = where.bind(std::to_string(offset));
    return "SELECT t.total, p.* FROM (SELECT count(*) AS total FROM " + from_where
           + ") t LEFT JOIN LATERAL (SELECT " + columns + " FROM " + from_where + " ORDER BY "
           + order + " LIMIT " + limit_param + " OFFSET " + offset_param + ") p ON true";
}

}  // namespace

history_store::history_store(std::shared_ptr<pg::pool> pool, std::string schema,
                             std::chrono::milliseconds wait_timeout)
    : pool_(std::move(pool)), schema_(std::move(schema)), wait_timeout_(wait_timeout) {}

std::string history_store::table(std::string_view name) const {
    return pg::quote_ident(schema_) + "." + std::string(name);
}

asio::awaitable<pg::result<std::optional<recorded_migration>>> history_store::find_recorded(
    const std::string& migration_id) {
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    auto r = co_await session.value()->query(
        "(SELECT connection, schema, table_name, version, name, backend, coalesce(checksum, '')"
        " FROM " + table("bfm_migrations") + " WHERE migration_id = $1 LIMIT 1) UNION ALL"
        " (SELECT connection, schema, '', version, '', backend, coalesce(checksum, '') FROM "
            + table("bfm_history") + " WHERE migration_id = $1 LIMIT 1) LIMIT 1",
        pg::params(migration_id));
    if (!r) co_return r.error();
    std::optional<recorded_migration> out;
    if (r->empty()) co_return out;
    out.emplace();
    out->connection = r->text(0, 0);
    out->schema = r->text(0, 1);
    out->table = r->text(0, 2);
    out->version = r->text(0, 3);
    out->name = r->text(0, 4);
    out->backend = r->text(0, 5);
    out->checksum = r->text(0, 6);
    co_return out;
}

asio::awaitable<pg::result<std::vector<status_group>>> history_store::status_groups(
    const row_filter& filter) {
    where_clause where;
    add_rows(where, filter);
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    auto r = co_await session.value()->query(
        "SELECT status, count(*), " + sql_rfc3339("max(applied_at)")
            + ", coalesce((array_agg(error_message ORDER BY updated_at DESC)"
              " FILTER (WHERE coalesce(error_message, '') <> ''))[1], '') FROM "
            + table("bfm_migrations") + where.text() + " GROUP BY status",
        where.params());
    if (!r) co_return r.error();
    std::vector<status_group> out;
    for (int i = 0; i < r->size(); ++i) {
        out.push_back({std::string(r->text(i, 0)), r->integer(i, 1), std::string(r->text(i, 2)),
                       std::string(r->text(i, 3))});
    }
    co_return out;
}

asio::awaitable<pg::result<core::state_page>> history_store::states(const row_filter& filter,
                                                                    state_order order,
                                                                    std::size_t limit,
                                                                    std::size_t offset) {
    where_clause where;
    add_rows(where, filter);
    const std::string columns =
        "migration_id, connection, schema, table_name, version, name, backend, status,"
        " coalesce(checksum, '') AS checksum, "
        + sql_rfc3339("applied_at") + " AS applied_at_text, " + sql_rfc3339("created_at")
        + " AS created_at_text, " + sql_rfc3339("updated_at")
        + " AS updated_at_text, coalesce(error_message, '') AS error_text,"
          " coalesce(job_id, '') AS job_text, coalesce(execution_ms, 0) AS ms";
    // Ties broken by the key so pages never overlap.
    const std::string by = order == state_order::recent_first
                               ? "updated_at DESC, migration_id, connection, schema"
                               : "connection, schema, migration_id";
    const std::string sql =
        paged(table("bfm_migrations") + where.text(), columns, by, where, limit, offset);
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    auto r = co_await session.value()->query(sql, where.params());
    if (!r) co_return r.error();
    core::state_page page;
    page.migration_id = filter.migration_id;
    page.total = r->empty() ? 0 : static_cast<std::size_t>(r->integer(0, 0));
    for (int i = 0; i < r->size(); ++i) {
        if (r->is_null(i, 1)) break;  // the page is empty
        core::target_state s;
        s.migration_id = r->text(i, 1);
        s.connection = r->text(i, 2);
        s.schema = r->text(i, 3);
        s.table = r->text(i, 4);
        s.version = r->text(i, 5);
        s.name = r->text(i, 6);
        s.backend = r->text(i, 7);
        s.status = r->text(i, 8);
        s.checksum = r->text(i, 9);
        s.applied_at = r->text(i, 10);
        s.created_at = r->text(i, 11);
        s.updated_at = r->text(i, 12);
        s.error_message = r->text(i, 13);
        s.job_id = r->text(i, 14);
        s.execution_ms = r->integer(i, 15);
        page.items.push_back(std::move(s));
    }
    co_return page;
}

asio::awaitable<pg::result<core::history_page>> history_store::history(
    const history_filter& filter, std::size_t limit, std::size_t offset) {
    where_clause where;
    add_rows(where, filter.rows);
    if (filter.action.empty()) {
        where.add("action <> 'skip'");
    } else {
        where.equals("action", filter.action);
    }
    const std::string columns =
        "id, attempt_id::text AS attempt_text, migration_id, connection, schema, version, backend,"
        " action, status, coalesce(error_message, '') AS error_text,"
        " coalesce(checksum, '') AS checksum_text, "
        + sql_rfc3339("started_at") + " AS started_text, " + sql_rfc3339("finished_at")
        + " AS finished_text, coalesce(duration_ms, 0) AS ms, executed_by, execution_method,"
          " execution_context::text AS context_text, coalesce(job_id, '') AS job_text,"
          " statement_index, coalesce(execution_context->>'skip_reason', '') AS reason";
    const std::string sql =
        paged(table("bfm_history") + where.text(), columns, "id DESC", where, limit, offset);
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    auto r = co_await session.value()->query(sql, where.params());
    if (!r) co_return r.error();
    core::history_page page;
    page.migration_id = filter.rows.migration_id;
    page.total = r->empty() ? 0 : static_cast<std::size_t>(r->integer(0, 0));
    for (int i = 0; i < r->size(); ++i) {
        if (r->is_null(i, 1)) break;  // the page is empty
        core::history_entry h;
        h.id = r->integer(i, 1);
        h.attempt_id = r->text(i, 2);
        h.migration_id = r->text(i, 3);
        h.connection = r->text(i, 4);
        h.schema = r->text(i, 5);
        h.version = r->text(i, 6);
        h.backend = r->text(i, 7);
        h.action = r->text(i, 8);
        h.status = r->text(i, 9);
        h.error_message = r->text(i, 10);
        h.checksum = r->text(i, 11);
        h.started_at = r->text(i, 12);
        h.finished_at = r->text(i, 13);
        h.duration_ms = r->integer(i, 14);
        h.executed_by = r->text(i, 15);
        h.execution_method = r->text(i, 16);
        h.execution_context = r->text(i, 17);
        h.job_id = r->text(i, 18);
        if (!r->is_null(i, 19)) h.statement_index = r->integer(i, 19);
        h.skip_reason = r->text(i, 20);
        page.items.push_back(std::move(h));
    }
    co_return page;
}

asio::awaitable<pg::status> history_store::record_skips(const std::vector<skip_record>& skips) {
    if (skips.empty()) co_return pg::status{};
    boost::json::array rows;
    rows.reserve(skips.size());
    for (const auto& k : skips) {
        const core::migration& m = *k.migration;
        boost::system::error_code ec;
        boost::json::value context = boost::json::parse(k.origin.context_json, ec);
        if (ec || !context.is_object()) context = boost::json::object();
        context.as_object()["skip_reason"] = k.reason;
        boost::json::object row{{"migration_id", m.id},
                                {"connection", k.connection},
                                {"schema", k.schema},
                                {"version", m.version},
                                {"backend", m.backend},
                                {"checksum", m.checksum},
                                {"at", to_rfc3339(k.at)},
                                {"executed_by", k.origin.executed_by},
                                {"execution_method", core::to_string(k.origin.method)},
                                {"execution_context", std::move(context)},
                                {"fence_token", k.fence_token}};
        if (!k.job_id.empty()) row["job_id"] = k.job_id;
        rows.push_back(std::move(row));
    }
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    const std::string sql =
        "INSERT INTO " + table("bfm_history")
        + " (attempt_id, migration_id, connection, schema, version, backend, action, status,"
          " checksum, started_at, finished_at, duration_ms, executed_by, execution_method,"
          " execution_context, job_id)"
          " SELECT gen_random_uuid(), migration_id, connection, schema, version, backend, 'skip',"
          " 'skipped', checksum, at, at, 0, executed_by, execution_method, execution_context,"
          " job_id FROM jsonb_to_recordset($1::jsonb) AS x(migration_id text, connection text,"
          " schema text, version text, backend text, checksum text, at timestamptz,"
          " executed_by text, execution_method text, execution_context jsonb, job_id text,"
          " fence_token bigint)"
          " WHERE x.fence_token = 0 OR EXISTS (SELECT 1 FROM "
        + table("bfm_locks")
        + " l WHERE l.connection = x.connection AND l.schema = x.schema"
          " AND l.token = x.fence_token)";
    auto r = co_await session.value()->query(sql, pg::params(boost::json::serialize(rows)));
    if (!r) co_return r.error();
    co_return pg::status{};
}

}  // namespace bfm::state
