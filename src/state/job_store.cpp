#include "state/job_store.hpp"

#include <boost/json.hpp>

#include "backends/postgresql/pg_quote.hpp"
#include "state/json_params.hpp"

namespace bfm::state {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string ms_interval(std::chrono::milliseconds d) {
    return std::to_string(d.count());
}

// The job columns every query returns, in the order job_from_row() reads them.
std::string job_columns(const std::string& p) {
    return p + "job_id, " + p + "kind, " + p + "status, " + p + "connection, " + p + "on_error, "
           + p + "max_failures, " + p + "cancel_requested, " + p + "targets_total, " + p
           + "targets_done, " + p + "targets_failed, " + p + "migrations_applied, " + p
           + "migrations_skipped, " + p + "migrations_failed, " + p + "submitted_by, " + p
           + "execution_method, coalesce(" + p + "error, ''), " + sql_rfc3339(p + "created_at")
           + ", " + sql_rfc3339(p + "started_at") + ", " + sql_rfc3339(p + "finished_at");
}

core::job_summary job_from_row(const pg::rows& r, int i) {
    core::job_summary j;
    j.job_id = r.text(i, 0);
    j.kind = r.text(i, 1);
    j.status = core::parse_job_status(r.text(i, 2)).value_or(core::job_status::failed);
    j.connection = r.text(i, 3);
    j.options.on_error =
        r.text(i, 4) == "stop" ? core::on_error_policy::stop : core::on_error_policy::continue_;
    j.options.max_failures = r.integer(i, 5);
    j.cancel_requested = r.boolean(i, 6);
    j.counts.targets_total = r.integer(i, 7);
    j.counts.targets_done = r.integer(i, 8);
    j.counts.targets_failed = r.integer(i, 9);
    j.counts.migrations_applied = r.integer(i, 10);
    j.counts.migrations_skipped = r.integer(i, 11);
    j.counts.migrations_failed = r.integer(i, 12);
    j.submitted_by = r.text(i, 13);
    j.execution_method = r.text(i, 14);
    j.error = r.text(i, 15);
    j.created_at = r.text(i, 16);
    j.started_at = r.text(i, 17);
    j.finished_at = r.text(i, 18);
    return j;
}

core::migration_outcome outcome_of(std::string_view text) {
    if (text == "applied") return core::migration_outcome::applied;
    if (text == "failed") return core::migration_outcome::failed;
    if (text == "would_apply") return core::migration_outcome::would_apply;
    if (text == "rolled_back") return core::migration_outcome::rolled_back;
    if (text == "would_roll_back") return core::migration_outcome::would_roll_back;
    return core::migration_outcome::skipped;
}

std::string targets_to_json(const std::vector<new_target>& targets) {
    json::array rows;
    rows.reserve(targets.size());
    std::int64_t seq = 0;
    for (const auto& t : targets) {
        rows.push_back(json::array{seq++, json::string(t.connection), json::string(t.schema),
                                   json::string(core::to_string(t.status)), json::string(t.error),
                                   t.skipped});
    }
    return json::serialize(rows);
}

}  // namespace

std::string migrations_to_json(const std::vector<core::migration_result>& migrations) {
    json::array out;
    out.reserve(migrations.size());
    for (const auto& m : migrations) {
        out.push_back(json::object{{"id", m.migration_id},
                                   {"outcome", core::to_string(m.outcome)},
                                   {"error", m.error},
                                   {"ms", m.duration_ms}});
    }
    return json::serialize(out);
}

std::vector<core::migration_result> migrations_from_json(std::string_view text) {
    std::vector<core::migration_result> out;
    if (text.empty()) return out;
    boost::system::error_code ec;
    const json::value v = json::parse(text, ec);
    if (ec || !v.is_array()) return out;
    for (const auto& item : v.get_array()) {
        if (!item.is_object()) continue;
        const auto& o = item.get_object();
        core::migration_result m;
        if (const auto* id = o.if_contains("id"); id && id->is_string()) {
            m.migration_id = std::string(id->get_string());
        }
        if (const auto* oc = o.if_contains("outcome"); oc && oc->is_string()) {
            m.outcome = outcome_of(oc->get_string());
        }
        if (const auto* e = o.if_contains("error"); e && e->is_string()) {
            m.error = std::string(e->get_string());
        }
        if (const auto* ms = o.if_contains("ms"); ms && ms->is_int64()) m.duration_ms = ms->get_int64();
        out.push_back(std::move(m));
    }
    return out;
}

core::job_status finish_status(const core::job_counts& c, bool cancel_requested, bool stopped) {
    if (cancel_requested) return core::job_status::cancelled;
    if (c.targets_failed == 0 && !stopped) return core::job_status::succeeded;
    if (stopped || c.targets_failed >= c.targets_total) return core::job_status::failed;
    return core::job_status::partial;
}

job_store::job_store(std::shared_ptr<pg::pool> pool, std::string schema,
                     std::chrono::milliseconds wait_timeout)
    : pool_(std::move(pool)), schema_(std::move(schema)), wait_timeout_(wait_timeout) {}

std::string job_store::table(std::string_view name) const {
    return pg::quote_ident(schema_) + "." + std::string(name);
}

asio::awaitable<pg::result<pg::rows>> job_store::run(const std::string& sql,
                                                     const std::vector<pg::param>& params) {
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    co_return co_await session.value()->query(sql, params);
}

asio::awaitable<pg::status> job_store::insert(const core::job_summary& job,
                                              const std::string& request_json,
                                              const std::vector<new_target>& targets) {
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    auto& conn = *session.value();
    const bool finished = core::is_final(job.status);
    std::vector<pg::param> job_params{
        job.job_id,
        job.kind,
        std::string(core::to_string(job.status)),
        job.connection,
        request_json,
        std::string(core::to_string(job.options.on_error)),
        std::to_string(job.options.max_failures),
        std::to_string(job.counts.targets_total),
        std::to_string(job.counts.targets_done),
        std::to_string(job.counts.targets_failed),
        std::to_string(job.counts.migrations_skipped),
        job.submitted_by,
        job.execution_method,
        job.error.empty() ? pg::param{} : pg::param{job.error},
        finished ? "t" : "f",
    };
    const std::string insert_job =
        "INSERT INTO " + table("bfm_jobs")
        + " (job_id, kind, status, connection, request, on_error, max_failures, targets_total,"
          " targets_done, targets_failed, migrations_skipped, submitted_by, execution_method,"
          " error, started_at, finished_at)"
          " VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
          " CASE WHEN $15::boolean THEN now() END, CASE WHEN $15::boolean THEN now() END)";
    const std::string insert_targets =
        "INSERT INTO " + table("bfm_job_targets")
        + " (job_id, seq, connection, schema, status, error, skipped, started_at, finished_at)"
          " SELECT $1, (x->>0)::int, x->>1, x->>2, x->>3, nullif(x->>4, ''), (x->>5)::bigint,"
          " CASE WHEN x->>3 <> 'queued' THEN now() END,"
          " CASE WHEN x->>3 <> 'queued' THEN now() END"
          " FROM jsonb_array_elements($2::jsonb) AS x";
    auto fail = [&](pg::error e) -> asio::awaitable<pg::status> {
        co_await conn.query("ROLLBACK");
        co_return e;
    };
    if (auto r = co_await conn.query("BEGIN"); !r) co_return r.error();
    if (auto r = co_await conn.query(insert_job, job_params); !r) {
        co_return co_await fail(r.error());
    }
    if (!targets.empty()) {
        auto r = co_await conn.query(insert_targets,
                                     pg::params(job.job_id, targets_to_json(targets)));
        if (!r) co_return co_await fail(r.error());
    }
    if (auto r = co_await conn.query("COMMIT"); !r) co_return co_await fail(r.error());
    co_return pg::status{};
}

asio::awaitable<pg::result<std::optional<core::job_summary>>> job_store::get(
    const std::string& job_id) {
    auto r = co_await run("SELECT " + job_columns("") + " FROM " + table("bfm_jobs")
                              + " WHERE job_id = $1",
                          pg::params(job_id));
    if (!r) co_return r.error();
    std::optional<core::job_summary> out;
    if (!r->empty()) out = job_from_row(*r, 0);
    co_return out;
}

asio::awaitable<pg::result<core::job_page>> job_store::list(const core::job_list_query& q) {
    const pg::param status =
        q.status ? pg::param{std::string(core::to_string(*q.status))} : pg::param{};
    auto r = co_await run("SELECT " + job_columns("") + ", count(*) OVER () FROM "
                              + table("bfm_jobs")
                              + " WHERE $1::text IS NULL OR status = $1"
                                " ORDER BY job_id DESC LIMIT $2 OFFSET $3",
                          pg::params(status, std::to_string(q.limit), std::to_string(q.offset)));
    if (!r) co_return r.error();
    core::job_page page;
    for (int i = 0; i < r->size(); ++i) page.items.push_back(job_from_row(*r, i));
    if (!r->empty()) {
        page.total = static_cast<std::size_t>(r->integer(0, 19));
    } else if (q.offset > 0) {  // past the end: still tell the total
        auto count = co_await run("SELECT count(*) FROM " + table("bfm_jobs")
                                      + " WHERE $1::text IS NULL OR status = $1",
                                  pg::params(status));
        if (!count) co_return count.error();
        page.total = static_cast<std::size_t>(count->integer(0, 0));
    }
    co_return page;
}

asio::awaitable<pg::result<std::optional<core::job_target_page>>> job_store::targets(
    const std::string& job_id, const core::job_target_query& q) {
    auto exists = co_await get(job_id);
    if (!exists) co_return exists.error();
    std::optional<core::job_target_page> out;
    if (!*exists) co_return out;
    const pg::param status =
        q.status ? pg::param{std::string(core::to_string(*q.status))} : pg::param{};
    auto r = co_await run(
        "SELECT seq, connection, schema, status, coalesce(current_migration, ''),"
        " coalesce(error, ''), coalesce(claimed_by, ''), "
            + sql_rfc3339("started_at") + ", " + sql_rfc3339("finished_at")
            + ", duration_ms, applied, skipped, failed, coalesce(migrations::text, ''),"
              " (SELECT count(*) FROM "
            + table("bfm_job_targets")
            + " WHERE job_id = $1 AND ($2::text IS NULL OR status = $2)) FROM "
            + table("bfm_job_targets")
            + " WHERE job_id = $1 AND ($2::text IS NULL OR status = $2)"
              " ORDER BY seq LIMIT $3 OFFSET $4",
        pg::params(job_id, status, std::to_string(q.limit), std::to_string(q.offset)));
    if (!r) co_return r.error();
    core::job_target_page page;
    for (int i = 0; i < r->size(); ++i) {
        core::job_target_row t;
        t.seq = r->integer(i, 0);
        t.connection = r->text(i, 1);
        t.schema = r->text(i, 2);
        t.status = core::parse_target_status(r->text(i, 3)).value_or(core::target_status::failed);
        t.current_migration = r->text(i, 4);
        t.error = r->text(i, 5);
        t.claimed_by = r->text(i, 6);
        t.started_at = r->text(i, 7);
        t.finished_at = r->text(i, 8);
        t.duration_ms = r->integer(i, 9);
        t.applied = r->integer(i, 10);
        t.skipped = r->integer(i, 11);
        t.failed = r->integer(i, 12);
        t.migrations = migrations_from_json(r->text(i, 13));
        page.total = static_cast<std::size_t>(r->integer(i, 14));
        page.items.push_back(std::move(t));
    }
    if (r->empty()) {
        auto count = co_await run("SELECT count(*) FROM " + table("bfm_job_targets")
                                      + " WHERE job_id = $1 AND ($2::text IS NULL OR status = $2)",
                                  pg::params(job_id, status));
        if (!count) co_return count.error();
        page.total = static_cast<std::size_t>(count->integer(0, 0));
    }
    out = std::move(page);
    co_return out;
}

asio::awaitable<pg::result<std::vector<claimed_target>>> job_store::claim(
    const std::string& connection, std::size_t limit, const std::string& holder,
    std::chrono::milliseconds lease, const std::vector<std::string>& known_jobs) {
    // Queued targets of live jobs, and running targets whose claimer stopped renewing its lease
    // (crashed, or cut off from the state database): those are taken over with a new token.
    const std::string sql =
        "WITH c AS (SELECT t.job_id, t.seq FROM " + table("bfm_job_targets") + " t JOIN "
        + table("bfm_jobs")
        + " j ON j.job_id = t.job_id"
          " WHERE t.connection = $1 AND t.status IN ('queued', 'running')"
          " AND ((t.status = 'queued' AND NOT j.cancel_requested AND NOT j.stopped)"
          "  OR (t.status = 'running' AND t.lease_expires_at < now()))"
          " ORDER BY t.job_id, t.seq LIMIT $2 FOR UPDATE OF t SKIP LOCKED),"
          " u AS (UPDATE "
        + table("bfm_job_targets")
        + " t SET status = 'running', claimed_by = $3, claim_token = nextval('"
        + table("bfm_fencing_tokens")
        + "'), lease_expires_at = now() + $4::bigint * interval '1 millisecond',"
          " attempts = t.attempts + 1, started_at = coalesce(t.started_at, now()),"
          " current_migration = NULL FROM c WHERE t.job_id = c.job_id AND t.seq = c.seq"
          " RETURNING t.job_id, t.seq, t.connection, t.schema, t.claim_token, t.attempts),"
          " s AS (UPDATE "
        + table("bfm_jobs")
        + " SET status = 'running', started_at = coalesce(started_at, now()),"
          " updated_at = now() WHERE job_id IN (SELECT job_id FROM u) AND status = 'queued'"
          " RETURNING job_id)"
          " SELECT u.job_id, u.seq, u.connection, u.schema, u.claim_token, u.attempts,"
          " CASE WHEN u.job_id IN (SELECT jsonb_array_elements_text($5::jsonb)) THEN ''"
          " ELSE j.request::text END, j.on_error, j.max_failures FROM u JOIN "
        + table("bfm_jobs") + " j ON j.job_id = u.job_id ORDER BY u.job_id, u.seq";
    auto r = co_await run(sql, pg::params(connection, std::to_string(limit), holder,
                                          ms_interval(lease), json_array(known_jobs)));
    if (!r) co_return r.error();
    std::vector<claimed_target> out;
    out.reserve(static_cast<std::size_t>(r->size()));
    for (int i = 0; i < r->size(); ++i) {
        claimed_target t;
        t.job_id = r->text(i, 0);
        t.seq = r->integer(i, 1);
        t.connection = r->text(i, 2);
        t.schema = r->text(i, 3);
        t.claim_token = r->integer(i, 4);
        t.attempts = r->integer(i, 5);
        t.request_json = r->text(i, 6);
        t.options.on_error =
            r->text(i, 7) == "stop" ? core::on_error_policy::stop : core::on_error_policy::continue_;
        t.options.max_failures = r->integer(i, 8);
        out.push_back(std::move(t));
    }
    co_return out;
}

asio::awaitable<pg::result<std::optional<std::string>>> job_store::request_json(
    const std::string& job_id) {
    auto r = co_await run("SELECT request::text FROM " + table("bfm_jobs") + " WHERE job_id = $1",
                          pg::params(job_id));
    if (!r) co_return r.error();
    if (r->empty()) co_return std::nullopt;
    co_return std::string(r->text(0, 0));
}

asio::awaitable<pg::result<std::optional<core::job_summary>>> job_store::finish_target(
    const claimed_target& target, const target_outcome& o) {
    // The counters are added on the job row's newest version (UPDATE re-reads a row another
    // finisher changed meanwhile), so concurrent finishers of one job never lose a count.
    const std::string sql =
        "WITH t AS (UPDATE " + table("bfm_job_targets")
        + " SET status = $3, error = nullif($4, ''), finished_at = now(), duration_ms = $5,"
          " applied = $6, skipped = $7, failed = $8, migrations = $9::jsonb,"
          " current_migration = NULL, lease_expires_at = NULL"
          " WHERE job_id = $1 AND seq = $2 AND claim_token = $10 AND status = 'running'"
          " RETURNING status)"
          " UPDATE "
        + table("bfm_jobs")
        + " j SET targets_done = j.targets_done + 1,"
          " targets_failed = j.targets_failed + CASE WHEN t.status = 'failed' THEN 1 ELSE 0 END,"
          " migrations_applied = j.migrations_applied + $6,"
          " migrations_skipped = j.migrations_skipped + $7,"
          " migrations_failed = j.migrations_failed + $8, updated_at = now()"
          " FROM t WHERE j.job_id = $1 RETURNING "
        + job_columns("j.");
    auto r = co_await run(
        sql, pg::params(target.job_id, std::to_string(target.seq),
                        std::string(core::to_string(o.status)), o.error,
                        std::to_string(o.duration_ms), std::to_string(o.applied),
                        std::to_string(o.skipped), std::to_string(o.failed),
                        migrations_to_json(o.migrations), std::to_string(target.claim_token)));
    if (!r) co_return r.error();
    std::optional<core::job_summary> out;
    if (!r->empty()) out = job_from_row(*r, 0);
    co_return out;
}

asio::awaitable<pg::status> job_store::requeue(const claimed_target& target) {
    auto r = co_await run("UPDATE " + table("bfm_job_targets")
                              + " SET status = 'queued', claimed_by = NULL, lease_expires_at = NULL,"
                                " current_migration = NULL"
                                " WHERE job_id = $1 AND seq = $2 AND claim_token = $3"
                                " AND status = 'running'",
                          pg::params(target.job_id, std::to_string(target.seq),
                                     std::to_string(target.claim_token)));
    if (!r) co_return r.error();
    co_return pg::status{};
}

asio::awaitable<pg::result<core::job_summary>> job_store::stop_remaining(const std::string& job_id,
                                                                         const std::string& why) {
    auto r = co_await run("WITH c AS (UPDATE " + table("bfm_job_targets")
                              + " SET status = 'cancelled', error = $2, finished_at = now()"
                                " WHERE job_id = $1 AND status = 'queued' RETURNING 1)"
                                " UPDATE "
                              + table("bfm_jobs")
                              + " SET stopped = true, targets_done = targets_done +"
                                " (SELECT count(*) FROM c), updated_at = now()"
                                " WHERE job_id = $1 RETURNING "
                              + job_columns(""),
                          pg::params(job_id, why));
    if (!r) co_return r.error();
    if (r->empty()) co_return pg::make_client_error(pg::errc::protocol_error, "job " + job_id + " vanished");
    co_return job_from_row(*r, 0);
}

asio::awaitable<pg::result<std::optional<core::job_summary>>> job_store::finish_job_if_done(
    const std::string& job_id) {
    // Same rule as finish_status().
    auto r = co_await run(
        "UPDATE " + table("bfm_jobs")
            + " SET status = CASE WHEN cancel_requested THEN 'cancelled'"
              " WHEN targets_failed = 0 AND NOT stopped THEN 'succeeded'"
              " WHEN stopped OR targets_failed >= targets_total THEN 'failed'"
              " ELSE 'partial' END, finished_at = now(), updated_at = now()"
              " WHERE job_id = $1 AND status IN ('queued', 'running')"
              " AND targets_done >= targets_total RETURNING "
            + job_columns(""),
        pg::params(job_id));
    if (!r) co_return r.error();
    std::optional<core::job_summary> out;
    if (!r->empty()) out = job_from_row(*r, 0);
    co_return out;
}

asio::awaitable<pg::result<std::optional<core::job_summary>>> job_store::cancel(
    const std::string& job_id) {
    auto r = co_await run(
        "WITH live AS (SELECT job_id FROM " + table("bfm_jobs")
            + " WHERE job_id = $1 AND status IN ('queued', 'running') FOR UPDATE),"
              " c AS (UPDATE "
            + table("bfm_job_targets")
            + " SET status = 'cancelled', error = 'cancelled before it ran', finished_at = now()"
              " WHERE job_id IN (SELECT job_id FROM live) AND status = 'queued' RETURNING 1)"
              " UPDATE "
            + table("bfm_jobs")
            + " SET cancel_requested = true, targets_done = targets_done +"
              " (SELECT count(*) FROM c), updated_at = now()"
              " WHERE job_id IN (SELECT job_id FROM live) RETURNING "
            + job_columns(""),
        pg::params(job_id));
    if (!r) co_return r.error();
    if (r->empty()) co_return co_await get(job_id);  // finished already, or unknown
    std::optional<core::job_summary> out = job_from_row(*r, 0);
    co_return out;
}

asio::awaitable<pg::result<heartbeat_report>> job_store::heartbeat(
    const std::string& holder, std::chrono::milliseconds lease,
    const std::vector<std::pair<claimed_target, std::string>>& current) {
    heartbeat_report report;
    if (current.empty()) co_return report;
    json::array rows;
    rows.reserve(current.size());
    for (const auto& [t, migration] : current) {
        rows.push_back(json::array{json::string(t.job_id), t.seq, t.claim_token,
                                   json::string(migration)});
    }
    auto r = co_await run(
        "WITH cur AS (SELECT x->>0 AS job_id, (x->>1)::int AS seq, (x->>2)::bigint AS token,"
        " x->>3 AS migration FROM jsonb_array_elements($1::jsonb) AS x),"
        " u AS (UPDATE "
            + table("bfm_job_targets")
            + " t SET lease_expires_at = now() + $2::bigint * interval '1 millisecond',"
              " current_migration = nullif(cur.migration, '')"
              " FROM cur WHERE t.job_id = cur.job_id AND t.seq = cur.seq"
              " AND t.claim_token = cur.token AND t.status = 'running' AND t.claimed_by = $3"
              " RETURNING t.job_id, t.seq)"
              " SELECT u.job_id, u.seq, j.cancel_requested FROM u JOIN "
            + table("bfm_jobs") + " j ON j.job_id = u.job_id",
        pg::params(json::serialize(rows), ms_interval(lease), holder));
    if (!r) co_return r.error();
    for (int i = 0; i < r->size(); ++i) {
        report.kept.emplace(std::string(r->text(i, 0)), r->integer(i, 1));
        if (r->boolean(i, 2)) report.cancel_requested.emplace(r->text(i, 0));
    }
    co_return report;
}

asio::awaitable<pg::result<std::int64_t>> job_store::statements_done(
    const std::string& connection, const std::string& schema, const std::string& migration_id,
    const std::string& checksum) {
    auto r = co_await run("SELECT statements_done FROM " + table("bfm_statement_progress")
                              + " WHERE connection = $1 AND schema = $2 AND migration_id = $3"
                                " AND checksum = $4",
                          pg::params(connection, schema, migration_id, checksum));
    if (!r) co_return r.error();
    co_return r->empty() ? std::int64_t{0} : r->integer(0, 0);
}

asio::awaitable<pg::status> job_store::save_statements_done(
    const std::string& connection, const std::string& schema, const std::string& migration_id,
    const std::string& checksum, std::int64_t done, const std::string& job_id) {
    auto r = co_await run(
        "INSERT INTO " + table("bfm_statement_progress")
            + " (connection, schema, migration_id, checksum, statements_done, job_id)"
              " VALUES ($1, $2, $3, $4, $5, nullif($6, ''))"
              " ON CONFLICT (connection, schema, migration_id) DO UPDATE SET"
              " checksum = EXCLUDED.checksum, statements_done = EXCLUDED.statements_done,"
              " job_id = EXCLUDED.job_id, updated_at = now()",
        pg::params(connection, schema, migration_id, checksum, std::to_string(done), job_id));
    if (!r) co_return r.error();
    co_return pg::status{};
}

asio::awaitable<pg::status> job_store::clear_statements_done(const std::string& connection,
                                                             const std::string& schema,
                                                             const std::string& migration_id) {
    auto r = co_await run("DELETE FROM " + table("bfm_statement_progress")
                              + " WHERE connection = $1 AND schema = $2 AND migration_id = $3",
                          pg::params(connection, schema, migration_id));
    if (!r) co_return r.error();
    co_return pg::status{};
}

}  // namespace bfm::state
