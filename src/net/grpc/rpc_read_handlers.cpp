// Health (public), ListMigrations and ReindexMigrations.
#include <algorithm>
#include <array>

#include "net/grpc/rpc_env.hpp"

namespace bfm::net::grpc_bridge {

namespace asio = boost::asio;

namespace {

constexpr rpc_method health_method{"Health", role::viewer, true};
constexpr rpc_method list_method{"ListMigrations", role::viewer};
constexpr rpc_method reindex_method{"ReindexMigrations", role::admin};

constexpr std::array<std::string_view, 5> list_statuses = {"pending", "applied", "failed",
                                                           "rolled_back", "missing"};

// Always OK at the gRPC level (as upstream): `status` says healthy or unhealthy.
asio::awaitable<grpc::Status> health_body(
    rpc_env& env, unary_ptr<migration::HealthRequest, migration::HealthResponse>,
    migration::HealthResponse& response) {
    const core::health_report report = co_await env.service.health();
    response.set_status(report.healthy ? "healthy" : "unhealthy");
    for (const auto& [name, state] : report.checks) (*response.mutable_checks())[name] = state;
    co_return grpc::Status::OK;
}

// Every matching row (upstream's RPC has no paging), read 1000 at a time.
asio::awaitable<grpc::Status> list_body(
    rpc_env& env,
    unary_ptr<migration::ListMigrationsRequest, migration::ListMigrationsResponse> call,
    migration::ListMigrationsResponse& response) {
    const migration::ListMigrationsRequest& request = call->request;
    core::list_query query;
    query.schema = request.schema();
    query.table = request.table();
    query.connection = request.connection();
    query.backend = request.backend();
    query.version = request.version();
    query.status = request.status();
    if (!query.status.empty()
        && std::find(list_statuses.begin(), list_statuses.end(), query.status)
               == list_statuses.end()) {
        co_return to_status(
            field_error{"invalid_parameter", "status",
                        "status must be one of pending, applied, failed, rolled_back, missing"});
    }
    query.limit = 1000;
    for (;;) {
        core::service_outcome<core::list_page> page = co_await env.service.list_migrations(query);
        if (page.error) co_return to_status(*page.error);
        if (!page.value)
            throw std::logic_error("list_migrations returned neither a value nor an error");
        for (const core::migration_row& row : page.value->items)
            to_proto(row, *response.add_items());
        response.set_total(static_cast<std::int32_t>(page.value->total));
        query.offset += page.value->items.size();
        if (page.value->items.empty() || query.offset >= page.value->total) break;
    }
    co_return grpc::Status::OK;
}

asio::awaitable<grpc::Status> reindex_body(
    rpc_env& env, unary_ptr<migration::ReindexMigrationsRequest, migration::ReindexResponse> call,
    migration::ReindexResponse& response) {
    core::migration_service::reindex_outcome outcome =
        co_await env.service.reindex(call->request.sfm_path());
    if (outcome.error) {
        const core::reindex_error& e = *outcome.error;
        if (e.code == "path_outside_root") {
            co_return to_status(field_error{e.code, "sfm_path", e.message});
        }
        if (e.code == "load_failed") {
            std::string message = e.message;
            for (std::size_t i = 0; i < e.problems.size() && i < 20; ++i) {
                message += "\n" + e.problems[i];
            }
            co_return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, message);
        }
        co_return grpc::Status(grpc::StatusCode::UNAVAILABLE, e.message);
    }
    const core::reindex_report& r = *outcome.report;
    for (const auto& id : r.added) response.add_added(id);
    for (const auto& id : r.removed) response.add_removed(id);
    for (const auto& id : r.updated) response.add_updated(id);
    response.set_total(static_cast<std::int32_t>(r.total));
    co_return grpc::Status::OK;
}

}  // namespace

asio::awaitable<void> handle_health(
    rpc_env& env, unary_ptr<migration::HealthRequest, migration::HealthResponse> call) {
    co_await serve_unary(env, std::move(call), health_method, &health_body);
}

asio::awaitable<void> handle_list_migrations(
    rpc_env& env,
    unary_ptr<migration::ListMigrationsRequest, migration::ListMigrationsResponse> call) {
    co_await serve_unary(env, std::move(call), list_method, &list_body);
}

asio::awaitable<void> handle_reindex(
    rpc_env& env, unary_ptr<migration::ReindexMigrationsRequest, migration::ReindexResponse> call) {
    co_await serve_unary(env, std::move(call), reindex_method, &reindex_body);
}

}  // namespace bfm::net::grpc_bridge
