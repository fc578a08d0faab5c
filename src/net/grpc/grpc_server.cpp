#include "net/grpc/grpc_server.hpp"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

#include "net/grpc/rpc_env.hpp"

namespace bfm::net {

namespace asio = boost::asio;
using grpc_bridge::bridge_tag;
using grpc_bridge::completion_bridge;
using grpc_bridge::rpc_env;
// WatchJob is raw: its messages are assembled from bytes cached per event (job_events_wire.hpp).
using async_service =
    migration::MigrationService::WithRawMethod_WatchJob<migration::MigrationService::AsyncService>;

namespace {

void log_failure(std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        spdlog::error("grpc: a call ended with an unexpected error: {}", ex.what());
    } catch (...) {
        spdlog::error("grpc: a call ended with an unexpected non-standard exception");
    }
}

template <class Call>
using handler_fn = asio::awaitable<void> (*)(rpc_env&, std::shared_ptr<Call>);

// Requests calls of one method, one at a time, and hands each to its own handler coroutine.
// Ends when a request fails: the server is shutting down.
template <class Call, class Method>
asio::awaitable<void> accept_calls(rpc_env& env, async_service& service, Method method,
                                   handler_fn<Call> handler) {
    for (;;) {
        auto call = std::make_shared<Call>(env.bridge);
        bridge_tag* done = call->notify_when_done(call);
        Call* raw = call.get();
        grpc::ServerCompletionQueue* cq = env.bridge.cq();
        auto start = [&service, method, raw, cq](void* tag) {
            (service.*method)(&raw->context(), &raw->request, &raw->responder(), cq, cq, tag);
        };
        const bool ok = co_await grpc_bridge::async_grpc(env.bridge, start);
        if (!ok) {
            call->retire(done);
            co_return;
        }
        asio::co_spawn(env.bridge.executor(), handler(env, std::move(call)), &log_failure);
    }
}

template <class Request, class Response, class Method>
void accept_unary(rpc_env& env, async_service& service, Method method,
                  handler_fn<grpc_bridge::unary_call<Request, Response>> handler) {
    asio::co_spawn(
        env.bridge.executor(),
        accept_calls<grpc_bridge::unary_call<Request, Response>>(env, service, method, handler),
        &log_failure);
}

template <class Request, class Response, class Method>
void accept_stream(rpc_env& env, async_service& service, Method method,
                   handler_fn<grpc_bridge::server_stream_call<Request, Response>> handler) {
    asio::co_spawn(env.bridge.executor(),
                   accept_calls<grpc_bridge::server_stream_call<Request, Response>>(
                       env, service, method, handler),
                   &log_failure);
}

void accept_all(rpc_env& env, async_service& s) {
    namespace gb = grpc_bridge;
    namespace m = migration;
    accept_unary<m::MigrateRequest, m::MigrateResponse>(env, s, &async_service::RequestMigrate,
                                                        &gb::handle_migrate);
    accept_stream<m::MigrateRequest, m::MigrateProgress>(
        env, s, &async_service::RequestStreamMigrate, &gb::handle_stream_migrate);
    accept_unary<m::MigrateDownRequest, m::MigrateResponse>(
        env, s, &async_service::RequestMigrateDown, &gb::handle_migrate_down);
    accept_unary<m::ListMigrationsRequest, m::ListMigrationsResponse>(
        env, s, &async_service::RequestListMigrations, &gb::handle_list_migrations);
    accept_unary<m::GetMigrationRequest, m::MigrationDetailResponse>(
        env, s, &async_service::RequestGetMigration, &gb::handle_get_migration);
    accept_unary<m::GetMigrationStatusRequest, m::MigrationStatusResponse>(
        env, s, &async_service::RequestGetMigrationStatus, &gb::handle_migration_status);
    accept_unary<m::IsMigrationAppliedRequest, m::IsMigrationAppliedResponse>(
        env, s, &async_service::RequestIsMigrationApplied, &gb::handle_is_applied);
    accept_unary<m::GetMigrationHistoryRequest, m::MigrationHistoryResponse>(
        env, s, &async_service::RequestGetMigrationHistory, &gb::handle_history);
    accept_unary<m::RollbackMigrationRequest, m::RollbackResponse>(
        env, s, &async_service::RequestRollbackMigration, &gb::handle_rollback);
    accept_unary<m::ReindexMigrationsRequest, m::ReindexResponse>(
        env, s, &async_service::RequestReindexMigrations, &gb::handle_reindex);
    accept_unary<m::HealthRequest, m::HealthResponse>(env, s, &async_service::RequestHealth,
                                                      &gb::handle_health);
    accept_unary<m::SubmitJobRequest, m::SubmitJobResponse>(
        env, s, &async_service::RequestSubmitJob, &gb::handle_submit_job);
    accept_unary<m::GetJobRequest, m::GetJobResponse>(env, s, &async_service::RequestGetJob,
                                                      &gb::handle_get_job);
    accept_unary<m::ListJobsRequest, m::ListJobsResponse>(env, s, &async_service::RequestListJobs,
                                                          &gb::handle_list_jobs);
    accept_unary<m::CancelJobRequest, m::CancelJobResponse>(
        env, s, &async_service::RequestCancelJob, &gb::handle_cancel_job);
    accept_stream<grpc::ByteBuffer, grpc::ByteBuffer>(env, s, &async_service::RequestWatchJob,
                                                      &gb::handle_watch_job);
    accept_unary<m::PlanRequest, m::PlanResponse>(env, s, &async_service::RequestPlan,
                                                  &gb::handle_plan);
}

std::string listen_address(const std::string& host, std::uint16_t port) {
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

}  // namespace

struct grpc_server::impl {
    impl(asio::io_context& io, const core::app_config& cfg, core::migration_service& svc)
        : ioc(io), config(cfg), service(svc) {}

    ~impl() {
        // Only when shutdown() never ran to its end (start-up failed half-way): stop at once.
        if (server && !drained) {
            server->Shutdown(std::chrono::system_clock::now());
            if (bridge) bridge->close();
        }
        if (shutdown_thread.joinable()) shutdown_thread.join();
    }

    void finished() {
        if (shutdown_thread.joinable()) shutdown_thread.join();
        drained = true;
        spdlog::info("grpc: stopped");
        std::vector<std::function<void()>> callbacks = std::move(waiting);
        for (auto& done : callbacks) done();
    }

    asio::io_context& ioc;
    const core::app_config& config;
    core::migration_service& service;
    async_service grpc_service;
    // Declared before the server: the server goes first, its queue after it.
    std::unique_ptr<completion_bridge> bridge;
    token_table tokens;
    std::unique_ptr<rpc_env> env;
    std::unique_ptr<grpc::Server> server;
    std::thread shutdown_thread;
    bool shutting_down = false;
    bool drained = false;
    std::vector<std::function<void()>> waiting;
};

grpc_server::grpc_server(asio::io_context& ioc, const core::app_config& config,
                         core::migration_service& service)
    : impl_(std::make_unique<impl>(ioc, config, service)) {}

grpc_server::~grpc_server() = default;

std::uint16_t grpc_server::listen() {
    impl& s = *impl_;
    token_table_result tokens = load_token_table(s.config);
    if (!tokens.ok()) {
        throw std::runtime_error("gRPC: " + tokens.errors.front());
    }
    s.tokens = std::move(tokens.table);
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    const std::string address = listen_address(s.config.http_address, s.config.grpc_port);
    grpc::ServerBuilder builder;
    int bound = 0;
    builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &bound);
    builder.RegisterService(&s.grpc_service);
    std::unique_ptr<grpc::ServerCompletionQueue> cq = builder.AddCompletionQueue();
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server || bound == 0) {
        throw std::runtime_error("gRPC: cannot listen on " + address
                                 + " (BFM_HTTP_ADDRESS, BFM_GRPC_PORT): address in use or "
                                   "not available");
    }
    s.bridge = std::make_unique<completion_bridge>(s.ioc, std::move(cq));
    s.server = std::move(server);
    s.env = std::make_unique<rpc_env>(rpc_env{*s.bridge, s.service, s.config, s.tokens});
    s.bridge->start([&s] { s.finished(); });
    accept_all(*s.env, s.grpc_service);
    spdlog::info("grpc: listening on {} (health and reflection enabled)", address);
    return static_cast<std::uint16_t>(bound);
}

void grpc_server::shutdown(std::chrono::milliseconds deadline, std::function<void()> done) {
    impl& s = *impl_;
    if (!s.server || s.drained) {
        asio::post(s.ioc, std::move(done));
        return;
    }
    s.waiting.push_back(std::move(done));
    if (s.shutting_down) return;
    s.shutting_down = true;
    s.env->stopping = true;
    // Server::Shutdown waits for the calls in flight, which need the io thread: so it runs on a
    // helper thread, and only once it returned is the queue shut down (on the io thread, where
    // the bridge's closed flag is read).
    grpc::Server* server = s.server.get();
    const auto when = std::chrono::system_clock::now() + deadline;
    s.shutdown_thread = std::thread([&s, server, when] {
        server->Shutdown(when);
        asio::post(s.ioc, [&s] { s.bridge->close(); });
    });
}

}  // namespace bfm::net
