// Migrate (the synchronous up: a job awaited), StreamMigrate (the same run as a job whose events
// are streamed) and Plan (a dry run). Requests are validated by core::normalise_request, as over
// HTTP.
#include "net/grpc/rpc_env.hpp"
#include "net/grpc/rpc_job_follow.hpp"

namespace bfm::net::grpc_bridge {

namespace asio = boost::asio;

namespace {

constexpr rpc_method migrate_method{"Migrate", role::operator_};
constexpr rpc_method stream_migrate_method{"StreamMigrate", role::operator_};
constexpr rpc_method plan_method{"Plan", role::operator_};

using run_outcome = core::service_outcome<core::run_result>;

const grpc::Status call_ended(grpc::StatusCode::CANCELLED,
                              "the call ended before the run did; its job goes on");

asio::awaitable<grpc::Status> migrate_body(rpc_env& env, migrate_call call,
                                           migration::MigrateResponse& response) {
    normalised_request n = normalise(to_raw_request(call->request), env.config, "Migrate");
    if (!n.request) co_return n.status;
    asio::awaitable<run_outcome> op = env.service.migrate_up(std::move(*n.request));
    std::optional<run_outcome> outcome = co_await await_unless_done(call, std::move(op));
    if (!outcome) co_return call_ended;
    if (outcome->error) co_return to_status(*outcome->error);
    if (!outcome->value) throw std::logic_error("migrate_up returned neither a value nor an error");
    to_proto(*outcome->value, response);
    co_return grpc::Status::OK;
}

class progress_writer final : public event_writer {
public:
    explicit progress_writer(stream_migrate_call call) : call_(std::move(call)) {}
    asio::awaitable<bool> write(std::vector<core::shared_event_ptr> events) override {
        for (const core::shared_event_ptr& shared : events) {
            message_.Clear();
            to_progress(shared->event, message_);
            if (!co_await call_->write(message_)) co_return false;
        }
        co_return true;
    }

private:
    stream_migrate_call call_;
    migration::MigrateProgress message_;
};

// A dry run is not a job: its plan, one message per migration of each target.
asio::awaitable<grpc::Status> stream_dry_run(rpc_env& env, stream_migrate_call call,
                                             core::job_request request) {
    asio::awaitable<run_outcome> op = env.service.migrate_up(std::move(request));
    std::optional<run_outcome> outcome = co_await await_unless_done(call, std::move(op));
    if (!outcome) co_return call_ended;
    if (outcome->error) co_return to_status(*outcome->error);
    if (!outcome->value) throw std::logic_error("migrate_up returned neither a value nor an error");
    std::size_t total = 0;
    for (const core::target_result& t : outcome->value->targets) total += t.migrations.size() + 1;
    std::size_t sent = 0;
    migration::MigrateProgress message;
    for (const core::target_result& t : outcome->value->targets) {
        const std::string where = t.connection + "/" + t.schema;
        for (const core::migration_result& m : t.migrations) {
            message.Clear();
            message.set_migration_id(m.migration_id);
            const bool runs = m.outcome == core::migration_outcome::would_apply;
            const bool failed = m.outcome == core::migration_outcome::failed;
            message.set_status(runs ? "success" : failed ? "failed" : "skipped");
            message.set_message(where + ": "
                                + (runs     ? "would apply (dry run)"
                                   : failed ? m.error
                                            : "skipped"));
            message.set_progress(static_cast<int>(++sent * 100 / total));
            if (!co_await call->write(message)) co_return call_ended;
        }
        ++sent;
        if (t.error.empty()) continue;
        message.Clear();
        message.set_status("failed");
        message.set_message(where + ": " + t.error);
        message.set_progress(static_cast<int>(sent * 100 / total));
        if (!co_await call->write(message)) co_return call_ended;
    }
    co_return grpc::Status::OK;
}

asio::awaitable<grpc::Status> stream_migrate_body(rpc_env& env, stream_migrate_call call) {
    normalised_request n = normalise(to_raw_request(call->request), env.config, "StreamMigrate");
    if (!n.request) co_return n.status;
    if (n.request->dry_run) co_return co_await stream_dry_run(env, call, std::move(*n.request));
    // Subscribed before the job exists (its ID is not known yet), so not one of its events is
    // missed; other jobs' events are skipped.
    std::unique_ptr<core::event_subscription> events = env.service.events().subscribe("");
    const core::job_options defaults;
    core::service_outcome<core::job_summary> submitted =
        co_await env.service.submit_job(std::move(*n.request), defaults);
    if (submitted.error) co_return to_status(*submitted.error);
    if (!submitted.value)
        throw std::logic_error("submit_job returned neither a value nor an error");
    const std::string job_id = submitted.value->job_id;
    progress_writer writer(call);
    co_return co_await follow_job(env, call, events, true, job_id, writer);
}

asio::awaitable<grpc::Status> plan_body(rpc_env& env, plan_call call,
                                        migration::PlanResponse& response) {
    normalised_request n = normalise(to_raw_request(call->request.spec()), env.config, "Plan");
    if (!n.request) co_return n.status;
    n.request->dry_run = true;
    asio::awaitable<run_outcome> op = env.service.migrate_up(std::move(*n.request));
    std::optional<run_outcome> outcome = co_await await_unless_done(call, std::move(op));
    if (!outcome) co_return call_ended;
    if (outcome->error) co_return to_status(*outcome->error);
    if (!outcome->value) throw std::logic_error("migrate_up returned neither a value nor an error");
    to_proto(*outcome->value, response);
    co_return grpc::Status::OK;
}

}  // namespace

asio::awaitable<void> handle_migrate(rpc_env& env, migrate_call call) {
    co_await serve_unary(env, std::move(call), migrate_method, &migrate_body);
}

asio::awaitable<void> handle_stream_migrate(rpc_env& env, stream_migrate_call call) {
    co_await serve_stream(env, std::move(call), stream_migrate_method, &stream_migrate_body);
}

asio::awaitable<void> handle_plan(rpc_env& env, plan_call call) {
    co_await serve_unary(env, std::move(call), plan_method, &plan_body);
}

}  // namespace bfm::net::grpc_bridge
