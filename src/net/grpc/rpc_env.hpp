#pragma once
// What every RPC handler gets (the bridge, the engine's service, the configuration) and the
// shared frame of a handler: authorize, run the body, finish, log and count. Handlers live in
// rpc_*_handlers.cpp; grpc_server.cpp accepts calls and hands each to its handler coroutine.

#include <spdlog/spdlog.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>

#include "core/service.hpp"
#include "migration.grpc.pb.h"
#include "net/grpc/proto_convert.hpp"
#include "net/grpc/rpc_auth.hpp"
#include "net/grpc/rpc_call.hpp"

namespace bfm::net::grpc_bridge {

struct rpc_env {
    completion_bridge& bridge;
    core::migration_service& service;
    const core::app_config& config;
    const token_table& tokens;
    bool stopping = false;  // shutdown began: streams end with UNAVAILABLE
};

// Static facts of one RPC.
struct rpc_method {
    std::string_view name;  // "Migrate"
    role access = role::viewer;
    bool is_public = false;  // Health only
};

// A failed service call as a gRPC status: job_not_found, migration_not_found and
// unknown_migration NOT_FOUND,
// invalid_* / unknown_* / schema_conflict INVALID_ARGUMENT, state_unavailable UNAVAILABLE,
// not_implemented UNIMPLEMENTED, anything else INTERNAL.
grpc::Status to_status(const core::service_error& error);
// A request mistake: INVALID_ARGUMENT naming the field.
grpc::Status to_status(const field_error& error);
grpc::Status to_status(const core::request_error& error);

// A request as core::normalise_request validates it for HTTP too (schema names, connection,
// tags, version), recorded as coming from gRPC `rpc`; else INVALID_ARGUMENT naming the field.
struct normalised_request {
    std::optional<core::job_request> request;
    grpc::Status status;
};
normalised_request normalise(const raw_request_result& raw, const core::app_config& config,
                             std::string_view rpc);

// Logs the call's end (Health at debug) and counts it (bfm_grpc_requests_total and the
// latency histogram). `code` is what the client saw: CANCELLED or DEADLINE_EXCEEDED when the
// call ended before our status.
void record_call(const rpc_method& method, rpc_context& call, const grpc::Status& status,
                 std::chrono::steady_clock::time_point started);

// Runs `op` detached and waits for its result, unless the call ends first (client cancelled,
// deadline passed, server shut down): then nullopt, and `op` goes on by itself (a job it
// started keeps running, as durable jobs do).
template <class T>
boost::asio::awaitable<std::optional<T>> await_unless_done(std::shared_ptr<rpc_context> call,
                                                           boost::asio::awaitable<T> op) {
    struct slot {
        std::optional<T> value;
        std::exception_ptr error;
        bool ready = false;
    };
    auto result = std::make_shared<slot>();
    std::weak_ptr<rpc_context> weak = call;
    boost::asio::co_spawn(call->bridge().executor(), std::move(op),
                          [result, weak](std::exception_ptr e, T value) {
                              result->error = e;
                              if (!e) result->value = std::move(value);
                              result->ready = true;
                              if (auto c = weak.lock()) c->wake();
                          });
    while (!result->ready && !call->done()) co_await call->wait_signal();
    if (!result->ready) co_return std::nullopt;
    if (result->error) std::rethrow_exception(result->error);
    co_return std::move(result->value);
}

template <class Request, class Response>
using unary_ptr = std::shared_ptr<unary_call<Request, Response>>;
template <class Request, class Response>
using stream_ptr = std::shared_ptr<server_stream_call<Request, Response>>;

// The body of a unary RPC: fills `response`, returns the status to finish with.
template <class Request, class Response>
using unary_body = boost::asio::awaitable<grpc::Status> (*)(rpc_env&, unary_ptr<Request, Response>,
                                                            Response&);
// The body of a server-streaming RPC: writes its messages, returns the final status.
template <class Request, class Response>
using stream_body = boost::asio::awaitable<grpc::Status> (*)(rpc_env&,
                                                             stream_ptr<Request, Response>);

template <class Request, class Response>
boost::asio::awaitable<void> serve_unary(rpc_env& env, unary_ptr<Request, Response> call,
                                         rpc_method method, unary_body<Request, Response> body) {
    const auto started = std::chrono::steady_clock::now();
    Response response;
    grpc::Status status =
        method.is_public ? grpc::Status::OK
                         : authorize_call(call->context(), env.tokens, method.access, method.name);
    bool failed = false;
    if (status.ok()) {
        try {
            status = co_await body(env, call, response);
        } catch (const std::exception& e) {
            spdlog::error("grpc {}: unexpected error: {}", method.name, e.what());
            failed = true;
        }
    }
    if (failed) status = grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
    co_await call->finish(response, status);
    record_call(method, *call, status, started);
}

template <class Request, class Response>
boost::asio::awaitable<void> serve_stream(rpc_env& env, stream_ptr<Request, Response> call,
                                          rpc_method method, stream_body<Request, Response> body) {
    const auto started = std::chrono::steady_clock::now();
    grpc::Status status = authorize_call(call->context(), env.tokens, method.access, method.name);
    bool failed = false;
    if (status.ok()) {
        try {
            status = co_await body(env, call);
        } catch (const std::exception& e) {
            spdlog::error("grpc {}: unexpected error: {}", method.name, e.what());
            failed = true;
        }
    }
    if (failed) status = grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
    co_await call->finish(status);
    record_call(method, *call, status, started);
}

// ---- handlers (rpc_*_handlers.cpp) -------------------------------------------------------

using migrate_call = unary_ptr<migration::MigrateRequest, migration::MigrateResponse>;
using stream_migrate_call = stream_ptr<migration::MigrateRequest, migration::MigrateProgress>;
using plan_call = unary_ptr<migration::PlanRequest, migration::PlanResponse>;

boost::asio::awaitable<void> handle_migrate(rpc_env& env, migrate_call call);
boost::asio::awaitable<void> handle_stream_migrate(rpc_env& env, stream_migrate_call call);
boost::asio::awaitable<void> handle_plan(rpc_env& env, plan_call call);

boost::asio::awaitable<void> handle_submit_job(
    rpc_env& env, unary_ptr<migration::SubmitJobRequest, migration::SubmitJobResponse> call);
boost::asio::awaitable<void> handle_get_job(
    rpc_env& env, unary_ptr<migration::GetJobRequest, migration::GetJobResponse> call);
boost::asio::awaitable<void> handle_list_jobs(
    rpc_env& env, unary_ptr<migration::ListJobsRequest, migration::ListJobsResponse> call);
boost::asio::awaitable<void> handle_cancel_job(
    rpc_env& env, unary_ptr<migration::CancelJobRequest, migration::CancelJobResponse> call);
// Raw method: see job_events_wire.hpp.
boost::asio::awaitable<void> handle_watch_job(rpc_env& env,
                                              stream_ptr<grpc::ByteBuffer, grpc::ByteBuffer> call);

boost::asio::awaitable<void> handle_health(
    rpc_env& env, unary_ptr<migration::HealthRequest, migration::HealthResponse> call);
boost::asio::awaitable<void> handle_list_migrations(
    rpc_env& env,
    unary_ptr<migration::ListMigrationsRequest, migration::ListMigrationsResponse> call);
boost::asio::awaitable<void> handle_reindex(
    rpc_env& env, unary_ptr<migration::ReindexMigrationsRequest, migration::ReindexResponse> call);

boost::asio::awaitable<void> handle_migrate_down(
    rpc_env& env, unary_ptr<migration::MigrateDownRequest, migration::MigrateResponse> call);
boost::asio::awaitable<void> handle_rollback(
    rpc_env& env, unary_ptr<migration::RollbackMigrationRequest, migration::RollbackResponse> call);
boost::asio::awaitable<void> handle_get_migration(
    rpc_env& env,
    unary_ptr<migration::GetMigrationRequest, migration::MigrationDetailResponse> call);
boost::asio::awaitable<void> handle_migration_status(
    rpc_env& env,
    unary_ptr<migration::GetMigrationStatusRequest, migration::MigrationStatusResponse> call);
boost::asio::awaitable<void> handle_is_applied(
    rpc_env& env,
    unary_ptr<migration::IsMigrationAppliedRequest, migration::IsMigrationAppliedResponse> call);
boost::asio::awaitable<void> handle_history(
    rpc_env& env,
    unary_ptr<migration::GetMigrationHistoryRequest, migration::MigrationHistoryResponse> call);

}  // namespace bfm::net::grpc_bridge
