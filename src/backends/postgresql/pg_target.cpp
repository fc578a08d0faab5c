#include "backends/postgresql/pg_target.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "backends/postgresql/pg_quote.hpp"
#include "core/concurrent_index.hpp"
#include "core/sql_statements.hpp"

namespace bfm::pg {
namespace asio = boost::asio;

namespace {

// The target lock key: (namespace, schema) as two int4 so it cannot collide with the
// one-bigint advisory locks applications commonly use.
constexpr const char* lock_sql = "SELECT pg_advisory_lock(hashtext('bfm.target'), hashtext($1))";
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
    " COMMIT";

std::string millis(std::chrono::milliseconds d) {
    return std::to_string(d.count()) + "ms";
}

constexpr const char* ledger_insert_sql =
    "INSERT INTO bfm.ledger (attempt_id, migration_id, schema, checksum) VALUES ($1, $2, $3, $4)";

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
    if (options.ledger) {
        if (auto r = co_await c.query(ledger_ddl); !r) {
            co_await c.query("ROLLBACK");
            co_return r.error();
        }
    }
    if (auto r = co_await c.query(lock_sql, params(session->schema_)); !r) co_return r.error();
    session->locked_ = true;
    if (auto r = co_await c.query("CREATE SCHEMA IF NOT EXISTS " + quote_ident(session->schema_));
        !r) {
        co_return r.error();
    }
    co_return session;
}

asio::awaitable<result<std::vector<ledger_entry>>> target_session::ledger_entries() {
    std::vector<ledger_entry> out;
    if (!options_.ledger) co_return out;
    auto r = co_await conn_->query(
        "SELECT attempt_id::text, migration_id, checksum FROM bfm.ledger WHERE schema = $1",
        params(schema_));
    if (!r) {
        if (r.error().is(errc::undefined_table) || r.error().is(errc::invalid_schema_name)) {
            co_return out;  // no ledger yet in this database (dry run before any apply)
        }
        co_return r.error();
    }
    for (int i = 0; i < r->size(); ++i) {
        ledger_entry entry;
        entry.attempt_id = r->text(i, 0);
        entry.migration_id = r->text(i, 1);
        entry.checksum = r->text(i, 2);
        out.push_back(std::move(entry));
    }
    co_return out;
}

asio::awaitable<status> target_session::apply(const core::migration& m, std::string_view script,
                                              const std::string& attempt_id) {
    if (!m.transactional) co_return co_await apply_without_transaction(m, script, attempt_id);
    const auto statement_timeout = m.timeout.count() > 0 ? m.timeout : options_.statement_timeout;
    std::string settings =
        "search_path TO " + quote_ident(schema_)
        + ", public; SET LOCAL lock_timeout = " + quote_literal(millis(options_.lock_timeout));
    if (statement_timeout.count() > 0) {
        settings += "; SET LOCAL statement_timeout = " + quote_literal(millis(statement_timeout));
    }
    auto& c = *conn_;
    if (auto r = co_await c.query("BEGIN; SET LOCAL " + settings); !r) {
        co_await c.query("ROLLBACK");
        co_return r.error();
    }
    if (options_.ledger) {
        auto r = co_await c.query(ledger_insert_sql, params(attempt_id, m.id, schema_, m.checksum));
        if (!r) {
            co_await c.query("ROLLBACK");
            co_return r.error();
        }
    }
    if (auto r = co_await c.query(script); !r) {
        auto err = locate(r.error(), script, m);
        co_await c.query("ROLLBACK");
        co_return err;
    }
    if (auto r = co_await c.query("COMMIT"); !r) {
        co_await c.query("ROLLBACK");
        co_return r.error();
    }
    co_return status{};
}

// `-- bfm:transaction off`: the script runs in autocommit, one statement at a time (several
// statements in one simple query would form an implicit transaction, which CREATE INDEX
// CONCURRENTLY refuses). The session settings are set for it and reset after; the ledger row is
// written once every statement has succeeded. Progress records and resume at the failed
// statement belong to the job engine.
asio::awaitable<status> target_session::apply_without_transaction(const core::migration& m,
                                                                  std::string_view script,
                                                                  const std::string& attempt_id) {
    auto& c = *conn_;
    const auto statement_timeout = m.timeout.count() > 0 ? m.timeout : options_.statement_timeout;
    std::string set = "SET search_path TO " + quote_ident(schema_) + ", public; SET lock_timeout = "
                      + quote_literal(millis(options_.lock_timeout));
    if (statement_timeout.count() > 0) {
        set += "; SET statement_timeout = " + quote_literal(millis(statement_timeout));
    }
    if (auto r = co_await c.query(set); !r) co_return r.error();
    std::optional<error> failure;
    const auto statements = core::split_sql_statements(script);
    // A concurrent index build that failed before left an INVALID index of the same name: the
    // build would now fail with "already exists" (or, with IF NOT EXISTS, keep the broken one).
    for (const auto& name : core::concurrent_index_names(statements)) {
        auto invalid = co_await c.query(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE NOT i.indisvalid AND n.nspname = $1 AND c.relname = $2",
            params(schema_, name));
        if (invalid && invalid->empty()) continue;
        if (invalid) {
            spdlog::warn(
                "{}: dropping INVALID index {}.{} left by an earlier failed concurrent "
                "build",
                m.id, schema_, name);
            invalid = co_await c.query("DROP INDEX CONCURRENTLY IF EXISTS " + quote_ident(schema_)
                                       + "." + quote_ident(name));
        }
        if (!invalid) {
            failure = invalid.error();
            break;
        }
    }
    for (std::size_t i = 0; i < statements.size() && !failure; ++i) {
        const auto& statement = statements[i];
        auto ran = co_await c.query(statement.text);
        if (ran) continue;
        error err = ran.error();
        const int line = statement.first_line - 1
                         + std::max(1, line_of_position(statement.text, err.diag.position));
        err.diag.message += " (statement " + std::to_string(i + 1) + " of "
                            + std::to_string(statements.size()) + ", at line "
                            + std::to_string(line) + " of " + m.up_path
                            + "; earlier statements stay applied)";
        failure = std::move(err);
    }
    if (!failure && options_.ledger) {
        auto r = co_await c.query(ledger_insert_sql, params(attempt_id, m.id, schema_, m.checksum));
        if (!r) failure = r.error();
    }
    co_await c.query("RESET search_path; RESET lock_timeout; RESET statement_timeout");
    if (failure) co_return *failure;
    co_return status{};
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
    if (locked_ && conn_ && conn_->is_open()) {
        auto r = co_await conn_->query(unlock_sql, params(schema_));
        if (r) locked_ = false;
    }
    if (locked_ && conn_) conn_->close();
    locked_ = false;
    conn_ = pooled_connection();
}

}  // namespace bfm::pg
