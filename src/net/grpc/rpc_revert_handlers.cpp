// MigrateDown and RollbackMigration: a down / rollback job of one migration, awaited, as
// POST /api/v1/migrations/down and POST /api/v1/migrations/{id}/rollback run it.
#include "net/grpc/rpc_env.hpp"

namespace bfm::net::grpc_bridge {

namespace asio = boost::asio;

namespace {

constexpr rpc_method down_method{"MigrateDown", role::operator_};
constexpr rpc_method rollback_method{"RollbackMigration", role::operator_};

using run_outcome = core::service_outcome<core::run_result>;
using down_call = unary_ptr<migration::MigrateDownRequest, migration::MigrateResponse>;
using rollback_call = unary_ptr<migration::RollbackMigrationRequest, migration::RollbackResponse>;

// The migration a revert names, with its connection and run schemas (the given ones, else the
// schema of an upstream `{schema}_{id}`, else its declared schema), as a request to normalise.
struct revert_target {
    std::optional<core::raw_up_request> raw;
    std::string migration_id;  // canonical
    grpc::Status status;
};

revert_target resolve(rpc_env& env, const std::string& id,
                      const google::protobuf::RepeatedPtrField<std::string>& schemas) {
    revert_target out;
    if (id.empty()) {
        out.status =
            to_status(field_error{"missing_field", "migration_id", "migration_id is required"});
        return out;
    }
    std::optional<core::migration_ref> m = env.service.resolve_migration(id);
    if (!m) {
        out.status =
            grpc::Status(grpc::StatusCode::NOT_FOUND, "migration not found: " + id.substr(0, 128));
        return out;
    }
    core::raw_up_request raw;
    raw.connection = m->connection;
    raw.schemas.assign(schemas.begin(), schemas.end());
    if (raw.schemas.empty()) {
        if (!m->id_schema.empty()) {
            raw.schemas.push_back(m->id_schema);
        } else if (!m->schema.empty()) {
            raw.schemas.push_back(m->schema);
        } else {
            out.status = to_status(
                field_error{"missing_field", "schemas",
                            m->id + " is a dynamic migration: name the schemas to revert it in"});
            return out;
        }
    }
    out.raw = std::move(raw);
    out.migration_id = m->id;
    out.status = grpc::Status::OK;
    return out;
}

// Normalises and runs a revert job, awaited; nullopt with `status` set when it did not run.
asio::awaitable<std::optional<core::run_result>> run_revert(
    rpc_env& env, std::shared_ptr<rpc_context> call, revert_target target, core::job_kind kind,
    bool dry_run, std::string_view rpc, grpc::Status& status) {
    target.raw->dry_run = dry_run;
    raw_request_result raw{std::move(target.raw), std::nullopt};
    normalised_request n = normalise(raw, env.config, rpc);
    if (!n.request) {
        status = n.status;
        co_return std::nullopt;
    }
    n.request->kind = kind;
    n.request->revert.migration_ids.assign(1, target.migration_id);
    asio::awaitable<run_outcome> op = env.service.migrate_up(std::move(*n.request));
    std::optional<run_outcome> outcome = co_await await_unless_done(call, std::move(op));
    if (!outcome) {
        status = grpc::Status(grpc::StatusCode::CANCELLED,
                              "the call ended before the run did; its job goes on");
        co_return std::nullopt;
    }
    if (outcome->error) {
        status = to_status(*outcome->error);
        co_return std::nullopt;
    }
    if (!outcome->value) throw std::logic_error("migrate_up returned neither a value nor an error");
    co_return std::move(outcome->value);
}

asio::awaitable<grpc::Status> down_body(rpc_env& env, down_call call,
                                        migration::MigrateResponse& response) {
    const migration::MigrateDownRequest& request = call->request;
    revert_target target = resolve(env, request.migration_id(), request.schemas());
    if (!target.raw) co_return target.status;
    // ignore_dependencies (upstream's) has no meaning for a down: dependents are refused unless
    // the HTTP API's cascade is asked for.
    grpc::Status status;
    std::optional<core::run_result> result =
        co_await run_revert(env, call, std::move(target), core::job_kind::down, request.dry_run(),
                            "MigrateDown", status);
    if (!result) co_return status;
    to_proto(*result, response);
    co_return grpc::Status::OK;
}

asio::awaitable<grpc::Status> rollback_body(rpc_env& env, rollback_call call,
                                            migration::RollbackResponse& response) {
    const migration::RollbackMigrationRequest& request = call->request;
    revert_target target = resolve(env, request.migration_id(), request.schemas());
    if (!target.raw) co_return target.status;
    const std::string id = target.migration_id;
    grpc::Status status;
    std::optional<core::run_result> result = co_await run_revert(
        env, call, std::move(target), core::job_kind::rollback, false, "RollbackMigration", status);
    if (!result) co_return status;
    std::size_t rolled_back = 0;
    for (const core::target_result& t : result->targets) {
        for (const core::migration_result& m : t.migrations) {
            if (m.outcome == core::migration_outcome::rolled_back) {
                ++rolled_back;
            } else if (m.outcome == core::migration_outcome::failed) {
                response.add_errors(t.schema + ": " + m.error);
            }
        }
        if (!t.error.empty()) response.add_errors(t.schema + ": " + t.error);
    }
    // Upstream's gRPC pre-check: nothing applied to roll back is a failed precondition.
    if (rolled_back == 0 && response.errors().empty()) {
        co_return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                               "no migrations to rollback: " + id + " is not applied");
    }
    const bool success = response.errors().empty();
    response.set_success(success);
    response.set_message(success ? "rollback completed successfully for "
                                       + std::to_string(rolled_back) + " schema(s)"
                                 : std::string("rollback failed"));
    co_return grpc::Status::OK;
}

}  // namespace

asio::awaitable<void> handle_migrate_down(rpc_env& env, down_call call) {
    co_await serve_unary(env, std::move(call), down_method, &down_body);
}

asio::awaitable<void> handle_rollback(rpc_env& env, rollback_call call) {
    co_await serve_unary(env, std::move(call), rollback_method, &rollback_body);
}

}  // namespace bfm::net::grpc_bridge
