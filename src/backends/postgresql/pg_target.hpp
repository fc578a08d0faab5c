#pragma once
// Runs migrations on one PostgreSQL target (connection + schema) over one pooled session:
// creates the schema, holds the target lock, keeps the ledger and the fence (SPEC 3, 5.2, 5.3).

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/postgresql/pg_pool.hpp"
#include "core/migration.hpp"
#include "core/sql_statements.hpp"

namespace bfm::pg {

struct target_options {
    std::chrono::milliseconds lock_timeout{5000};    // SET LOCAL lock_timeout
    std::chrono::milliseconds statement_timeout{0};  // SET LOCAL statement_timeout (0 = none)
    std::chrono::milliseconds session_wait{std::chrono::minutes(5)};  // wait for a pool session
    bool ledger = true;  // write bfm.ledger rows (SPEC 5.2)
};

// A ledger row: proof, inside the target database, that an attempt committed.
struct ledger_entry {
    std::string attempt_id;
    std::string migration_id;
    std::string checksum;
};

// Progress of a `-- bfm:transaction off` migration, which runs statement by statement and
// cannot roll back: the caller records each finished statement and resumes after them.
struct statement_progress {
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    // In: statements [0, resume_from) already ran in an earlier attempt and are skipped.
    std::size_t resume_from = 0;
    // Called after each statement that succeeds (index is 0-based, of `total` statements).
    std::function<boost::asio::awaitable<void>(std::size_t index, std::size_t total)>
        on_statement_done;
    // Out: index of the statement that failed (or was not started because of cancel()); npos
    // when every statement ran or the failure was elsewhere (fence, index clean-up, ledger row).
    std::size_t failed_at = npos;
};

class target_session {
public:
    // Acquires a session, then (unless read_only) creates the ledger and fence tables when
    // missing (once per pool, i.e. per database and process) and the schema, and takes the target's
    // advisory lock: requests for the same target queue here, requests for other targets do not
    // wait. read_only sessions (dry runs) change nothing.
    static boost::asio::awaitable<result<std::unique_ptr<target_session>>> open(
        pool& pool, std::string schema, target_options options, bool read_only);

    ~target_session();

    // Ledger rows of this schema (empty when the ledger is off or does not exist yet). The
    // first call after open() answers from the rows read with the lock, in the same round trip.
    boost::asio::awaitable<result<std::vector<ledger_entry>>> ledger_entries();

    // Fencing token of the lease this process holds on the target (SPEC 5.3); 0 = no fence.
    // With the ledger on, the session's first migration records the token in bfm.fence,
    // atomically with its ledger row; the later ones check it with a share lock on the fence
    // row (a newer holder's claim waits for their commit). Either is refused (errc::lease_lost,
    // nothing applied) when a newer token is there: a holder that lost its lease cannot write.
    void set_fence(std::int64_t token) {
        fence_token_ = token;
        fence_held_ = false;
    }

    // One migration in one transaction: search_path, lock and statement timeouts (the
    // migration's own `-- bfm:timeout` wins), the ledger (and fence) row, the script and the
    // COMMIT, in one round trip. On failure the transaction is rolled back and the error says where
    // in the script it happened. `-- bfm:transaction off` migrations run in autocommit instead,
    // statement by statement, reporting to `progress` (ignored for transactional migrations).
    boost::asio::awaitable<status> apply(const core::migration& m, std::string_view script,
                                         const std::string& attempt_id,
                                         statement_progress* progress = nullptr);

    // Reverts one migration with its (rendered) down script: in one transaction the script, a
    // ledger row marking the revert (attempt `attempt_id`, checksum revert_marker_for(job_id))
    // and the removal of the migration's other ledger rows, so a crash before the state write
    // is reconciled as rolled back, and a retried down job can tell what it already reverted.
    // A `transaction off` migration's down runs statement by statement in autocommit, the
    // ledger changes after it. Fenced like apply().
    boost::asio::awaitable<status> revert(const core::migration& m, std::string_view script,
                                          const std::string& attempt_id, const std::string& job_id);
    static std::string revert_marker_for(const std::string& job_id) {
        return "rolled_back:" + job_id;
    }
    static bool is_revert_marker(std::string_view checksum) {
        return checksum.substr(0, 12) == "rolled_back:";
    }

    // Asks the server to cancel what this session runs now; safe while apply() is in flight
    // (from another coroutine). A transactional migration in flight then fails with
    // errc::query_canceled (SQLSTATE 57014 when the server stopped it) and is rolled back,
    // ledger row included; a `transaction off` one stops before or at the current statement.
    // Sticky: once cancelled, apply() refuses to start anything (errc::query_canceled), while
    // reads and close() keep working and the connection goes back to the pool clean.
    // The session must outlive the call, and close() must be awaited before destroying it.
    boost::asio::awaitable<status> cancel();
    bool cancelled() const { return cancelled_; }

    // Which of these schemas do not exist in the database (depends-schema checks).
    boost::asio::awaitable<result<std::vector<std::string>>> missing_schemas(
        const std::vector<std::string>& schemas);
    boost::asio::awaitable<result<bool>> table_exists(const std::string& schema,
                                                      const std::string& table);

    // Releases the target lock; the session goes back to the pool.
    boost::asio::awaitable<void> close();

private:
    target_session(pooled_connection conn, std::string schema, target_options options);

    boost::asio::awaitable<status> apply_in_transaction(const core::migration& m,
                                                        std::string_view script,
                                                        const std::string& attempt_id);
    // BEGIN, settings, `ledger_sql` (may be empty), the script, COMMIT: one round trip.
    boost::asio::awaitable<status> run_in_transaction(const core::migration& m,
                                                      std::string_view script,
                                                      const std::string& ledger_sql);
    std::string revert_ledger_sql(const core::migration& m, const std::string& attempt_id,
                                  const std::string& job_id) const;
    boost::asio::awaitable<status> apply_without_transaction(const core::migration& m,
                                                             std::string_view script,
                                                             const std::string& attempt_id,
                                                             statement_progress& progress);
    boost::asio::awaitable<status> claim_fence();
    boost::asio::awaitable<status> drop_invalid_indexes(
        const core::migration& m, const std::vector<core::sql_statement>& statements);
    boost::asio::awaitable<status> run_statements(const core::migration& m,
                                                  const std::vector<core::sql_statement>& all,
                                                  std::size_t first, statement_progress& progress);
    boost::asio::awaitable<status> write_ledger_row(const core::migration& m,
                                                    const std::string& attempt_id);

    // A query of a migration; refused without being sent once cancel() was called.
    boost::asio::awaitable<result<rows>> run_step(std::string_view sql);
    // ROLLBACK / RESET: run even after cancel(), once its request reached the server.
    boost::asio::awaitable<void> clean_up(std::string_view sql);
    boost::asio::awaitable<void> rollback();
    // Waits until no cancel request is on its way: the next query cannot be hit by it, and
    // the connection (whose cancel handle it uses) may be released.
    boost::asio::awaitable<void> settle_cancels();
    std::string fence_sql() const;
    std::string ledger_row_sql(const core::migration& m, const std::string& attempt_id) const {
        return ledger_row_sql(m, attempt_id, m.checksum);
    }
    std::string ledger_row_sql(const core::migration& m, const std::string& attempt_id,
                               const std::string& checksum) const;
    error lease_lost_error(bool applied) const;

    pooled_connection conn_;
    std::string schema_;
    target_options options_;
    std::int64_t fence_token_ = 0;
    bool fence_held_ = false;  // a committed write of this session put fence_token_ in bfm.fence
    bool locked_ = false;
    std::optional<std::vector<ledger_entry>> ledger_read_at_open_;
    std::atomic<bool> cancelled_{false};
    std::atomic<int> cancels_in_flight_{0};
};

// "line N" of the script for a 1-based character position reported by the server.
int line_of_position(std::string_view script, int position);

}  // namespace bfm::pg
