// The gRPC API (SPEC 8) of the real `bfm serve` process against real PostgreSQL, through a C++
// client generated from proto/migration.proto, and through bfm_grpc_probe (reflection and the
// standard health service, as a stock tool would use them).

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include "migration.grpc.pb.h"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/pg_test_env.hpp"

namespace fs = std::filesystem;
using bfm::test::exec_sql;

namespace {

constexpr const char* token = "e2e-grpc-token-0123456789";  // admin
constexpr const char* viewer_token = "e2e-grpc-viewer-0123456789";
constexpr const char* operator_token = "e2e-grpc-operator-0123456789";
constexpr const char* state_db = "bfm_e2e_grpc_state";
constexpr const char* app_db = "bfm_e2e_grpc_app";

// Two quick migrations, then one that takes a while (so a job is still running while a test
// watches, cancels or lets a deadline pass). Quick runs select `<=` the second version.
const std::string quick_version = "<=20250101000002";
const std::vector<std::string> quick_ids = {"20250101000001_create_accounts_postgresql_app",
                                            "20250101000002_add_name_postgresql_app"};
const std::string slow_id = "20250101000003_slow_backfill_postgresql_app";

void write_tree(const fs::path& root) {
    const fs::path dir = root / "sfm" / "postgresql" / "app";
    fs::create_directories(dir);
    std::ofstream(dir / "20250101000001_create_accounts.up.sql")
        << "CREATE TABLE accounts (id bigint PRIMARY KEY);\n";
    std::ofstream(dir / "20250101000001_create_accounts.down.sql") << "DROP TABLE accounts;\n";
    std::ofstream(dir / "20250101000002_add_name.up.sql")
        << "ALTER TABLE accounts ADD COLUMN name text;\n";
    std::ofstream(dir / "20250101000002_add_name.down.sql")
        << "ALTER TABLE accounts DROP COLUMN name;\n";
    const fs::path tokens = root / "tokens";
    std::ofstream(tokens) << "viewer " << viewer_token << "\noperator " << operator_token << "\n";
    fs::permissions(tokens, fs::perms::owner_read | fs::perms::owner_write);
    std::ofstream(dir / "20250101000003_slow_backfill.up.sql")
        << "SELECT pg_sleep(3);\nINSERT INTO accounts (id, name) VALUES (1, 'owner');\n";
}

std::map<std::string, std::string> server_env(unsigned short http_port, unsigned short grpc_port,
                                              const fs::path& sfm) {
    const auto p = bfm::test::pg_params(state_db);
    return {
        {"BFM_HTTP_PORT", std::to_string(http_port)},
        {"BFM_GRPC_PORT", std::to_string(grpc_port)},
        {"BFM_HTTP_ADDRESS", "127.0.0.1"},
        {"BFM_API_TOKEN", token},
        {"BFM_SFM_PATH", (sfm / "sfm").string()},
        {"BFM_API_TOKENS_FILE", (sfm / "tokens").string()},
        {"BFM_STATE_DB_HOST", p.host},
        {"BFM_STATE_DB_PORT", std::to_string(p.port)},
        {"BFM_STATE_DB_USERNAME", p.user},
        {"BFM_STATE_DB_NAME", state_db},
        {"BFM_SHUTDOWN_GRACE", "2s"},
        {"BFM_JOB_POLL_INTERVAL", "200ms"},
        // Heartbeats (lease / 3) store a target's current migration: every 500 ms, so the
        // cancel test sees the slow migration running well inside its 3 s.
        {"BFM_LOCK_LEASE", "1500ms"},
        {"APP_BACKEND", "postgresql"},
        {"APP_DB_HOST", p.host},
        {"APP_DB_PORT", std::to_string(p.port)},
        {"APP_DB_USERNAME", p.user},
        {"APP_DB_NAME", app_db},
    };
}

// A `bfm serve` on its own ports, healthy when constructed (or the test failed).
struct server {
    fs::path sfm;
    unsigned short http_port = bfm::test::free_port();
    unsigned short grpc_port = bfm::test::free_port();
    std::unique_ptr<bfm::test::child_process> process;

    explicit server(fs::path tree) : sfm(std::move(tree)) {
        process = std::make_unique<bfm::test::child_process>(
            std::vector<std::string>{BFM_BINARY_PATH, "serve"},
            server_env(http_port, grpc_port, sfm));
    }

    bool wait_healthy() {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (std::chrono::steady_clock::now() < deadline) {
            if (!process->running()) return false;
            try {
                if (bfm::test::http_request(http_port, "GET", "/health").status == 200) return true;
            } catch (const std::exception&) {
                // not listening yet
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }

    std::string address() const { return "127.0.0.1:" + std::to_string(grpc_port); }

    std::unique_ptr<migration::MigrationService::Stub> stub() const {
        return migration::MigrationService::NewStub(
            grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
    }

    // Waits until the log has `text` (a line the server writes after the fact).
    bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout) const {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (process->output().find(text) != std::string::npos) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }
};

// A context with the token (or `bearer` as given, "" for none) and a deadline.
std::unique_ptr<grpc::ClientContext> context(
    const std::string& bearer = std::string("Bearer ") + token,
    std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!bearer.empty()) ctx->AddMetadata("authorization", bearer);
    ctx->set_deadline(std::chrono::system_clock::now() + deadline);
    return ctx;
}

migration::MigrateRequest quick_request(const std::string& schema) {
    migration::MigrateRequest request;
    request.set_connection("app");
    request.set_schema(schema);
    request.mutable_target()->set_version(quick_version);
    return request;
}

std::vector<std::string> strings(const google::protobuf::RepeatedPtrField<std::string>& in) {
    return {in.begin(), in.end()};
}

std::string table_count(const std::string& schema) {
    return exec_sql(app_db, "SELECT count(*) FROM pg_tables WHERE schemaname = '" + schema + "'");
}

// Submits a job running every migration (the slow one too) on `schemas`; its ID.
std::string submit_slow_job(migration::MigrationService::Stub& stub,
                            const std::vector<std::string>& schemas) {
    migration::SubmitJobRequest request;
    request.mutable_spec()->set_connection("app");
    for (const auto& s : schemas) request.mutable_spec()->add_schemas(s);
    migration::SubmitJobResponse response;
    auto ctx = context();
    const grpc::Status status = stub.SubmitJob(ctx.get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.job_id(), response.job().job_id());
    return response.job_id();
}

migration::Job wait_for_final(migration::MigrationService::Stub& stub, const std::string& job_id) {
    const std::set<std::string> final_states{"succeeded", "failed", "partial", "cancelled"};
    migration::GetJobResponse response;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        migration::GetJobRequest request;
        request.set_job_id(job_id);
        response.Clear();
        auto ctx = context();
        const grpc::Status status = stub.GetJob(ctx.get(), request, &response);
        EXPECT_TRUE(status.ok()) << status.error_message();
        if (final_states.count(response.job().status())) return response.job();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "job " << job_id << " did not end in time";
    return response.job();
}

// WatchJob's first message, then the client cancels and drains the stream.
struct first_then_cancel {
    bool read = false;  // a first message arrived
    migration::JobEvents first;
    grpc::Status finish;
};

first_then_cancel watch_first_then_cancel(migration::MigrationService::Stub& stub,
                                          const std::string& job_id) {
    first_then_cancel out;
    migration::WatchJobRequest request;
    request.set_job_id(job_id);
    auto ctx = context();
    auto reader = stub.WatchJob(ctx.get(), request);
    out.read = reader->Read(&out.first);
    ctx->TryCancel();
    migration::JobEvents rest;
    while (reader->Read(&rest)) {
    }
    out.finish = reader->Finish();
    return out;
}

// Runs bfm_grpc_probe; its exit code and output.
std::pair<int, std::string> probe(const std::vector<std::string>& args) {
    std::vector<std::string> argv{BFM_GRPC_PROBE_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    bfm::test::child_process child(argv, {});
    const int rc = child.wait(std::chrono::seconds(20));
    return {rc, child.output()};
}

class GrpcApi : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        bfm::test::create_test_database(state_db);
        bfm::test::create_test_database(app_db);
        tree_ = new fs::path(fs::temp_directory_path()
                             / ("bfm-grpc-e2e-" + std::to_string(::getpid())));
        fs::remove_all(*tree_);
        write_tree(*tree_);
        server_ = new server(*tree_);
        healthy_ = server_->wait_healthy();
    }

    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
        fs::remove_all(*tree_);
        delete tree_;
    }

    void SetUp() override {
        ASSERT_TRUE(healthy_) << "bfm did not become healthy:\n" << server_->process->output();
        stub_ = server_->stub();
    }

    void TearDown() override {
        if (HasFailure())
            std::cerr << "---- bfm output ----\n" << server_->process->output() << "\n";
    }

    static inline fs::path* tree_ = nullptr;
    static inline server* server_ = nullptr;
    static inline bool healthy_ = false;
    std::unique_ptr<migration::MigrationService::Stub> stub_;
};

TEST_F(GrpcApi, HealthNeedsNoTokenAndTheStandardHealthServiceServes) {
    migration::HealthResponse response;
    auto ctx = context("");
    const grpc::Status status = stub_->Health(ctx.get(), migration::HealthRequest{}, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.status(), "healthy");
    EXPECT_EQ(response.checks().at("state"), "ok");

    // Counted for GET /metrics (recorded just after the answer went out).
    const std::string series =
        "bfm_grpc_requests_total{method=\"/migration.MigrationService/Health\",code=\"OK\"}";
    bool counted = false;
    for (int i = 0; i < 40 && !counted; ++i) {
        const auto metrics = bfm::test::http_request(server_->http_port, "GET", "/metrics");
        counted = metrics.body.find(series) != std::string::npos;
        if (!counted) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(counted) << series;

    const auto [rc, out] = probe({"health", server_->address()});
    EXPECT_EQ(rc, 0) << out;
    EXPECT_TRUE(out == "SERVING\n" || out.find("\nSERVING\n") != std::string::npos) << out;
}

TEST_F(GrpcApi, CallsWithoutOrWithAWrongTokenAreUnauthenticated) {
    migration::ListMigrationsResponse list;
    auto none = context("");
    grpc::Status status = stub_->ListMigrations(none.get(), {}, &list);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(status.error_message(), "missing Authorization header");

    auto wrong = context("Bearer not-the-token");
    status = stub_->ListMigrations(wrong.get(), {}, &list);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(status.error_message(), "invalid API token");

    auto basic = context(std::string("Basic ") + token);
    status = stub_->ListMigrations(basic.get(), {}, &list);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);

    // Nothing runs for an unauthenticated caller, streams included.
    auto stream_ctx = context("Bearer not-the-token");
    auto reader = stub_->StreamMigrate(stream_ctx.get(), quick_request("cli_unauth"));
    migration::MigrateProgress progress;
    EXPECT_FALSE(reader->Read(&progress));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
    migration::MigrateResponse down;
    auto down_ctx = context("");
    EXPECT_EQ(stub_->MigrateDown(down_ctx.get(), {}, &down).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(table_count("cli_unauth"), "0");
    // The token never reaches the log.
    EXPECT_EQ(server_->process->output().find(token), std::string::npos);
}

TEST_F(GrpcApi, MigrateAppliesToATenantSchemaThenSkips) {
    migration::MigrateResponse first;
    auto ctx = context();
    grpc::Status status = stub_->Migrate(ctx.get(), quick_request("cli_grpc_a"), &first);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(first.success());
    EXPECT_EQ(strings(first.applied()), quick_ids);
    EXPECT_TRUE(first.errors().empty());
    EXPECT_EQ(table_count("cli_grpc_a"), "1");
    EXPECT_EQ(exec_sql(app_db,
                       "SELECT count(*) FROM information_schema.columns WHERE "
                       "table_schema = 'cli_grpc_a' AND column_name = 'name'"),
              "1");
    // Recorded as a gRPC run.
    EXPECT_EQ(exec_sql(state_db,
                       "SELECT count(*) FROM bfm_history WHERE schema = 'cli_grpc_a' "
                       "AND execution_method = 'grpc' AND executed_by = 'grpc_client'"),
              "2");

    migration::MigrateResponse again;
    auto ctx2 = context();
    status = stub_->Migrate(ctx2.get(), quick_request("cli_grpc_a"), &again);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(again.success());
    EXPECT_TRUE(again.applied().empty());
    EXPECT_EQ(strings(again.skipped()), quick_ids);

    // A dry run shows what would run and changes nothing.
    migration::MigrateRequest dry = quick_request("cli_grpc_dry");
    dry.set_dry_run(true);
    migration::MigrateResponse planned;
    auto ctx3 = context();
    status = stub_->Migrate(ctx3.get(), dry, &planned);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(strings(planned.applied()),
              (std::vector<std::string>{quick_ids[0] + " (dry-run)", quick_ids[1] + " (dry-run)"}));
    EXPECT_EQ(table_count("cli_grpc_dry"), "0");
}

TEST_F(GrpcApi, StreamMigrateYieldsPerTargetPerMigrationEvents) {
    auto ctx = context();
    auto reader = stub_->StreamMigrate(ctx.get(), quick_request("cli_grpc_stream"));
    std::vector<migration::MigrateProgress> messages;
    migration::MigrateProgress progress;
    while (reader->Read(&progress)) messages.push_back(progress);
    const grpc::Status status = reader->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_FALSE(messages.empty());

    std::vector<std::string> started;
    std::vector<std::string> succeeded;
    for (const auto& m : messages) {
        if (m.event().type() == "migration_started") {
            EXPECT_EQ(m.status(), "running");
            EXPECT_EQ(m.event().schema(), "cli_grpc_stream");
            EXPECT_EQ(m.event().connection(), "app");
            started.push_back(m.migration_id());
        }
        if (m.event().type() == "migration_succeeded") {
            EXPECT_EQ(m.status(), "success");
            EXPECT_EQ(m.event().schema(), "cli_grpc_stream");
            succeeded.push_back(m.migration_id());
        }
    }
    EXPECT_EQ(started, quick_ids);
    EXPECT_EQ(succeeded, quick_ids);
    EXPECT_EQ(messages.front().event().type(), "job_queued");
    EXPECT_EQ(messages.back().event().type(), "job_finished");
    EXPECT_EQ(messages.back().status(), "succeeded");
    EXPECT_EQ(messages.back().progress(), 100);
    EXPECT_EQ(table_count("cli_grpc_stream"), "1");
}

TEST_F(GrpcApi, SubmitJobThenWatchJobStreamsUntilJobFinished) {
    const std::string job_id = submit_slow_job(*stub_, {"cli_grpc_watch"});
    ASSERT_FALSE(job_id.empty());
    migration::WatchJobRequest request;
    request.set_job_id(job_id);
    auto ctx = context();
    auto reader = stub_->WatchJob(ctx.get(), request);
    std::vector<migration::JobEvent> events;
    migration::JobEvents message;
    std::size_t messages = 0;
    while (reader->Read(&message)) {
        ++messages;
        // The snapshot travels alone in the first message; no message is empty.
        if (messages == 1) {
            EXPECT_EQ(message.events_size(), 1);
        }
        EXPECT_GE(message.events_size(), 1);
        for (const auto& e : message.events()) events.push_back(e);
    }
    const grpc::Status status = reader->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_GE(events.size(), 2u);
    EXPECT_EQ(events.front().type(), "snapshot");
    for (std::size_t i = 1; i < events.size(); ++i) EXPECT_NE(events[i].type(), "snapshot");
    EXPECT_EQ(events.front().snapshot().job().job_id(), job_id);
    ASSERT_EQ(events.front().snapshot().targets_size(), 1);
    EXPECT_EQ(events.front().snapshot().targets(0).schema(), "cli_grpc_watch");
    EXPECT_EQ(events.back().type(), "job_finished");
    EXPECT_EQ(events.back().status(), "succeeded");
    // The slow migration takes seconds, so its events came live.
    bool slow_done = false;
    for (const auto& e : events) {
        EXPECT_EQ(e.job_id(), job_id);
        if (e.type() == "migration_succeeded" && e.migration_id() == slow_id) slow_done = true;
    }
    EXPECT_TRUE(slow_done);
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM cli_grpc_watch.accounts"), "1");
}

TEST_F(GrpcApi, GetListAndCancelJobs) {
    const std::string job_id = submit_slow_job(*stub_, {"cli_grpc_cancel"});
    ASSERT_FALSE(job_id.empty());

    migration::GetJobRequest get;
    get.set_job_id(job_id);
    get.set_include_targets(true);
    migration::GetJobResponse job;
    auto ctx = context();
    grpc::Status status = stub_->GetJob(ctx.get(), get, &job);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(job.job().job_id(), job_id);
    EXPECT_EQ(job.job().connection(), "app");
    EXPECT_EQ(job.job().execution_method(), "grpc");
    EXPECT_EQ(job.job().counts().targets_total(), 1);
    EXPECT_EQ(job.targets_total(), 1);
    ASSERT_EQ(job.targets_size(), 1);
    EXPECT_EQ(job.targets(0).schema(), "cli_grpc_cancel");

    migration::ListJobsResponse list;
    auto ctx2 = context();
    status = stub_->ListJobs(ctx2.get(), {}, &list);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_GE(list.total(), 1);
    EXPECT_EQ(list.limit(), 50);
    bool listed = false;
    for (const auto& j : list.items()) listed = listed || j.job_id() == job_id;
    EXPECT_TRUE(listed);

    // Wait until the slow migration runs (it takes 3 s), then cancel: it is cancelled
    // server-side.
    for (int i = 0; i < 100; ++i) {
        auto c = context();
        job.Clear();
        ASSERT_TRUE(stub_->GetJob(c.get(), get, &job).ok());
        if (job.targets_size() == 1 && job.targets(0).current_migration() == slow_id) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    migration::CancelJobRequest cancel;
    cancel.set_job_id(job_id);
    migration::CancelJobResponse cancelled;
    auto ctx3 = context();
    status = stub_->CancelJob(ctx3.get(), cancel, &cancelled);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(cancelled.job().job_id(), job_id);
    EXPECT_TRUE(cancelled.job().cancel_requested());
    const migration::Job final_job = wait_for_final(*stub_, job_id);
    EXPECT_EQ(final_job.status(), "cancelled");
    // The slow migration rolled back: its row is not there.
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM cli_grpc_cancel.accounts"), "0");

    migration::ListJobsRequest by_status;
    by_status.set_status("cancelled");
    list.Clear();
    auto ctx4 = context();
    status = stub_->ListJobs(ctx4.get(), by_status, &list);
    ASSERT_TRUE(status.ok()) << status.error_message();
    listed = false;
    for (const auto& j : list.items()) {
        EXPECT_EQ(j.status(), "cancelled");
        listed = listed || j.job_id() == job_id;
    }
    EXPECT_TRUE(listed);
}

TEST_F(GrpcApi, PlanShowsStepsWithoutRunningThem) {
    migration::PlanRequest request;
    request.mutable_spec()->set_connection("app");
    request.mutable_spec()->add_schemas("cli_grpc_plan");
    request.mutable_spec()->mutable_target()->set_version(quick_version);
    migration::PlanResponse plan;
    auto ctx = context();
    const grpc::Status status = stub_->Plan(ctx.get(), request, &plan);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(plan.ok());
    ASSERT_EQ(plan.targets_size(), 1);
    const auto& target = plan.targets(0);
    EXPECT_EQ(target.schema(), "cli_grpc_plan");
    ASSERT_EQ(target.steps_size(), 2);
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(target.steps(i).migration_id(), quick_ids[static_cast<std::size_t>(i)]);
        EXPECT_EQ(target.steps(i).action(), "run");
    }
    EXPECT_NE(target.steps(0).sql().find("CREATE TABLE accounts"), std::string::npos);
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'cli_grpc_plan'"),
              "0");
}

TEST_F(GrpcApi, ListMigrationsShowsPerTargetState) {
    migration::MigrateResponse run;
    auto ctx = context();
    ASSERT_TRUE(stub_->Migrate(ctx.get(), quick_request("cli_grpc_list"), &run).ok());

    migration::ListMigrationsRequest request;
    request.set_connection("app");
    request.set_schema("cli_grpc_list");
    migration::ListMigrationsResponse list;
    auto ctx2 = context();
    const grpc::Status status = stub_->ListMigrations(ctx2.get(), request, &list);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(list.items_size(), 2);
    EXPECT_EQ(list.total(), 2);
    for (const auto& item : list.items()) {
        EXPECT_EQ(item.schema(), "cli_grpc_list");
        EXPECT_EQ(item.connection(), "app");
        EXPECT_EQ(item.status(), "applied");
        EXPECT_TRUE(item.applied());
        EXPECT_FALSE(item.applied_at().empty());
    }

    request.set_status("bogus");
    auto ctx3 = context();
    const grpc::Status bad = stub_->ListMigrations(ctx3.get(), request, &list);
    EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(bad.error_message().find("status"), std::string::npos);
}

TEST_F(GrpcApi, BadInputIsAnInvalidArgumentNamingTheField) {
    migration::MigrateResponse response;
    auto ctx = context();
    grpc::Status status =
        stub_->Migrate(ctx.get(), quick_request("cli_x\"; DROP SCHEMA public; --"), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("\"schema\""), std::string::npos)
        << status.error_message();

    migration::MigrateRequest conflicting = quick_request("cli_one");
    conflicting.set_schema_name("cli_two");
    auto ctx2 = context();
    status = stub_->Migrate(ctx2.get(), conflicting, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("schema_name"), std::string::npos);

    migration::MigrateRequest unknown = quick_request("cli_one");
    unknown.set_connection("nowhere");
    auto ctx3 = context();
    status = stub_->Migrate(ctx3.get(), unknown, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("nowhere"), std::string::npos);

    migration::SubmitJobRequest job;
    job.mutable_spec()->set_connection("app");
    job.mutable_spec()->add_schemas("cli_fine");
    job.mutable_spec()->add_schemas("Robert'); DROP TABLE students;--");
    migration::SubmitJobResponse submitted;
    auto ctx4 = context();
    status = stub_->SubmitJob(ctx4.get(), job, &submitted);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("schemas[1]"), std::string::npos)
        << status.error_message();

    job.mutable_spec()->mutable_schemas()->RemoveLast();
    job.set_on_error("explode");
    auto ctx5 = context();
    status = stub_->SubmitJob(ctx5.get(), job, &submitted);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("on_error"), std::string::npos);

    migration::GetJobRequest get;
    get.set_job_id("0190a3c2-7b1e-7cc0-8e3f-000000000000");
    migration::GetJobResponse got;
    auto ctx6 = context();
    status = stub_->GetJob(ctx6.get(), get, &got);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);

    get.set_job_id("not-a-job-id");
    auto ctx7 = context();
    status = stub_->GetJob(ctx7.get(), get, &got);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("job_id"), std::string::npos);

    migration::WatchJobRequest watch;
    watch.set_job_id("0190a3c2-7b1e-7cc0-8e3f-000000000000");
    auto ctx8 = context();
    auto reader = stub_->WatchJob(ctx8.get(), watch);
    migration::JobEvents events;
    EXPECT_FALSE(reader->Read(&events));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);

    // Nothing was created for any of them.
    EXPECT_EQ(exec_sql(app_db,
                       "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'cli_x%' "
                       "OR nspname IN ('cli_one', 'cli_two', 'cli_fine')"),
              "0");
}

// Bytes that are no protobuf message at all (field 1 declared as a 100-byte string, 3 bytes
// follow) are refused, for a typed method and for the raw WatchJob, and the server goes on.
TEST_F(GrpcApi, BytesThatAreNoMessageAreRefused) {
    auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    grpc::GenericStub generic(channel);
    const std::string garbage(
        "\x0a\x64"
        "abc",
        5);
    auto call_with_garbage = [&](const std::string& method) {
        auto ctx = context();
        grpc::Slice slice(garbage);
        const grpc::ByteBuffer request(&slice, 1);
        grpc::ByteBuffer response;
        std::promise<grpc::Status> done;
        generic.UnaryCall(ctx.get(), method, grpc::StubOptions(), &request, &response,
                          [&done](grpc::Status status) { done.set_value(std::move(status)); });
        return done.get_future().get();
    };
    // GetJob is typed: gRPC's own deserializer refuses the request before bfm sees it.
    const grpc::Status get_status = call_with_garbage("/migration.MigrationService/GetJob");
    EXPECT_EQ(get_status.error_code(), grpc::StatusCode::INTERNAL) << get_status.error_message();
    // WatchJob is served raw: bfm parses the request itself and says what was wrong.
    const grpc::Status watch_status = call_with_garbage("/migration.MigrationService/WatchJob");
    EXPECT_EQ(watch_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << watch_status.error_message();
    EXPECT_NE(watch_status.error_message().find("not a WatchJobRequest"), std::string::npos)
        << watch_status.error_message();

    // Both methods still serve well-formed requests afterwards.
    const std::string job_id = submit_slow_job(*stub_, {"cli_grpc_garbage"});
    ASSERT_FALSE(job_id.empty());
    migration::GetJobRequest get;
    get.set_job_id(job_id);
    migration::GetJobResponse got;
    auto get_ctx = context();
    const grpc::Status got_status = stub_->GetJob(get_ctx.get(), get, &got);
    ASSERT_TRUE(got_status.ok()) << got_status.error_message();
    EXPECT_EQ(got.job().job_id(), job_id);
    const first_then_cancel watch = watch_first_then_cancel(*stub_, job_id);
    ASSERT_TRUE(watch.read);
    ASSERT_GE(watch.first.events_size(), 1);
    EXPECT_EQ(watch.first.events(0).type(), "snapshot");
    wait_for_final(*stub_, job_id);
}

TEST_F(GrpcApi, AnExpiredDeadlineEndsTheCallButNotTheJob) {
    // Migrate waits for its job; the client gives up first. The job is durable and goes on.
    migration::MigrateRequest request;
    request.set_connection("app");
    request.set_schema("cli_grpc_deadline");
    migration::MigrateResponse response;
    auto ctx = context(std::string("Bearer ") + token, std::chrono::milliseconds(800));
    const auto started = std::chrono::steady_clock::now();
    const grpc::Status status = stub_->Migrate(ctx.get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
    EXPECT_TRUE(server_->wait_for_log("grpc Migrate DEADLINE_EXCEEDED", std::chrono::seconds(3)))
        << "the server did not see the deadline";

    migration::ListJobsResponse list;
    auto ctx2 = context();
    ASSERT_TRUE(stub_->ListJobs(ctx2.get(), {}, &list).ok());
    ASSERT_GE(list.items_size(), 1);
    const migration::Job final_job = wait_for_final(*stub_, list.items(0).job_id());
    EXPECT_EQ(final_job.status(), "succeeded");
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM cli_grpc_deadline.accounts"), "1");
}

TEST_F(GrpcApi, AClientThatCancelsWatchJobStopsTheStream) {
    const std::string job_id = submit_slow_job(*stub_, {"cli_grpc_hangup"});
    ASSERT_FALSE(job_id.empty());
    const first_then_cancel watch = watch_first_then_cancel(*stub_, job_id);
    ASSERT_TRUE(watch.read);
    ASSERT_EQ(watch.first.events_size(), 1);
    EXPECT_EQ(watch.first.events(0).type(), "snapshot");
    EXPECT_EQ(watch.finish.error_code(), grpc::StatusCode::CANCELLED);
    // The server saw it and ended the stream (freeing its subscription) long before the job's end.
    EXPECT_TRUE(server_->wait_for_log("grpc WatchJob CANCELLED", std::chrono::seconds(2)));
    const migration::Job job = wait_for_final(*stub_, job_id);
    EXPECT_EQ(job.status(), "succeeded");
}

TEST_F(GrpcApi, RolesDecideWhatACallerMayDo) {
    const std::string viewer = std::string("Bearer ") + viewer_token;
    migration::ListJobsResponse jobs;
    auto read = context(viewer);
    grpc::Status status = stub_->ListJobs(read.get(), {}, &jobs);
    EXPECT_TRUE(status.ok()) << status.error_message();

    migration::MigrateResponse run;
    auto migrate = context(viewer);
    status = stub_->Migrate(migrate.get(), quick_request("cli_grpc_viewer"), &run);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(status.error_message(), "role viewer may not call Migrate (it needs operator)");
    EXPECT_EQ(table_count("cli_grpc_viewer"), "0");

    migration::ReindexResponse reindexed;
    auto reindex = context(std::string("Bearer ") + operator_token);
    status = stub_->ReindexMigrations(reindex.get(), {}, &reindexed);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    auto admin = context();
    status = stub_->ReindexMigrations(admin.get(), {}, &reindexed);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(reindexed.total(), 3);

    migration::ReindexMigrationsRequest outside;
    outside.set_sfm_path("/etc");
    auto admin2 = context();
    status = stub_->ReindexMigrations(admin2.get(), outside, &reindexed);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("sfm_path"), std::string::npos);
}

TEST_F(GrpcApi, MigrateDownAndRollbackRevertOneMigration) {
    migration::MigrateResponse run;
    auto ctx = context(std::string("Bearer ") + operator_token);
    ASSERT_TRUE(stub_->Migrate(ctx.get(), quick_request("cli_grpc_down"), &run).ok());
    const std::string has_name =
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'cli_grpc_down' "
        "AND table_name = 'accounts' AND column_name = 'name'";
    ASSERT_EQ(exec_sql(app_db, has_name), "1");

    migration::MigrateDownRequest down;
    down.set_migration_id(quick_ids[1]);
    down.add_schemas("cli_grpc_down");
    migration::MigrateResponse reverted;
    auto ctx2 = context(std::string("Bearer ") + operator_token);
    grpc::Status status = stub_->MigrateDown(ctx2.get(), down, &reverted);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(reverted.success());
    EXPECT_EQ(strings(reverted.applied()), std::vector<std::string>{quick_ids[1]});
    EXPECT_EQ(exec_sql(app_db, has_name), "0");

    migration::RollbackMigrationRequest rollback;
    rollback.set_migration_id(quick_ids[0]);
    rollback.add_schemas("cli_grpc_down");
    migration::RollbackResponse rolled;
    auto ctx3 = context(std::string("Bearer ") + operator_token);
    status = stub_->RollbackMigration(ctx3.get(), rollback, &rolled);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(rolled.success()) << rolled.message();
    EXPECT_TRUE(rolled.errors().empty());
    EXPECT_EQ(table_count("cli_grpc_down"), "0");

    // Nothing left to roll back: upstream's failed precondition.
    auto ctx4 = context(std::string("Bearer ") + operator_token);
    status = stub_->RollbackMigration(ctx4.get(), rollback, &rolled);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);

    down.set_migration_id("20991231000000_nothing_postgresql_app");
    auto ctx5 = context();
    EXPECT_EQ(stub_->MigrateDown(ctx5.get(), down, &reverted).error_code(),
              grpc::StatusCode::NOT_FOUND);
    // A dynamic migration needs the schemas to revert it in.
    down.set_migration_id(quick_ids[0]);
    down.clear_schemas();
    auto ctx6 = context();
    status = stub_->MigrateDown(ctx6.get(), down, &reverted);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("schemas"), std::string::npos);
}

TEST_F(GrpcApi, MigrationReadsShowDetailStatusAndHistory) {
    migration::MigrateResponse run;
    auto ctx = context();
    ASSERT_TRUE(stub_->Migrate(ctx.get(), quick_request("cli_grpc_reads"), &run).ok());

    migration::GetMigrationRequest get;
    get.set_migration_id(quick_ids[0]);
    migration::MigrationDetailResponse detail;
    auto ctx2 = context(std::string("Bearer ") + viewer_token);
    grpc::Status status = stub_->GetMigration(ctx2.get(), get, &detail);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(detail.migration_id(), quick_ids[0]);
    EXPECT_EQ(detail.connection(), "app");
    EXPECT_EQ(detail.backend(), "postgresql");
    EXPECT_EQ(detail.version(), "20250101000001");
    EXPECT_NE(detail.up_sql().find("CREATE TABLE accounts"), std::string::npos);
    EXPECT_NE(detail.down_sql().find("DROP TABLE accounts"), std::string::npos);

    migration::GetMigrationStatusRequest status_request;
    status_request.set_migration_id(quick_ids[0]);
    migration::MigrationStatusResponse state;
    auto ctx3 = context(std::string("Bearer ") + viewer_token);
    status = stub_->GetMigrationStatus(ctx3.get(), status_request, &state);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(state.migration_id(), quick_ids[0]);
    EXPECT_FALSE(state.status().empty());
    EXPECT_EQ(state.applied(), state.status() == "applied");

    migration::IsMigrationAppliedRequest applied_request;
    applied_request.set_migration_id(quick_ids[0]);
    migration::IsMigrationAppliedResponse applied;
    auto ctx4 = context(std::string("Bearer ") + viewer_token);
    status = stub_->IsMigrationApplied(ctx4.get(), applied_request, &applied);
    EXPECT_TRUE(status.ok()) << status.error_message();

    migration::GetMigrationHistoryRequest history_request;
    history_request.set_migration_id(quick_ids[0]);
    migration::MigrationHistoryResponse history;
    auto ctx5 = context(std::string("Bearer ") + viewer_token);
    status = stub_->GetMigrationHistory(ctx5.get(), history_request, &history);
    ASSERT_TRUE(status.ok()) << status.error_message();
    bool ours = false;
    for (const auto& item : history.history()) {
        EXPECT_EQ(item.migration_id(), quick_ids[0]);
        if (item.schema() == "cli_grpc_reads" && item.executed_by() == "grpc_client"
            && item.execution_method() == "grpc") {
            ours = true;
        }
    }
    EXPECT_TRUE(ours) << history.DebugString();

    applied_request.set_migration_id("20991231000000_nothing_postgresql_app");
    auto ctx6 = context();
    EXPECT_EQ(stub_->IsMigrationApplied(ctx6.get(), applied_request, &applied).error_code(),
              grpc::StatusCode::NOT_FOUND);
    get.set_migration_id("");
    auto ctx7 = context();
    status = stub_->GetMigration(ctx7.get(), get, &detail);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("migration_id"), std::string::npos);
}

TEST_F(GrpcApi, ReflectionListsTheServicesForStockTools) {
    auto [rc, out] = probe({"list", server_->address()});
    ASSERT_EQ(rc, 0) << out;
    std::set<std::string> services;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) services.insert(line);
    EXPECT_TRUE(services.count("migration.MigrationService")) << out;
    EXPECT_TRUE(services.count("grpc.health.v1.Health")) << out;
    EXPECT_TRUE(services.count("grpc.reflection.v1alpha.ServerReflection")) << out;

    std::tie(rc, out) = probe({"describe", server_->address(), "migration.MigrationService"});
    ASSERT_EQ(rc, 0) << out;
    for (const char* rpc :
         {"Migrate", "MigrateDown", "ListMigrations", "GetMigration", "GetMigrationStatus",
          "IsMigrationApplied", "GetMigrationHistory", "RollbackMigration", "ReindexMigrations",
          "Health", "SubmitJob", "GetJob", "ListJobs", "CancelJob", "Plan"}) {
        EXPECT_NE(out.find(std::string("rpc migration.MigrationService.") + rpc + "\n"),
                  std::string::npos)
            << rpc << " missing:\n"
            << out;
    }
    EXPECT_NE(out.find("rpc migration.MigrationService.StreamMigrate stream\n"), std::string::npos);
    EXPECT_NE(out.find("rpc migration.MigrationService.WatchJob stream\n"), std::string::npos);
}

// Its own server: SIGTERM while a stream is open. The stream ends with UNAVAILABLE, and the
// process exits cleanly (gRPC shut down before the io_context stops).
TEST(GrpcShutdown, SigtermEndsOpenStreamsAndExitsCleanly) {
    bfm::test::create_test_database(state_db);
    bfm::test::create_test_database(app_db);
    const fs::path tree =
        fs::temp_directory_path() / ("bfm-grpc-stop-" + std::to_string(::getpid()));
    fs::remove_all(tree);
    write_tree(tree);
    server s(tree);
    ASSERT_TRUE(s.wait_healthy()) << s.process->output();
    auto stub = s.stub();
    const std::string job_id = submit_slow_job(*stub, {"cli_grpc_stop"});
    ASSERT_FALSE(job_id.empty());
    migration::WatchJobRequest request;
    request.set_job_id(job_id);
    auto ctx = context();
    auto reader = stub->WatchJob(ctx.get(), request);
    migration::JobEvents event;
    ASSERT_TRUE(reader->Read(&event));

    ::kill(s.process->pid(), SIGTERM);
    while (reader->Read(&event)) {
    }
    const grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    EXPECT_EQ(s.process->wait(std::chrono::seconds(15)), 0) << s.process->output();
    EXPECT_NE(s.process->output().find("grpc: stopped"), std::string::npos) << s.process->output();
    fs::remove_all(tree);
}

}  // namespace
