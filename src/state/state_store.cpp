#include "state/state_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <ctime>
#include <tuple>

#include "backends/postgresql/pg_endpoint.hpp"
#include "backends/postgresql/pg_quote.hpp"
#include "state/internal_migrations.hpp"
#include "state/json_params.hpp"

namespace bfm::state {
namespace asio = boost::asio;

namespace {

// State lookups by a list of values: planned for the values at hand (see query_options).
const pg::query_options unprepared{.timeout = std::chrono::milliseconds(0), .prepare = false};

// Key of the advisory lock that serialises internal migrations across replicas.
constexpr const char* internal_lock_sql =
    "SELECT pg_advisory_lock(hashtext('bfm.internal_migrations'))";
constexpr const char* internal_unlock_sql =
    "SELECT pg_advisory_unlock(hashtext('bfm.internal_migrations'))";

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find(',', start);
        if (end == std::string::npos) end = text.size();
        std::string item = text.substr(start, end - start);
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (!item.empty()) out.push_back(item);
        start = end + 1;
    }
    return out;
}

bool row_matches(const core::list_query& q, const core::migration_row& r) {
    if (!q.schema.empty()) {
        const auto schemas = split_list(q.schema);
        if (std::find(schemas.begin(), schemas.end(), r.schema) == schemas.end()) return false;
    }
    if (!q.table.empty() && q.table != r.table) return false;
    if (!q.connection.empty() && q.connection != r.connection) return false;
    if (!q.backend.empty() && core::canonical_backend(q.backend) != r.backend) return false;
    if (!q.status.empty() && q.status != r.status) return false;
    if (!q.version.empty() && q.version != r.version) return false;
    return true;
}

}  // namespace

std::string to_rfc3339(std::chrono::system_clock::time_point t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
    const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms.count() % 1000));
    return buf;
}

state_store::state_store(asio::any_io_executor ex, const core::app_config& config)
    : schema_(config.state.schema),
      wait_timeout_(config.connect_timeout * 2),
      pool_(pg::pool::create(
          std::move(ex),
          pg::connect_params_for(config.state.endpoint, "bfm-state", config.connect_timeout), 8)) {}

std::string state_store::table(std::string_view name) const {
    return pg::quote_ident(schema_) + "." + std::string(name);
}

asio::awaitable<pg::status> state_store::initialize() {
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    auto& conn = *session.value();

    // Session-level lock: held across the transactions below, released on unlock or when the
    // session dies with a crashed process.
    if (auto r = co_await conn.query(internal_lock_sql); !r) co_return r.error();
    auto run = [&]() -> asio::awaitable<pg::status> {
        const std::string version_table = table("bfm_schema_version");
        auto setup = co_await conn.query(
            "CREATE SCHEMA IF NOT EXISTS " + pg::quote_ident(schema_) + "; CREATE TABLE IF NOT EXISTS " +
            version_table +
            " (version integer PRIMARY KEY, description text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())");
        if (!setup) co_return setup.error();
        auto current =
            co_await conn.query("SELECT coalesce(max(version), 0) FROM " + version_table);
        if (!current) co_return current.error();
        const auto have = current->integer(0, 0);
        for (const auto& m : internal_migrations(schema_)) {
            if (m.version <= have) continue;
            spdlog::info("state: applying internal migration {} ({})", m.version, m.description);
            auto applied =
                co_await conn.query("BEGIN; " + m.sql + "; INSERT INTO " + version_table
                                    + " (version, description) VALUES (" + std::to_string(m.version)
                                    + ", " + pg::quote_literal(m.description) + "); COMMIT");
            if (!applied) {
                co_await conn.query("ROLLBACK");
                co_return applied.error();
            }
        }
        co_return pg::status{};
    };
    auto outcome = co_await run();
    co_await conn.query(internal_unlock_sql);
    co_return outcome;
}

asio::awaitable<pg::status> state_store::ping() {
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    auto r = co_await session.value()->query("SELECT 1");
    if (!r) co_return r.error();
    co_return pg::status{};
}

asio::awaitable<
    pg::result<std::map<state_store::target_key, std::map<std::string, migration_state>>>>
state_store::load_schemas(const std::vector<std::string>& schemas) {
    std::map<target_key, std::map<std::string, migration_state>> out;
    if (schemas.empty()) co_return out;
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    auto r = co_await session.value()->query(
        "SELECT connection, schema, migration_id, status, coalesce(checksum, ''),"
        " coalesce(attempt_id::text, '') FROM "
            + table("bfm_migrations")
            + " WHERE schema = ANY(ARRAY(SELECT jsonb_array_elements_text($1::jsonb)))",
        pg::params(json_array(schemas)), unprepared);
    if (!r) co_return r.error();
    for (int i = 0; i < r->size(); ++i) {
        out[{std::string(r->text(i, 0)), std::string(r->text(i, 1))}].emplace(
            std::string(r->text(i, 2)),
            migration_state{std::string(r->text(i, 3)), std::string(r->text(i, 4)),
                            std::string(r->text(i, 5))});
    }
    co_return out;
}

asio::awaitable<pg::result<std::int64_t>> state_store::sync_missing(
    const std::vector<std::string>& known_ids) {
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    const std::string known = "(SELECT jsonb_array_elements_text($1::jsonb))";
    auto r = co_await session.value()->query(
        "WITH gone AS (UPDATE " + table("bfm_migrations")
            + " SET status = 'missing', updated_at = now() WHERE status <> 'missing'"
              " AND migration_id NOT IN " + known + " RETURNING 1),"
            + " back AS (UPDATE " + table("bfm_migrations") + " AS m SET updated_at = now(),"
              " status = coalesce((SELECT h.status FROM " + table("bfm_history")
            + " h WHERE h.migration_id = m.migration_id AND h.connection = m.connection"
              " AND h.schema = m.schema AND h.status IN ('applied', 'failed', 'rolled_back')"
              " ORDER BY h.id DESC LIMIT 1), 'pending')"
              " WHERE m.status = 'missing' AND m.migration_id IN " + known + " RETURNING 1)"
              " SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM back)",
        pg::params(json_array(known_ids)));
    if (!r) co_return r.error();
    co_return r->integer(0, 0);
}

asio::awaitable<pg::result<std::set<std::string>>> state_store::recorded_attempts(
    const std::vector<std::string>& attempt_ids) {
    std::set<std::string> out;
    if (attempt_ids.empty()) co_return out;
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    auto r = co_await session.value()->query(
        "SELECT DISTINCT attempt_id::text FROM " + table("bfm_history")
            + " WHERE attempt_id = ANY(ARRAY(SELECT jsonb_array_elements_text($1::jsonb)::uuid))",
        pg::params(json_array(attempt_ids)), unprepared);
    if (!r) co_return r.error();
    for (int i = 0; i < r->size(); ++i) out.emplace(r->text(i, 0));
    co_return out;
}

asio::awaitable<pg::status> state_store::record(const attempt_record& attempt) {
    co_return co_await record_all(std::vector<attempt_record>(1, attempt));
}

asio::awaitable<pg::status> state_store::record_all(const std::vector<attempt_record>& attempts) {
    if (attempts.empty()) co_return pg::status{};
    boost::json::array rows;
    rows.reserve(attempts.size());
    for (const auto& a : attempts) {
        const auto& m = *a.migration;
        const auto duration_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(a.finished_at - a.started_at)
                .count();
        const bool applied = a.status == "applied";
        boost::json::object row{
            {"attempt_id", a.attempt_id},
            {"migration_id", m.id},
            {"connection", a.connection},
            {"schema", a.schema},
            {"table_name", m.table},
            {"version", m.version},
            {"name", m.name},
            {"backend", m.backend},
            {"status", a.status},
            {"checksum", m.checksum},
            {"started_at", to_rfc3339(a.started_at)},
            {"finished_at", to_rfc3339(a.finished_at)},
            {"duration_ms", duration_ms},
            {"action", a.action},
            {"executed_by", a.origin.executed_by},
            {"execution_method", core::to_string(a.origin.method)},
        };
        boost::system::error_code ec;
        auto context = boost::json::parse(a.origin.context_json, ec);
        row["execution_context"] = ec ? boost::json::value(boost::json::object()) : context;
        if (!a.error_message.empty()) row["error_message"] = a.error_message;
        if (!a.job_id.empty()) row["job_id"] = a.job_id;
        if (applied) row["applied_at"] = to_rfc3339(a.finished_at);
        row["fence_token"] = a.fence_token;
        row["history_only"] = a.history_only;
        rows.push_back(std::move(row));
    }
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    // One statement for any number of attempts, so current state and history never disagree.
    const std::string sql =
        "WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(attempt_id uuid,"
        " migration_id text, connection text, schema text, table_name text, version text,"
        " name text, backend text, status text, checksum text, started_at timestamptz,"
        " finished_at timestamptz, duration_ms bigint, error_message text, job_id text,"
        " action text, executed_by text, execution_method text, execution_context jsonb,"
        " applied_at timestamptz, fence_token bigint, history_only boolean)),"
        // Fenced: a writer whose target lease was taken over writes nothing.
        " ok AS (SELECT * FROM x WHERE fence_token = 0 OR EXISTS (SELECT 1 FROM "
        + table("bfm_locks") + " l WHERE l.connection = x.connection AND l.schema = x.schema"
        " AND l.token = x.fence_token)),"
        " history AS (INSERT INTO " + table("bfm_history") +
        " (attempt_id, migration_id, connection, schema, version, backend, action, status,"
        " error_message, checksum, started_at, finished_at, duration_ms, executed_by,"
        " execution_method, execution_context, job_id)"
        " SELECT attempt_id, migration_id, connection, schema, version, backend, action, status,"
        " error_message, checksum, started_at, finished_at, duration_ms, executed_by,"
        " execution_method, coalesce(execution_context, '{}'::jsonb), job_id FROM ok RETURNING 1)"
        " INSERT INTO " + table("bfm_migrations") +
        " AS m (migration_id, connection, schema, table_name, version, name, backend, status,"
        " checksum, applied_at, execution_ms, error_message, job_id, attempt_id, updated_at)"
        " SELECT migration_id, connection, schema, table_name, version, name, backend, status,"
        " checksum, applied_at, duration_ms, error_message, job_id, attempt_id, now() FROM ok"
        " WHERE NOT history_only"
        " ON CONFLICT (migration_id, connection, schema) DO UPDATE SET"
        " table_name = EXCLUDED.table_name, version = EXCLUDED.version,"
        " name = EXCLUDED.name, backend = EXCLUDED.backend,"
        " status = EXCLUDED.status, checksum = EXCLUDED.checksum,"
        " applied_at = CASE WHEN EXCLUDED.status = 'applied'"
        " THEN EXCLUDED.applied_at ELSE m.applied_at END,"
        " execution_ms = EXCLUDED.execution_ms,"
        " error_message = EXCLUDED.error_message, job_id = EXCLUDED.job_id,"
        " attempt_id = EXCLUDED.attempt_id, updated_at = now()";
    auto r = co_await session.value()->query(sql, pg::params(boost::json::serialize(rows)));
    if (!r) co_return r.error();
    const auto written = r->affected();
    const auto expected = static_cast<std::int64_t>(std::count_if(
        attempts.begin(), attempts.end(), [](const attempt_record& a) { return !a.history_only; }));
    if (written < expected) {
        co_return pg::make_client_error(
            pg::errc::lease_lost,
            "lease lost: " + std::to_string(expected - written)
                + " attempt(s) not recorded; the target's new owner records what committed "
                  "from the ledger");
    }
    co_return pg::status{};
}

asio::awaitable<pg::result<core::list_page>> state_store::list(const core::list_query& q,
                                                               const core::registry& registry) {
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    auto r = co_await session.value()->query(
        "SELECT migration_id, schema, table_name, version, name, connection, backend, status,"
        " " + sql_rfc3339("applied_at") + ","
        " coalesce(error_message, ''), coalesce(checksum, ''), coalesce(execution_ms, 0) FROM "
        + table("bfm_migrations"));
    if (!r) co_return r.error();

    std::vector<core::migration_row> rows;
    std::set<std::string> recorded;  // migration IDs with at least one recorded target
    for (int i = 0; i < r->size(); ++i) {
        core::migration_row row;
        row.migration_id = r->text(i, 0);
        row.schema = r->text(i, 1);
        row.table = r->text(i, 2);
        row.version = r->text(i, 3);
        row.name = r->text(i, 4);
        row.connection = r->text(i, 5);
        row.backend = r->text(i, 6);
        row.status = r->text(i, 7);
        row.applied_at = r->text(i, 8);
        row.error_message = r->text(i, 9);
        row.checksum = r->text(i, 10);
        row.execution_ms = r->integer(i, 11);
        recorded.insert(row.migration_id);
        if (row_matches(q, row)) rows.push_back(std::move(row));
    }
    // Known migrations that never ran anywhere are listed once as pending, in their declared
    // schema ("" for dynamic migrations).
    for (const auto& m : registry.all()) {
        if (recorded.count(m.id)) continue;
        core::migration_row row;
        row.migration_id = m.id;
        row.schema = m.schema;
        row.table = m.table;
        row.version = m.version;
        row.name = m.name;
        row.connection = m.connection;
        row.backend = m.backend;
        row.status = "pending";
        row.checksum = m.checksum;
        if (row_matches(q, row)) rows.push_back(std::move(row));
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return std::tie(a.connection, a.version, a.migration_id, a.schema)
               < std::tie(b.connection, b.version, b.migration_id, b.schema);
    });
    core::list_page page;
    page.total = rows.size();
    const auto first = std::min(q.offset, rows.size());
    const auto last = std::min(first + q.limit, rows.size());
    page.items.assign(std::make_move_iterator(rows.begin() + static_cast<std::ptrdiff_t>(first)),
                      std::make_move_iterator(rows.begin() + static_cast<std::ptrdiff_t>(last)));
    co_return page;
}

}  // namespace bfm::state
