// Durable jobs below HTTP (SPEC 3, 6): submit, progress events, cancel with a server-side
// cancel of the statement in flight, on_error/max_failures, two engines sharing one queue,
// take-over of an expired claim, and resume of a `transaction off` migration.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/engine/engine.hpp"
#include "core/jobs/job_request_json.hpp"
#include "core/loader.hpp"
#include "support/pg_test_env.hpp"
#include "support/run_sync.hpp"

namespace asio = boost::asio;
using bfm::core::job_event_type;
using bfm::core::job_status;
using bfm::core::target_status;
using bfm::test::exec_sql;
using bfm::test::run_sync;

namespace {

constexpr const char* state_db = "bfm_it_jobs_state";
constexpr const char* app_db = "bfm_it_jobs_app";

bfm::core::registry_ptr make_registry(const std::vector<bfm::core::source_file>& files) {
    auto loaded = bfm::core::load_migrations(files);
    EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.errors.front().to_string());
    return std::make_shared<const bfm::core::registry>(std::move(loaded.migrations));
}

// Fails for the schemas named in `bad`, succeeds elsewhere (search_path is the target schema).
std::string fails_in(const std::string& bad_list) {
    return "DO $$ BEGIN IF current_schema() IN (" + bad_list
           + ") THEN RAISE EXCEPTION 'planned failure in %', current_schema(); END IF; END $$;\n"
             "CREATE TABLE t (id int);\n";
}

class Jobs : public ::testing::Test {
protected:
    void SetUp() override {
        bfm::test::create_test_database(state_db);
        bfm::test::create_test_database(app_db);
        const auto p = bfm::test::pg_params(state_db);
        config.api_token = "test-token";
        config.state.endpoint = {p.host, p.port, p.user, "", state_db, "disable"};
        bfm::core::connection_config core;
        core.name = "core";
        core.env_prefix = "CORE";
        core.backend = "postgresql";
        core.endpoint = {p.host, p.port, p.user, "", app_db, "disable"};
        core.max_connections = 4;
        config.connections.push_back(core);
        config.lock_lease = std::chrono::milliseconds(1500);
        config.job_poll_interval = std::chrono::milliseconds(100);
    }

    std::unique_ptr<bfm::core::engine> start(const std::vector<bfm::core::source_file>& files,
                                             const std::string& instance = "replica-a") {
        config.instance_id = instance;
        auto e = std::make_unique<bfm::core::engine>(ioc.get_executor(), config,
                                                     make_registry(files));
        auto st = run_sync(ioc, e->initialize());
        EXPECT_TRUE(st) << st.error().to_string();
        return e;
    }

    static bfm::core::job_request request(std::vector<std::string> schemas) {
        bfm::core::job_request r;
        r.connection = "core";
        r.filter.connection = "core";
        r.schemas = std::move(schemas);
        return r;
    }

    static std::vector<std::string> tenants(int n, const std::string& prefix = "cli_t") {
        std::vector<std::string> out;
        for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
        return out;
    }

    bfm::core::job_summary submit(bfm::core::engine& e, bfm::core::job_request r,
                                  bfm::core::job_options options = {}) {
        auto out = run_sync(ioc, e.submit_job(std::move(r), options));
        EXPECT_FALSE(out.error) << out.error->message;
        return out.value.value_or(bfm::core::job_summary{});
    }

    // Runs the io_context until the job is final (or `limit` passes) and returns it.
    bfm::core::job_summary wait_for(bfm::core::engine& e, const std::string& job_id,
                                    std::chrono::seconds limit = std::chrono::seconds(30)) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        for (;;) {
            auto job = run_sync(ioc, e.get_job(job_id));
            EXPECT_FALSE(job.error) << job.error->message;
            if (!job.value || bfm::core::is_final(job.value->status)
                || std::chrono::steady_clock::now() > deadline) {
                return job.value.value_or(bfm::core::job_summary{});
            }
            pause(std::chrono::milliseconds(50));
        }
    }

    void pause(std::chrono::milliseconds d) {
        run_sync(ioc, [](std::chrono::milliseconds wait) -> asio::awaitable<void> {
            asio::steady_timer t(co_await asio::this_coro::executor, wait);
            co_await t.async_wait(asio::use_awaitable);
        }(d));
    }

    std::vector<bfm::core::job_target_row> targets(bfm::core::engine& e, const std::string& id) {
        bfm::core::job_target_query q;
        q.limit = 1000;
        auto page = run_sync(ioc, e.job_targets(id, q));
        EXPECT_FALSE(page.error);
        return page.value ? page.value->items : std::vector<bfm::core::job_target_row>{};
    }

    asio::io_context ioc;
    bfm::core::app_config config;
};

const std::vector<bfm::core::source_file> two_tables = {
    {"postgresql/core/1_a.up.sql", "CREATE TABLE a (id int PRIMARY KEY);\n"},
    {"postgresql/core/2_b.up.sql", "CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\n"},
};

TEST_F(Jobs, ASubmittedJobIsStoredQueuedThenRunsEveryTargetWithProgressEvents) {
    auto engine = start(two_tables);
    auto all_events = engine->events().subscribe("");
    auto job = submit(*engine, request(tenants(6)));
    EXPECT_EQ(job.status, job_status::queued);
    EXPECT_EQ(job.counts.targets_total, 6);
    EXPECT_EQ(exec_sql(state_db, "SELECT status FROM bfm_jobs WHERE job_id = '" + job.job_id + "'"),
              "queued");  // persisted before it was acknowledged

    auto done = wait_for(*engine, job.job_id);
    EXPECT_EQ(done.status, job_status::succeeded);
    EXPECT_EQ(done.counts.targets_done, 6);
    EXPECT_EQ(done.counts.migrations_applied, 12);
    EXPECT_EQ(done.counts.progress(), 100);
    EXPECT_FALSE(done.started_at.empty());
    EXPECT_FALSE(done.finished_at.empty());
    for (const auto& t : targets(*engine, job.job_id)) {
        EXPECT_EQ(t.status, target_status::succeeded) << t.schema << ": " << t.error;
        EXPECT_EQ(t.applied, 2);
        EXPECT_EQ(t.claimed_by, "replica-a");
        ASSERT_EQ(t.migrations.size(), 2u);
        EXPECT_EQ(t.migrations[0].migration_id, "1_a_postgresql_core");
    }
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM bfm.ledger"), "12");
    EXPECT_EQ(exec_sql(state_db, "SELECT count(DISTINCT job_id) FROM bfm_history"), "1");

    std::map<job_event_type, int> seen;
    while (auto e = run_sync(ioc, all_events->next(std::chrono::milliseconds(1)))) {
        EXPECT_EQ(e->job_id, job.job_id);
        EXPECT_FALSE(e->at.empty());
        ++seen[e->type];
    }
    EXPECT_EQ(seen[job_event_type::job_queued], 1);
    EXPECT_EQ(seen[job_event_type::target_started], 6);
    EXPECT_EQ(seen[job_event_type::migration_started], 12);
    EXPECT_EQ(seen[job_event_type::migration_succeeded], 12);
    EXPECT_EQ(seen[job_event_type::target_finished], 6);
    EXPECT_EQ(seen[job_event_type::job_finished], 1);

    // The same job again has nothing to do: finished when it is created, no lease taken.
    auto again = submit(*engine, request(tenants(6)));
    EXPECT_EQ(again.status, job_status::succeeded);
    EXPECT_EQ(again.counts.migrations_skipped, 12);
    EXPECT_EQ(exec_sql(state_db, "SELECT count(*) FROM bfm_locks"), "0");
}

TEST_F(Jobs, CancellingAJobCancelsTheStatementInFlightServerSide) {
    auto engine = start({{"postgresql/core/1_slow.up.sql",
                          "CREATE TABLE slow (id int);\nSELECT pg_sleep(30);\n"}});
    auto events = engine->events().subscribe("");
    auto job = submit(*engine, request({"cli_slow"}));
    // Wait until the migration runs.
    for (int i = 0; i < 200; ++i) {
        auto e = run_sync(ioc, events->next(std::chrono::milliseconds(50)));
        if (e && e->type == job_event_type::migration_started) break;
    }
    pause(std::chrono::milliseconds(200));  // the script is now sleeping in the server
    const auto asked = std::chrono::steady_clock::now();
    auto cancelled = run_sync(ioc, engine->cancel_job(job.job_id));
    ASSERT_FALSE(cancelled.error);
    EXPECT_TRUE(cancelled.value->cancel_requested);
    auto done = wait_for(*engine, job.job_id, std::chrono::seconds(10));
    EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(5));
    EXPECT_EQ(done.status, job_status::cancelled);
    auto rows = targets(*engine, job.job_id);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].status, target_status::cancelled);
    // Rolled back: no table, no ledger row, no applied state; the server runs no pg_sleep.
    EXPECT_EQ(exec_sql(app_db, "SELECT to_regclass('cli_slow.slow') IS NULL"), "t");
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM bfm.ledger"), "0");
    EXPECT_EQ(exec_sql(state_db, "SELECT count(*) FROM bfm_migrations WHERE status = 'applied'"),
              "0");
    EXPECT_EQ(exec_sql(app_db,
                       "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CREATE TABLE slow%'"
                       " AND pid <> pg_backend_pid()"),
              "0");
}

TEST_F(Jobs, OnErrorStopCancelsTheTargetsThatHaveNotStarted) {
    config.connections[0].max_connections = 1;  // one target at a time, in order
    auto engine = start({{"postgresql/core/1_t.up.sql", fails_in("'cli_s0'")}});
    bfm::core::job_options options;
    options.on_error = bfm::core::on_error_policy::stop;
    auto job = submit(*engine, request(tenants(5, "cli_s")), options);
    auto done = wait_for(*engine, job.job_id);
    EXPECT_EQ(done.status, job_status::failed);
    EXPECT_EQ(done.counts.targets_failed, 1);
    EXPECT_EQ(done.counts.targets_done, 5);
    int cancelled = 0;
    for (const auto& t : targets(*engine, job.job_id)) {
        if (t.status == target_status::cancelled) {
            ++cancelled;
            EXPECT_NE(t.error.find("on_error=stop"), std::string::npos) << t.error;
        }
    }
    // Claims run ahead of the sessions (twice as many): one more may have started before the stop.
    EXPECT_GE(cancelled, 2);
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM pg_tables WHERE tablename = 't'"),
              std::to_string(5 - 1 - cancelled));
}

TEST_F(Jobs, MaxFailuresStopsAfterThatManyAndTheRestGoOnUntilThen) {
    config.connections[0].max_connections = 1;
    auto engine = start({{"postgresql/core/1_t.up.sql", fails_in("'cli_m0', 'cli_m2'")}});
    bfm::core::job_options options;
    options.max_failures = 2;
    auto job = submit(*engine, request(tenants(6, "cli_m")), options);
    auto done = wait_for(*engine, job.job_id);
    EXPECT_EQ(done.status, job_status::failed);
    EXPECT_EQ(done.counts.targets_failed, 2);
    auto rows = targets(*engine, job.job_id);
    ASSERT_EQ(rows.size(), 6u);
    EXPECT_EQ(rows[1].status, target_status::succeeded);  // between the two failures
    EXPECT_EQ(rows[5].status, target_status::cancelled);
}

TEST_F(Jobs, WithoutALimitFailuresLeaveTheOthersRunningAndTheJobPartial) {
    auto engine = start({{"postgresql/core/1_t.up.sql", fails_in("'cli_p0'")}});
    auto job = submit(*engine, request(tenants(3, "cli_p")));
    auto done = wait_for(*engine, job.job_id);
    EXPECT_EQ(done.status, job_status::partial);
    EXPECT_EQ(done.counts.targets_failed, 1);
    EXPECT_EQ(done.counts.migrations_applied, 2);
}

TEST_F(Jobs, TwoReplicasShareOneQueueAndApplyEachTargetOnce) {
    auto a = start(two_tables, "replica-a");
    auto b = start(two_tables, "replica-b");
    config.instance_id.clear();
    // Enough targets that B's first poll (100 ms) finds queued ones while A works.
    auto job = submit(*a, request(tenants(150, "cli_r")));
    auto done = wait_for(*a, job.job_id, std::chrono::seconds(60));
    EXPECT_EQ(done.status, job_status::succeeded);
    EXPECT_EQ(done.counts.migrations_applied, 300);
    EXPECT_EQ(exec_sql(state_db,
                       "SELECT count(DISTINCT claimed_by) FROM bfm_job_targets WHERE job_id = '"
                           + job.job_id + "'"),
              "2");
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM bfm.ledger"), "300");
    EXPECT_EQ(exec_sql(state_db, "SELECT count(*) FROM bfm_history WHERE status = 'applied'"),
              "300");
}

TEST_F(Jobs, ATargetWhoseClaimExpiredIsTakenOverAndReconciledFromTheLedger) {
    // A replica died after applying 1_a on cli_dead (ledger row committed, state write lost)
    // while holding the claim: its row says running, with a lease that expired.
    const auto reg = make_registry(two_tables);
    exec_sql(app_db,
             "CREATE SCHEMA bfm; CREATE TABLE bfm.ledger (attempt_id uuid PRIMARY KEY,"
             " migration_id text NOT NULL, schema text NOT NULL, checksum text NOT NULL,"
             " applied_at timestamptz NOT NULL DEFAULT now());"
             " CREATE SCHEMA cli_dead; CREATE TABLE cli_dead.a (id int PRIMARY KEY);"
             " INSERT INTO bfm.ledger VALUES ('01a1fe00-0000-7000-8000-000000000001',"
             " '1_a_postgresql_core', 'cli_dead', '"
                 + reg->find("1_a_postgresql_core")->checksum + "')");
    auto engine = start(two_tables);  // creates the state tables; nothing is queued yet
    const std::string job_id = "01a1fe00-0000-7000-8000-00000000beef";
    exec_sql(state_db,
             "INSERT INTO bfm_jobs (job_id, status, connection, request, targets_total,"
             " submitted_by, execution_method) VALUES ('" + job_id + "', 'running', 'core', '"
                 + bfm::core::job_request_to_json(request({"cli_dead"}))
                 + "', 1, 'test', 'api');"
                   " INSERT INTO bfm_job_targets (job_id, seq, connection, schema, status,"
                   " claimed_by, claim_token, lease_expires_at, attempts) VALUES ('"
                 + job_id + "', 0, 'core', 'cli_dead', 'running', 'dead-replica', 1,"
                            " now() - interval '1 second', 1)");
    auto done = wait_for(*engine, job_id);
    EXPECT_EQ(done.status, job_status::succeeded);
    auto rows = targets(*engine, job_id);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].claimed_by, "replica-a");
    EXPECT_EQ(exec_sql(state_db, "SELECT attempts FROM bfm_job_targets"), "2");
    // 1_a was reconciled (not run again: CREATE TABLE would have failed), 1_b applied, and the
    // run recorded that it skipped 1_a (applied, as the ledger proved).
    EXPECT_EQ(exec_sql(state_db,
                       "SELECT string_agg(action || ':' || migration_id, ',' ORDER BY id)"
                       " FROM bfm_history"),
              "reconcile:1_a_postgresql_core,up:2_b_postgresql_core,skip:1_a_postgresql_core");
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM cli_dead.b"), "1");
}

TEST_F(Jobs, ATransactionOffMigrationResumesAtTheStatementThatFailed) {
    exec_sql(app_db, "CREATE TABLE public.flag (ok int)");
    auto engine = start({{"postgresql/core/1_steps.up.sql",
                          "-- bfm:transaction off\n\nCREATE TABLE first (id int);\n"
                          "INSERT INTO first SELECT 1 / (SELECT count(*)::int FROM public.flag);\n"
                          "CREATE INDEX CONCURRENTLY first_idx ON first (id);\n"}});
    auto failed = run_sync(ioc, engine->migrate_up(request({"cli_steps"})));
    ASSERT_TRUE(failed.value);
    EXPECT_FALSE(failed.value->success());
    EXPECT_EQ(exec_sql(state_db, "SELECT statements_done FROM bfm_statement_progress"), "1");

    exec_sql(app_db, "INSERT INTO public.flag VALUES (1)");
    auto resumed = run_sync(ioc, engine->migrate_up(request({"cli_steps"})));
    ASSERT_TRUE(resumed.value);
    // Statement 1 (CREATE TABLE, no IF NOT EXISTS) did not run again.
    EXPECT_TRUE(resumed.value->success()) << resumed.value->targets[0].error;
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM cli_steps.first"), "1");
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM pg_indexes WHERE indexname = 'first_idx'"),
              "1");
    EXPECT_EQ(exec_sql(state_db, "SELECT count(*) FROM bfm_statement_progress"), "0");
}

}  // namespace
