#include "backends/postgresql/pg_error.hpp"

#include <boost/throw_exception.hpp>

namespace bfm::pg {
namespace {

class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "postgresql"; }
    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
            case errc::ok:
                return "success";
            case errc::connect_failed:
                return "could not connect to the server";
            case errc::connect_timeout:
                return "timed out connecting to the server";
            case errc::connection_lost:
                return "connection to the server was lost";
            case errc::query_timeout:
                return "query timed out";
            case errc::send_failed:
                return "could not send the query";
            case errc::protocol_error:
                return "unexpected protocol state";
            case errc::unsupported_result:
                return "unsupported result (COPY is not supported)";
            case errc::pool_exhausted:
                return "timed out waiting for a free connection";
            case errc::lease_lost:
                return "lease lost to a newer holder of the target";
            case errc::query_canceled:
                return "query canceled";
            case errc::lock_not_available:
                return "lock not available";
            case errc::serialization_failure:
                return "serialization failure";
            case errc::deadlock_detected:
                return "deadlock detected";
            case errc::admin_shutdown:
                return "server is shutting down";
            case errc::syntax_error:
                return "syntax error";
            case errc::undefined_table:
                return "undefined table";
            case errc::undefined_object:
                return "undefined object";
            case errc::duplicate_object:
                return "object already exists";
            case errc::insufficient_privilege:
                return "insufficient privilege";
            case errc::invalid_schema_name:
                return "invalid schema name";
            case errc::active_sql_transaction:
                return "cannot run inside a transaction block";
            case errc::integrity_violation:
                return "integrity constraint violation";
            case errc::connection_exception:
                return "connection exception";
            case errc::insufficient_resources:
                return "insufficient resources";
            case errc::syntax_or_access_rule:
                return "syntax error or access rule violation";
            case errc::transaction_rollback:
                return "transaction rollback";
            case errc::operator_intervention:
                return "operator intervention";
            case errc::server_error:
                return "server error";
        }
        return "unknown postgresql error";
    }
};

}  // namespace

const boost::system::error_category& pg_category() noexcept {
    static const category instance;
    return instance;
}

errc errc_from_sqlstate(std::string_view s) noexcept {
    if (s.size() != 5) return errc::server_error;
    if (s == "57014") return errc::query_canceled;
    if (s == "55P03") return errc::lock_not_available;
    if (s == "40001") return errc::serialization_failure;
    if (s == "40P01") return errc::deadlock_detected;
    if (s == "57P01" || s == "57P02" || s == "57P03") return errc::admin_shutdown;
    if (s == "42601") return errc::syntax_error;
    if (s == "42P01") return errc::undefined_table;
    if (s == "42704" || s == "42883" || s == "42703") return errc::undefined_object;
    if (s == "42P07" || s == "42710" || s == "42P06" || s == "42723") return errc::duplicate_object;
    if (s == "42501") return errc::insufficient_privilege;
    if (s == "3F000") return errc::invalid_schema_name;
    if (s == "25001") return errc::active_sql_transaction;
    const std::string_view cls = s.substr(0, 2);
    if (cls == "23") return errc::integrity_violation;
    if (cls == "08") return errc::connection_exception;
    if (cls == "53") return errc::insufficient_resources;
    if (cls == "42") return errc::syntax_or_access_rule;
    if (cls == "40") return errc::transaction_rollback;
    if (cls == "57") return errc::operator_intervention;
    return errc::server_error;
}

std::string error::to_string() const {
    std::string out;
    if (!diag.sqlstate.empty()) {
        out = (diag.severity.empty() ? std::string("ERROR") : diag.severity) + " " + diag.sqlstate
              + ": " + diag.message;
    } else {
        out = diag.message.empty() ? code.message() : diag.message;
    }
    if (!diag.detail.empty()) out += " (detail: " + diag.detail + ")";
    if (!diag.hint.empty()) out += " (hint: " + diag.hint + ")";
    return out;
}

error make_client_error(errc e, std::string message) {
    error err{make_error_code(e), {}};
    err.diag.message = message.empty() ? err.code.message() : std::move(message);
    return err;
}

void throw_exception_from_error(const error& e, const boost::source_location& loc) {
    boost::throw_exception(boost::system::system_error(e.code, e.to_string()), loc);
}

}  // namespace bfm::pg
