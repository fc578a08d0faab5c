// Status mapping, logging and counting shared by every RPC handler.
#include <spdlog/spdlog.h>

#include "net/grpc/rpc_env.hpp"
#include "net/grpc/rpc_metrics.hpp"

namespace bfm::net::grpc_bridge {

namespace {

std::string_view code_name(grpc::StatusCode code) {
    switch (code) {
        case grpc::StatusCode::OK:
            return "OK";
        case grpc::StatusCode::CANCELLED:
            return "CANCELLED";
        case grpc::StatusCode::UNKNOWN:
            return "UNKNOWN";
        case grpc::StatusCode::INVALID_ARGUMENT:
            return "INVALID_ARGUMENT";
        case grpc::StatusCode::DEADLINE_EXCEEDED:
            return "DEADLINE_EXCEEDED";
        case grpc::StatusCode::NOT_FOUND:
            return "NOT_FOUND";
        case grpc::StatusCode::ALREADY_EXISTS:
            return "ALREADY_EXISTS";
        case grpc::StatusCode::PERMISSION_DENIED:
            return "PERMISSION_DENIED";
        case grpc::StatusCode::RESOURCE_EXHAUSTED:
            return "RESOURCE_EXHAUSTED";
        case grpc::StatusCode::FAILED_PRECONDITION:
            return "FAILED_PRECONDITION";
        case grpc::StatusCode::ABORTED:
            return "ABORTED";
        case grpc::StatusCode::OUT_OF_RANGE:
            return "OUT_OF_RANGE";
        case grpc::StatusCode::UNIMPLEMENTED:
            return "UNIMPLEMENTED";
        case grpc::StatusCode::INTERNAL:
            return "INTERNAL";
        case grpc::StatusCode::UNAVAILABLE:
            return "UNAVAILABLE";
        case grpc::StatusCode::DATA_LOSS:
            return "DATA_LOSS";
        case grpc::StatusCode::UNAUTHENTICATED:
            return "UNAUTHENTICATED";
        default:
            return "UNKNOWN";
    }
}

}  // namespace

grpc::Status to_status(const core::service_error& error) {
    const std::string_view code = error.code;
    grpc::StatusCode status = grpc::StatusCode::INTERNAL;
    if (code == "job_not_found" || code == "migration_not_found" || code == "unknown_migration") {
        status = grpc::StatusCode::NOT_FOUND;
    } else if (code.substr(0, 8) == "invalid_" || code.substr(0, 8) == "unknown_"
               || code == "schema_conflict") {
        status = grpc::StatusCode::INVALID_ARGUMENT;
    } else if (code == "state_unavailable") {
        status = grpc::StatusCode::UNAVAILABLE;
    } else if (code == "not_implemented") {
        status = grpc::StatusCode::UNIMPLEMENTED;
    }
    return grpc::Status(status, error.message);
}

grpc::Status to_status(const field_error& error) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, error.to_string());
}

grpc::Status to_status(const core::request_error& error) {
    return to_status(field_error{error.code, error.field, error.message});
}

normalised_request normalise(const raw_request_result& raw, const core::app_config& config,
                             std::string_view rpc) {
    normalised_request out;
    if (raw.error) {
        out.status = to_status(*raw.error);
        return out;
    }
    core::normalise_result result = core::normalise_request(*raw.request, config, grpc_origin(rpc));
    if (result.error) {
        out.status = to_status(*result.error);
        return out;
    }
    out.request = std::move(result.request);
    return out;
}

void record_call(const rpc_method& method, rpc_context& call, const grpc::Status& status,
                 std::chrono::steady_clock::time_point started) {
    const auto elapsed = std::chrono::steady_clock::now() - started;
    const double seconds = std::chrono::duration<double>(elapsed).count();
    grpc::StatusCode code = status.error_code();
    // The call ended without our answer: the client cancelled or its deadline passed.
    if (call.done() && call.cancelled()) {
        code = call.context().deadline() <= std::chrono::system_clock::now()
                   ? grpc::StatusCode::DEADLINE_EXCEEDED
                   : grpc::StatusCode::CANCELLED;
    }
    const std::string_view name = code_name(code);
    record_grpc_metrics(method.name, name, seconds);
    const bool routine = method.is_public && code == grpc::StatusCode::OK;
    if (code == grpc::StatusCode::OK || code == grpc::StatusCode::CANCELLED
        || code == grpc::StatusCode::DEADLINE_EXCEEDED) {
        spdlog::log(routine ? spdlog::level::debug : spdlog::level::info, "grpc {} {} {:.1f}ms",
                    method.name, name, seconds * 1000.0);
    } else {
        spdlog::info("grpc {} {} {:.1f}ms: {}", method.name, name, seconds * 1000.0,
                     status.error_message().substr(0, 200));
    }
}

}  // namespace bfm::net::grpc_bridge
