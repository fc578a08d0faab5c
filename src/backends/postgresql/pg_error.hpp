#pragma once
// Error codes for the PostgreSQL driver: client-side failures (connect timeout, lost
// connection...) and server errors mapped from their SQLSTATE. The server's own words travel
// beside the code in `diagnostics`.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <string>
#include <string_view>

namespace bfm::pg {

enum class errc {
    ok = 0,
    // client side
    connect_failed = 1,
    connect_timeout,
    connection_lost,
    query_timeout,
    send_failed,
    protocol_error,
    unsupported_result,  // e.g. COPY in a migration script
    pool_exhausted,
    lease_lost,  // a newer fencing token owns the target (SPEC 5.3)
    // server side, mapped from SQLSTATE (specific codes first, then classes)
    query_canceled = 100,    // 57014
    lock_not_available,      // 55P03
    serialization_failure,   // 40001
    deadlock_detected,       // 40P01
    admin_shutdown,          // 57P01..57P03
    syntax_error,            // 42601
    undefined_table,         // 42P01
    undefined_object,        // 42704, 42883, 42703
    duplicate_object,        // 42P07, 42710, 42P06, 42723
    insufficient_privilege,  // 42501
    invalid_schema_name,     // 3F000
    active_sql_transaction,  // 25001: e.g. CREATE INDEX CONCURRENTLY in a transaction
    integrity_violation,     // class 23
    connection_exception,    // class 08
    insufficient_resources,  // class 53
    syntax_or_access_rule,   // class 42 (others)
    transaction_rollback,    // class 40 (others)
    operator_intervention,   // class 57 (others)
    server_error,            // any other SQLSTATE
};

const boost::system::error_category& pg_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), pg_category()};
}

// Maps a five-character SQLSTATE to the closest code above.
errc errc_from_sqlstate(std::string_view sqlstate) noexcept;

// Whatever the server (or libpq) said about a failure.
struct diagnostics {
    std::string sqlstate;  // "42P01"; empty for client-side errors
    std::string severity;  // "ERROR", "FATAL"
    std::string message;   // primary message
    std::string detail;
    std::string hint;
    std::string context;
    std::string schema_name;  // of the object a constraint error is about
    std::string table_name;
    std::string column_name;
    int position = 0;  // 1-based character position in the statement, 0 if unknown
};

struct error {
    boost::system::error_code code;
    diagnostics diag;

    // "ERROR 42P01: relation "x" does not exist" or the client-side reason.
    std::string to_string() const;
    bool is(errc e) const { return code == make_error_code(e); }
};

error make_client_error(errc e, std::string message);

template <class T>
using result = boost::system::result<T, error>;
using status = boost::system::result<void, error>;

// Lets result<T, pg::error>::value() throw a system_error carrying the message.
[[noreturn]] void throw_exception_from_error(const error& e, const boost::source_location& loc);

}  // namespace bfm::pg

template <>
struct boost::system::is_error_code_enum<bfm::pg::errc> : std::true_type {};
