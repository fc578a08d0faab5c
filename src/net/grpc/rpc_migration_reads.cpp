// GetMigration, GetMigrationStatus, IsMigrationApplied and GetMigrationHistory: the reads of one
// migration, as GET /api/v1/migrations/{id}[/status|/applied|/history] answer them (same
// service calls; IDs canonical, aliases or upstream's `{schema}_{id}`).
#include <algorithm>

#include "net/grpc/rpc_env.hpp"

namespace bfm::net::grpc_bridge {

namespace asio = boost::asio;

namespace {

constexpr rpc_method get_method{"GetMigration", role::viewer};
constexpr rpc_method status_method{"GetMigrationStatus", role::viewer};
constexpr rpc_method applied_method{"IsMigrationApplied", role::viewer};
constexpr rpc_method history_method{"GetMigrationHistory", role::viewer};

constexpr std::size_t max_id_bytes = 512;

// Empty, too long or with control characters: INVALID_ARGUMENT naming migration_id.
std::optional<grpc::Status> check_id(const std::string& id) {
    if (id.empty()) {
        return to_status(field_error{"missing_field", "migration_id", "migration_id is required"});
    }
    const bool control = std::any_of(id.begin(), id.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
    if (id.size() <= max_id_bytes && !control) return std::nullopt;
    return to_status(field_error{"invalid_migration_id", "migration_id",
                                 "invalid migration ID: at most " + std::to_string(max_id_bytes)
                                     + " bytes, no control characters"});
}

std::string dependency_text(const core::dependency& d) {
    std::string out = d.connection.empty() ? std::string() : d.connection + ":";
    if (d.target_type == core::dependency::kind::version) out += "@";
    return out + d.target;
}

asio::awaitable<grpc::Status> get_body(
    rpc_env& env,
    unary_ptr<migration::GetMigrationRequest, migration::MigrationDetailResponse> call,
    migration::MigrationDetailResponse& response) {
    const std::string& id = call->request.migration_id();
    if (auto bad = check_id(id)) co_return *bad;
    const core::read_query all_targets;  // named: GCC 12 miscompiles braced temporaries here
    core::service_outcome<core::migration_detail> out =
        co_await env.service.get_migration(id, all_targets);
    if (out.error) co_return to_status(*out.error);
    if (!out.value) throw std::logic_error("get_migration returned neither a value nor an error");
    const core::migration_detail& d = *out.value;
    response.set_migration_id(d.migration_id);
    response.set_schema(d.schema);
    response.set_table(d.table);
    response.set_version(d.version);
    response.set_name(d.name);
    response.set_connection(d.connection);
    response.set_backend(d.backend);
    response.set_applied(d.state.applied);
    if (d.known) response.set_up_sql(d.up_sql);
    if (d.down_sql) response.set_down_sql(*d.down_sql);
    for (const core::dependency& dep : d.dependencies) {
        response.add_dependencies(dependency_text(dep));
        migration::DependencyResponse& s = *response.add_structured_dependencies();
        s.set_connection(dep.connection);
        s.set_schema(dep.schema);
        s.set_target(dep.target);
        s.set_target_type(dep.target_type == core::dependency::kind::version ? "version" : "name");
        s.set_requires_table(dep.requires_table);
        s.set_requires_schema(dep.requires_schema);
    }
    for (const core::tag& t : d.tags) response.add_tags(t.key + "=" + t.value);
    co_return grpc::Status::OK;
}

asio::awaitable<grpc::Status> status_body(
    rpc_env& env,
    unary_ptr<migration::GetMigrationStatusRequest, migration::MigrationStatusResponse> call,
    migration::MigrationStatusResponse& response) {
    const std::string& id = call->request.migration_id();
    if (auto bad = check_id(id)) co_return *bad;
    const core::read_query all_targets;
    core::service_outcome<core::status_report> out =
        co_await env.service.migration_status(id, all_targets);
    if (out.error) co_return to_status(*out.error);
    if (!out.value)
        throw std::logic_error("migration_status returned neither a value nor an error");
    const core::status_report& r = *out.value;
    response.set_migration_id(r.migration_id);
    response.set_status(r.state.status);
    response.set_applied(r.state.applied);
    response.set_applied_at(r.state.applied_at);
    response.set_error_message(r.state.error_message);
    co_return grpc::Status::OK;
}

asio::awaitable<grpc::Status> applied_body(
    rpc_env& env,
    unary_ptr<migration::IsMigrationAppliedRequest, migration::IsMigrationAppliedResponse> call,
    migration::IsMigrationAppliedResponse& response) {
    const std::string& id = call->request.migration_id();
    if (auto bad = check_id(id)) co_return *bad;
    const core::read_query all_targets;
    core::service_outcome<core::applied_report> out =
        co_await env.service.migration_applied(id, all_targets);
    if (out.error) co_return to_status(*out.error);
    if (!out.value)
        throw std::logic_error("migration_applied returned neither a value nor an error");
    response.set_applied(out.value->applied);
    co_return grpc::Status::OK;
}

// Every history row (upstream's RPC has no paging), newest first, 1000 at a time.
asio::awaitable<grpc::Status> history_body(
    rpc_env& env,
    unary_ptr<migration::GetMigrationHistoryRequest, migration::MigrationHistoryResponse> call,
    migration::MigrationHistoryResponse& response) {
    const std::string& id = call->request.migration_id();
    if (auto bad = check_id(id)) co_return *bad;
    core::read_query query;
    query.limit = 1000;
    for (;;) {
        core::service_outcome<core::history_page> page =
            co_await env.service.migration_history(id, query);
        if (page.error) co_return to_status(*page.error);
        if (!page.value)
            throw std::logic_error("migration_history returned neither a value nor an error");
        response.set_migration_id(page.value->migration_id);
        for (const core::history_entry& h : page.value->items) {
            migration::MigrationHistoryItem& item = *response.add_history();
            item.set_migration_id(h.migration_id);
            item.set_schema(h.schema);
            item.set_table(h.table);
            item.set_version(h.version);
            item.set_connection(h.connection);
            item.set_backend(h.backend);
            item.set_applied_at(h.finished_at.empty() ? h.started_at : h.finished_at);
            item.set_status(h.status);
            item.set_error_message(h.error_message);
            item.set_executed_by(h.executed_by);
            item.set_execution_method(h.execution_method);
            item.set_execution_context(h.execution_context);
        }
        query.offset += page.value->items.size();
        if (page.value->items.empty() || query.offset >= page.value->total) break;
    }
    co_return grpc::Status::OK;
}

}  // namespace

asio::awaitable<void> handle_get_migration(
    rpc_env& env,
    unary_ptr<migration::GetMigrationRequest, migration::MigrationDetailResponse> call) {
    co_await serve_unary(env, std::move(call), get_method, &get_body);
}

asio::awaitable<void> handle_migration_status(
    rpc_env& env,
    unary_ptr<migration::GetMigrationStatusRequest, migration::MigrationStatusResponse> call) {
    co_await serve_unary(env, std::move(call), status_method, &status_body);
}

asio::awaitable<void> handle_is_applied(
    rpc_env& env,
    unary_ptr<migration::IsMigrationAppliedRequest, migration::IsMigrationAppliedResponse> call) {
    co_await serve_unary(env, std::move(call), applied_method, &applied_body);
}

asio::awaitable<void> handle_history(
    rpc_env& env,
    unary_ptr<migration::GetMigrationHistoryRequest, migration::MigrationHistoryResponse> call) {
    co_await serve_unary(env, std::move(call), history_method, &history_body);
}

}  // namespace bfm::net::grpc_bridge
