#include "state/fleet_store.hpp"

#include <boost/json.hpp>

#include "backends/postgresql/pg_quote.hpp"
#include "state/json_params.hpp"

namespace bfm::state {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// The plan depends on the filters' values (empty or not): never a generic prepared plan.
const pg::query_options unprepared{.timeout = std::chrono::milliseconds(0), .prepare = false};

// [[connection, id, checksum, declared schema], ...]
std::string registry_json(const core::registry& registry) {
    json::array rows;
    rows.reserve(registry.size());
    for (const auto& m : registry.all()) {
        rows.push_back(json::array{json::string(m.connection), json::string(m.id),
                                   json::string(m.checksum), json::string(m.schema)});
    }
    return json::serialize(rows);
}

}  // namespace

fleet_store::fleet_store(std::shared_ptr<pg::pool> pool, std::string schema,
                         std::chrono::milliseconds wait_timeout)
    : pool_(std::move(pool)), schema_(std::move(schema)), wait_timeout_(wait_timeout) {}

std::string fleet_store::table(std::string_view name) const {
    return pg::quote_ident(schema_) + "." + std::string(name);
}

asio::awaitable<pg::result<core::target_page>> fleet_store::targets(
    const core::target_query& q, const core::registry& registry) {
    const bool prefix = !q.schema.empty() && q.schema.back() == '*';
    const std::string exact_schema = prefix ? "" : q.schema;
    const std::string schema_prefix = prefix ? q.schema.substr(0, q.schema.size() - 1) : "";
    // $1 registry, $2 connection, $3 exact schema, $4 schema prefix, $5 status, $6 limit,
    // $7 offset. A migration counts as pending on a target when it runs there (dynamic: any
    // schema of its connection; fixed: its declared schema) and is not applied there.
    const std::string sql =
        "WITH reg AS (SELECT r->>0 AS connection, r->>1 AS migration_id, r->>2 AS checksum,"
        " r->>3 AS schema FROM jsonb_array_elements($1::jsonb) AS r),"
        " dyn AS (SELECT connection, count(*) AS n FROM reg WHERE schema = ''"
        " GROUP BY connection),"
        " fixed AS (SELECT connection, schema, count(*) AS n FROM reg WHERE schema <> ''"
        " GROUP BY connection, schema),"
        " t AS (SELECT m.connection, m.schema,"
        " count(*) FILTER (WHERE m.status = 'applied') AS applied,"
        " count(*) FILTER (WHERE m.status = 'failed') AS failed,"
        " count(*) FILTER (WHERE m.status = 'rolled_back') AS rolled_back,"
        " count(*) FILTER (WHERE m.status = 'applied' AND reg.checksum IS NOT NULL"
        " AND m.checksum IS DISTINCT FROM reg.checksum) AS modified,"
        " count(*) FILTER (WHERE m.status = 'applied'"
        " AND (reg.schema = '' OR reg.schema = m.schema)) AS applied_known,"
        " max(m.applied_at) FILTER (WHERE m.status = 'applied') AS last_applied_at"
        " FROM " + table("bfm_migrations") + " m"
        " LEFT JOIN reg ON reg.migration_id = m.migration_id AND reg.connection = m.connection"
        " WHERE ($2 = '' OR m.connection = $2) AND ($3 = '' OR m.schema = $3)"
        " AND ($4 = '' OR starts_with(m.schema, $4))"
        " GROUP BY m.connection, m.schema),"
        " c AS (SELECT t.*, greatest(coalesce(dyn.n, 0) + coalesce(fixed.n, 0)"
        " - t.applied_known, 0) AS pending FROM t"
        " LEFT JOIN dyn ON dyn.connection = t.connection"
        " LEFT JOIN fixed ON fixed.connection = t.connection AND fixed.schema = t.schema),"
        " f AS (SELECT * FROM c WHERE $5 = ''"
        " OR ($5 = 'failed' AND failed > 0) OR ($5 = 'pending' AND pending > 0)"
        " OR ($5 = 'modified' AND modified > 0)"
        " OR ($5 = 'ok' AND failed = 0 AND pending = 0 AND modified = 0))"
        " SELECT connection, schema, applied, pending, failed, modified, rolled_back, "
        + sql_rfc3339("last_applied_at")
        + ", count(*) OVER () FROM f ORDER BY connection, schema LIMIT $6 OFFSET $7";

    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    auto r = co_await session.value()->query(
        sql,
        pg::params(registry_json(registry), q.connection, exact_schema, schema_prefix, q.status,
                   std::to_string(q.limit), std::to_string(q.offset)),
        unprepared);
    if (!r) co_return r.error();
    core::target_page page;
    for (int i = 0; i < r->size(); ++i) {
        core::target_summary t;
        t.connection = r->text(i, 0);
        t.schema = r->text(i, 1);
        t.applied = r->integer(i, 2);
        t.pending = r->integer(i, 3);
        t.failed = r->integer(i, 4);
        t.modified = r->integer(i, 5);
        t.rolled_back = r->integer(i, 6);
        t.last_applied_at = r->text(i, 7);
        page.total = static_cast<std::size_t>(r->integer(i, 8));
        page.items.push_back(std::move(t));
    }
    if (page.items.empty() && q.offset > 0) {
        // Past the end: the window count came with no row; count once more from the start.
        auto again = co_await session.value()->query(
            sql,
            pg::params(registry_json(registry), q.connection, exact_schema, schema_prefix,
                       q.status, std::string("1"), std::string("0")),
            unprepared);
        if (!again) co_return again.error();
        if (again->size() > 0) page.total = static_cast<std::size_t>(again->integer(0, 8));
    }
    co_return page;
}

asio::awaitable<pg::result<core::job_status_counts>> fleet_store::job_counts() {
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    // Targets only of unfinished jobs: the queue that matters, and no scan of all history.
    auto r = co_await session.value()->query(
        "SELECT 'job', status, count(*) FROM " + table("bfm_jobs")
        + " GROUP BY status UNION ALL SELECT 'target', t.status, count(*) FROM "
        + table("bfm_job_targets") + " t WHERE t.job_id IN (SELECT job_id FROM "
        + table("bfm_jobs") + " WHERE status IN ('queued', 'running')) GROUP BY t.status");
    if (!r) co_return r.error();
    core::job_status_counts out;
    for (int i = 0; i < r->size(); ++i) {
        auto& into = r->text(i, 0) == "job" ? out.jobs : out.targets;
        into[std::string(r->text(i, 1))] = r->integer(i, 2);
    }
    co_return out;
}

}  // namespace bfm::state
