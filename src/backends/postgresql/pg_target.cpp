#include "backends/postgresql/pg_target.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>

#include "backends/postgresql/pg_quote.hpp"
#include "core/concurrent_index.hpp"
#include "core/sql_statements.hpp"

namespace bfm::pg {
namespace asio = boost::asio;

namespace {

// The target lock key: (namespace, schema) as two int4 so it cannot collide with the
// one-bigint advisory locks applications commonly use.
constexpr const char* unlock_sql =
    "SELECT pg_advisory_unlock(hashtext('bfm.target'), hashtext($1))";

// Serialised by a transaction-level lock: concurrent CREATE ... IF NOT EXISTS of the same
// object can otherwise fail with a unique violation on the catalog.
constexpr const char* ledger_ddl =
    "BEGIN; SELECT pg_advisory_xact_lock(hashtext('bfm.ledger'));"
    " CREATE SCHEMA IF NOT EXISTS bfm;"
    " CREATE TABLE IF NOT EXISTS bfm.ledger ("
    "  attempt_id uuid PRIMARY KEY, migration_id text NOT NULL, schema text NOT NULL,"
    "  checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());"
    " CREATE INDEX IF NOT EXISTS ledger_schema_idx ON bfm.ledger (schema, migration_id);"
    " CREATE TABLE IF NOT EXISTS bfm.fence (schema text PRIMARY KEY, token bigint NOT NULL);"
    " COMMIT";

std::string millis(std::chrono::milliseconds d) {
    return std::to_string(d.count()) + "ms";
}

// search_path, lock_timeout and statement_timeout (the migration's own `-- bfm:timeout` wins),
// each after "SET " / "SET LOCAL " as `separator` says.
std::string settings_sql(const core::migration& m, const target_options& options,
                         const std::string& schema, const std::string& separator) {
    const auto statement_timeout = m.timeout.count() > 0 ? m.timeout : options.statement_timeout;
    std::string out = "search_path TO " + quote_ident(schema) + ", public" + separator
                      + "lock_timeout = " + quote_literal(millis(options.lock_timeout));
    if (statement_timeout.count() > 0) {
        out += separator + "statement_timeout = " + quote_literal(millis(statement_timeout));
    }
    return out;
}

// A literal for values inlined into our own SQL (ids, checksums, schema names): an E'' string
// when there is a backslash, so the meaning does not depend on standard_conforming_strings.
std::string sql_literal(std::string_view text) {
    if (text.find('\\') == std::string_view::npos) return quote_literal(text);
    std::string escaped;
    for (char c : text) {
        if (c == '\\') escaped.push_back(c);
        escaped.push_back(c);
    }
    return "E" + quote_literal(escaped);
}

constexpr const char* ledger_columns =
    "SELECT attempt_id::text, migration_id, checksum FROM bfm.ledger";
constexpr const char* ledger_order = " ORDER BY applied_at, attempt_id";

std::vector<ledger_entry> ledger_rows(const rows& r) {
    std::vector<ledger_entry> out;
    for (int i = 0; i < r.size(); ++i) {
        ledger_entry entry;
        entry.attempt_id = r.text(i, 0);
        entry.migration_id = r.text(i, 1);
        entry.checksum = r.text(i, 2);
        out.push_back(std::move(entry));
    }
    return out;
}

// The server's error positions count characters, not bytes.
int characters(std::string_view text) {
    return static_cast<int>(
        std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// The NOT NULL refusal of a ledger row whose fence was not taken (see ledger_row_sql).
bool is_fence_refusal(const error& e) {
    return e.diag.sqlstate == "23502" && e.diag.schema_name == "bfm"
           && e.diag.table_name == "ledger" && e.diag.column_name == "checksum";
}

// A cancelled transactional migration says that nothing of it stayed.
error rolled_back(error err, const core::migration& m) {
    if (err.is(errc::query_canceled)) {
        err.diag.message += " (rolled back: nothing of " + m.id + " was applied)";
    }
    return err;
}

// Points a script error at its line and file.
error locate(error err, std::string_view script, const core::migration& m) {
    if (const int line = line_of_position(script, err.diag.position); line > 0) {
        err.diag.message += " (at line " + std::to_string(line) + " of " + m.up_path + ")";
    }
    return err;
}

}  // namespace

int line_of_position(std::string_view script, int position) {
    if (position <= 0) return 0;
    int line = 1;
    int chars = 0;
    for (unsigned char c : script) {
        if ((c & 0xC0) != 0x80) {  // count characters, not UTF-8 continuation bytes
            if (++chars >= position) break;
        }
        if (c == '\n') ++line;
    }
    return line;
}

target_session::target_session(pooled_connection conn, std::string schema, target_options options)
    : conn_(std::move(conn)), schema_(std::move(schema)), options_(options) {}

target_session::~target_session() {
    // A session still holding the lock must not go back to the pool: close it, which releases
    // the lock server-side. Normal paths call close() first.
    if (locked_ && conn_) conn_->close();
}

asio::awaitable<result<std::unique_ptr<target_session>>> target_session::open(
    pool& pool, std::string schema, target_options options, bool read_only) {
    auto conn = co_await pool.acquire(options.session_wait);
    if (!conn) co_return conn.error();
    std::unique_ptr<target_session> session(
        new target_session(std::move(conn.value()), std::move(schema), options));
    if (read_only) co_return session;

    auto& c = *session->conn_;
    // Once per database and process: a ledger dropped by hand later is not recreated until
    // bfm restarts (migrations then fail on the missing table, they do not skip the ledger).
    if (options.ledger && !pool.ledger_ready()) {
        if (auto r = co_await c.query(ledger_ddl); !r) {
            co_await c.query("ROLLBACK");
            co_return r.error();
        }
        pool.set_ledger_ready();
    }
    // One round trip: the target's advisory lock (requests for the same target queue here),
    // its schema, and its ledger rows read under the lock. Until close() unlocks, a failure
    // closes the connection rather than pooling it (the lock may be held).
    session->locked_ = true;
    std::string sql = "SELECT pg_advisory_lock(hashtext('bfm.target'), hashtext("
                      + sql_literal(session->schema_) + ")); CREATE SCHEMA IF NOT EXISTS "
                      + quote_ident(session->schema_);
    if (options.ledger) {
        sql += std::string("; ") + ledger_columns
               + " WHERE schema = " + sql_literal(session->schema_) + ledger_order;
    }
    auto r = co_await c.query(sql);
    if (!r) co_return r.error();
    if (options.ledger) session->ledger_read_at_open_ = ledger_rows(*r);
    co_return session;
}

asio::awaitable<result<std::vector<ledger_entry>>> target_session::ledger_entries() {
    if (ledger_read_at_open_) {
        auto rows_read = std::move(*ledger_read_at_open_);
        ledger_read_at_open_.reset();
        co_return rows_read;
    }
    if (!options_.ledger) co_return std::vector<ledger_entry>();
    auto r = co_await conn_->query(
        std::string(ledger_columns) + " WHERE schema = $1" + ledger_order, params(schema_));
    if (!r) {
        if (r.error().is(errc::undefined_table) || r.error().is(errc::invalid_schema_name)) {
            co_return std::vector<ledger_entry>();  // no ledger yet (dry run before any apply)
        }
        co_return r.error();
    }
    co_return ledger_rows(*r);
}

asio::awaitable<status> target_session::apply(const core::migration& m, std::string_view script,
                                              const std::string& attempt_id,
                                              statement_progress* progress) {
    if (m.transactional) co_return co_await apply_in_transaction(m, script, attempt_id);
    statement_progress none;
    statement_progress& p = progress ? *progress : none;
    co_return co_await apply_without_transaction(m, script, attempt_id, p);
}

// One round trip: BEGIN, settings, the ledger (and fence) row, the script, COMMIT. The server
// stops at the first error, so the COMMIT only runs when everything before it succeeded, and a
// stale fence stops it before the script. Error positions count from the start of the whole
// text: they are moved back into the script.
asio::awaitable<status> target_session::apply_in_transaction(const core::migration& m,
                                                             std::string_view script,
                                                             const std::string& attempt_id) {
    // A named local: GCC 12 destroys a ?: temporary inside a co_await expression twice.
    const std::string ledger = options_.ledger ? ledger_row_sql(m, attempt_id) : std::string();
    co_return co_await run_in_transaction(m, script, ledger);
}

asio::awaitable<status> target_session::run_in_transaction(const core::migration& m,
                                                           std::string_view script,
                                                           const std::string& ledger_sql) {
    std::string sql = "BEGIN; SET LOCAL " + settings_sql(m, options_, schema_, "; SET LOCAL ");
    if (!ledger_sql.empty()) sql += "; " + ledger_sql;
    sql += ";\n";  // the script starts on a line of its own
    const int prefix = characters(sql);
    sql.reserve(sql.size() + script.size() + 9);
    sql.append(script).append("\n;COMMIT");  // the newline ends a trailing `--` comment
    auto ran = co_await run_step(sql);
    if (!ran) {
        error err = ran.error();
        co_await rollback();
        if (is_fence_refusal(err)) co_return lease_lost_error(false);
        err.diag.position = err.diag.position > prefix ? err.diag.position - prefix : 0;
        co_return rolled_back(locate(std::move(err), script, m), m);
    }
    if (conn_->in_transaction()) {  // the script swallowed our COMMIT (it ended in a string...)
        auto committed = co_await run_step("COMMIT");
        if (!committed) {
            co_await rollback();
            co_return rolled_back(committed.error(), m);
        }
    }
    if (!ledger_sql.empty() && fence_token_ > 0) fence_held_ = true;
    co_return status{};
}

asio::awaitable<status> target_session::revert(const core::migration& m, std::string_view script,
                                               const std::string& attempt_id,
                                               const std::string& job_id) {
    const std::string ledger =
        options_.ledger ? revert_ledger_sql(m, attempt_id, job_id) : std::string();
    if (m.transactional) co_return co_await run_in_transaction(m, script, ledger);
    const std::string set = "SET " + settings_sql(m, options_, schema_, "; SET ");
    if (auto r = co_await run_step(set); !r) co_return r.error();
    status outcome = co_await claim_fence();
    if (outcome) {
        statement_progress none;
        outcome = co_await run_statements(m, core::split_sql_statements(script), 0, none);
    }
    if (outcome && !ledger.empty()) {
        auto r = co_await run_step("BEGIN; " + ledger + "; COMMIT");
        if (!r) {
            co_await rollback();
            outcome =
                is_fence_refusal(r.error()) ? status(lease_lost_error(true)) : status(r.error());
        }
    }
    co_await clean_up("RESET search_path; RESET lock_timeout; RESET statement_timeout");
    co_return outcome;
}

// `-- bfm:transaction off`: the script runs in autocommit, one statement at a time (several
// statements in one simple query would form an implicit transaction, which CREATE INDEX
// CONCURRENTLY refuses). The session settings are set for it and reset after; the fence is
// claimed before anything runs, and the ledger row (with the fence checked again) is written
// once every statement has succeeded.
asio::awaitable<status> target_session::apply_without_transaction(const core::migration& m,
                                                                  std::string_view script,
                                                                  const std::string& attempt_id,
                                                                  statement_progress& progress) {
    progress.failed_at = statement_progress::npos;
    const auto statements = core::split_sql_statements(script);
    const std::size_t first = std::min(progress.resume_from, statements.size());
    if (first > 0) {
        spdlog::warn("{} on {}: resuming at statement {} of {} (the earlier ones ran before)", m.id,
                     schema_, first + 1, statements.size());
    }
    const std::string set = "SET " + settings_sql(m, options_, schema_, "; SET ");
    if (auto r = co_await run_step(set); !r) co_return r.error();
    status outcome = co_await claim_fence();
    if (outcome) {
        const std::vector<core::sql_statement> pending(
            statements.begin() + static_cast<std::ptrdiff_t>(first), statements.end());
        outcome = co_await drop_invalid_indexes(m, pending);
    }
    if (outcome) outcome = co_await run_statements(m, statements, first, progress);
    if (outcome) outcome = co_await write_ledger_row(m, attempt_id);
    co_await clean_up("RESET search_path; RESET lock_timeout; RESET statement_timeout");
    co_return outcome;
}

// A stale holder must not start: the fence takes our token unless a newer one is there.
asio::awaitable<status> target_session::claim_fence() {
    if (!options_.ledger || fence_token_ <= 0) co_return status{};
    const std::string claim = fence_sql();
    auto r = co_await run_step(claim);
    if (!r) co_return r.error();
    if (r->affected() != 1) co_return lease_lost_error(false);
    fence_held_ = true;
    co_return status{};
}

// A concurrent index build that failed before left an INVALID index of the same name: the
// build would now fail with "already exists" (or, with IF NOT EXISTS, keep the broken one).
asio::awaitable<status> target_session::drop_invalid_indexes(
    const core::migration& m, const std::vector<core::sql_statement>& statements) {
    for (const auto& name : core::concurrent_index_names(statements)) {
        auto invalid = co_await conn_->query(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE NOT i.indisvalid AND n.nspname = $1 AND c.relname = $2",
            params(schema_, name));
        if (!invalid) co_return invalid.error();
        if (invalid->empty()) continue;
        spdlog::warn("{}: dropping INVALID index {}.{} left by an earlier failed concurrent build",
                     m.id, schema_, name);
        const std::string drop =
            "DROP INDEX CONCURRENTLY IF EXISTS " + quote_ident(schema_) + "." + quote_ident(name);
        if (auto dropped = co_await run_step(drop); !dropped) co_return dropped.error();
    }
    co_return status{};
}

asio::awaitable<status> target_session::run_statements(const core::migration& m,
                                                       const std::vector<core::sql_statement>& all,
                                                       std::size_t first,
                                                       statement_progress& progress) {
    for (std::size_t i = first; i < all.size(); ++i) {
        auto ran = co_await run_step(all[i].text);
        if (!ran) {
            progress.failed_at = i;
            error err = ran.error();
            const int line = all[i].first_line - 1
                             + std::max(1, line_of_position(all[i].text, err.diag.position));
            err.diag.message += " (statement " + std::to_string(i + 1) + " of "
                                + std::to_string(all.size()) + ", at line " + std::to_string(line)
                                + " of " + m.up_path + "; earlier statements stay applied)";
            co_return err;
        }
        if (progress.on_statement_done) {
            auto done = progress.on_statement_done(i, all.size());
            co_await std::move(done);
        }
    }
    co_return status{};
}

asio::awaitable<status> target_session::write_ledger_row(const core::migration& m,
                                                         const std::string& attempt_id) {
    if (!options_.ledger) co_return status{};
    const std::string row = ledger_row_sql(m, attempt_id);
    auto r = co_await run_step(row);
    if (!r && is_fence_refusal(r.error())) co_return lease_lost_error(true);
    if (!r) co_return r.error();
    co_return status{};
}

asio::awaitable<result<rows>> target_session::run_step(std::string_view sql) {
    if (cancelled_) {
        co_return make_client_error(errc::query_canceled,
                                    "canceled by request before the statement was sent");
    }
    auto r = co_await conn_->query(sql);
    co_await settle_cancels();
    co_return r;
}

asio::awaitable<void> target_session::clean_up(std::string_view sql) {
    co_await settle_cancels();
    co_await conn_->query(sql);
}

asio::awaitable<void> target_session::rollback() {
    // Twice at most: a cancel() arriving during the ROLLBACK itself can fail it, and a session
    // left in a transaction is closed by the pool instead of being reused.
    for (int i = 0; i < 2 && conn_->is_open() && conn_->in_transaction(); ++i) {
        co_await clean_up("ROLLBACK");
    }
}

asio::awaitable<void> target_session::settle_cancels() {
    while (cancels_in_flight_ > 0) {
        const auto ex = co_await asio::this_coro::executor;
        asio::steady_timer pause(ex, std::chrono::milliseconds(2));
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

asio::awaitable<status> target_session::cancel() {
    cancelled_ = true;
    if (!conn_ || !conn_->is_open()) co_return status{};
    ++cancels_in_flight_;
    auto sent = co_await conn_->cancel();
    --cancels_in_flight_;
    co_return sent;
}

std::string target_session::fence_sql() const {
    return "INSERT INTO bfm.fence AS f (schema, token) VALUES (" + sql_literal(schema_) + ", "
           + std::to_string(fence_token_)
           + ") ON CONFLICT (schema) DO UPDATE SET token = EXCLUDED.token"
             " WHERE f.token <= EXCLUDED.token";
}

// The ledger row; with a fence, the fence claim (the session's first write) or check (later
// ones) in the same statement. When a newer token holds the fence, the claim's CTE or the
// check returns no row, the checksum becomes NULL and the NOT NULL constraint refuses the row
// (is_fence_refusal): an error, so nothing after it in the same query runs. The check's FOR
// SHARE makes a newer holder's claim wait until this transaction ends, so that holder's ledger
// read sees this row. A check instead of a claim per migration: the upsert made every
// migration write a new fence row version (bench/fanout/overhead.sh compares the two).
std::string target_session::ledger_row_sql(const core::migration& m, const std::string& attempt_id,
                                           const std::string& checksum) const {
    const std::string ids = sql_literal(attempt_id) + "::uuid, " + sql_literal(m.id) + ", "
                            + sql_literal(schema_) + ", ";
    const std::string insert =
        "INSERT INTO bfm.ledger (attempt_id, migration_id, schema, checksum) VALUES (" + ids;
    if (fence_token_ <= 0) return insert + sql_literal(checksum) + ")";
    if (fence_held_) {
        return insert + "(SELECT " + sql_literal(checksum)
               + " FROM bfm.fence WHERE schema = " + sql_literal(schema_)
               + " AND token = " + std::to_string(fence_token_) + " FOR SHARE))";
    }
    return "WITH f AS (" + fence_sql() + " RETURNING 1) " + insert + "(SELECT "
           + sql_literal(checksum) + " FROM f))";
}

// The revert's own row first (fenced), then the rows that said the migration is applied.
std::string target_session::revert_ledger_sql(const core::migration& m,
                                              const std::string& attempt_id,
                                              const std::string& job_id) const {
    return ledger_row_sql(m, attempt_id, revert_marker_for(job_id))
           + "; DELETE FROM bfm.ledger WHERE schema = " + sql_literal(schema_)
           + " AND migration_id = " + sql_literal(m.id)
           + " AND left(checksum, 12) <> 'rolled_back:'";
}

error target_session::lease_lost_error(bool applied) const {
    return make_client_error(errc::lease_lost,
                             "lease lost: a newer holder (fencing token > "
                                 + std::to_string(fence_token_) + ") owns target " + schema_
                                 + (applied ? "; its statements ran but no ledger row was written"
                                            : "; nothing was applied"));
}

asio::awaitable<result<std::vector<std::string>>> target_session::missing_schemas(
    const std::vector<std::string>& schemas) {
    std::vector<std::string> missing;
    for (const auto& s : schemas) {
        auto r = co_await conn_->query("SELECT 1 FROM pg_namespace WHERE nspname = $1", params(s));
        if (!r) co_return r.error();
        if (r->empty()) missing.push_back(s);
    }
    co_return missing;
}

asio::awaitable<result<bool>> target_session::table_exists(const std::string& schema,
                                                           const std::string& table) {
    auto r = co_await conn_->query(
        "SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2", params(schema, table));
    if (!r) co_return r.error();
    co_return !r->empty();
}

asio::awaitable<void> target_session::close() {
    co_await settle_cancels();
    if (locked_ && conn_ && conn_->is_open()) {
        auto r = co_await conn_->query(unlock_sql, params(schema_));
        if (r) locked_ = false;
        co_await settle_cancels();  // a cancel() that hit the unlock must end before close()
    }
    if (locked_ && conn_) conn_->close();
    locked_ = false;
    conn_ = pooled_connection();
}

}  // namespace bfm::pg
