#pragma once
// Runs migrations on one PostgreSQL target (connection + schema) over one pooled session:
// creates the schema, holds the target lock, keeps the ledger (SPEC 3, 5.2).

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "backends/postgresql/pg_pool.hpp"
#include "core/migration.hpp"

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

class target_session {
public:
    // Acquires a session, then (unless read_only) creates the ledger table when missing and the
    // schema, and takes the target's advisory lock: requests for the same target queue here,
    // requests for other targets do not wait. read_only sessions (dry runs) change nothing.
    static boost::asio::awaitable<result<std::unique_ptr<target_session>>> open(
        pool& pool, std::string schema, target_options options, bool read_only);

    ~target_session();

    // Ledger rows of this schema (empty when the ledger is off or does not exist yet).
    boost::asio::awaitable<result<std::vector<ledger_entry>>> ledger_entries();

    // One migration in one transaction: search_path, lock and statement timeouts (the
    // migration's own `-- bfm:timeout` wins), the ledger row and the script. On failure the
    // transaction is rolled back and the error says where in the script it happened.
    // `-- bfm:transaction off` migrations run in autocommit instead.
    boost::asio::awaitable<status> apply(const core::migration& m, std::string_view script,
                                         const std::string& attempt_id);

    // Which of these schemas do not exist in the database (depends-schema checks).
    boost::asio::awaitable<result<std::vector<std::string>>> missing_schemas(
        const std::vector<std::string>& schemas);
    boost::asio::awaitable<result<bool>> table_exists(const std::string& schema,
                                                      const std::string& table);

    // Releases the target lock; the session goes back to the pool.
    boost::asio::awaitable<void> close();

private:
    boost::asio::awaitable<status> apply_without_transaction(const core::migration& m,
                                                             std::string_view script,
                                                             const std::string& attempt_id);
    target_session(pooled_connection conn, std::string schema, target_options options);

    pooled_connection conn_;
    std::string schema_;
    target_options options_;
    bool locked_ = false;
};

// "line N" of the script for a 1-based character position reported by the server.
int line_of_position(std::string_view script, int position);

}  // namespace bfm::pg
