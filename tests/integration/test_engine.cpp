// The engine end to end below HTTP: loader -> registry -> per-target execution on a real
// PostgreSQL target database, state in a real PostgreSQL state database.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/engine/engine.hpp"
#include "core/loader.hpp"
#include "state/internal_migrations.hpp"
#include "support/pg_test_env.hpp"
#include "support/run_sync.hpp"

namespace asio = boost::asio;
using bfm::core::migration_outcome;
using bfm::test::exec_sql;
using bfm::test::run_sync;

namespace {

constexpr const char* state_db = "bfm_it_engine_state";
constexpr const char* app_db = "bfm_it_engine_app";

bfm::core::app_config make_config() {
    bfm::core::app_config config;
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
    config.lock_timeout = std::chrono::seconds(2);
    return config;
}

bfm::core::registry_ptr make_registry(const std::vector<bfm::core::source_file>& files) {
    auto loaded = bfm::core::load_migrations(files);
    EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.errors.front().to_string());
    return std::make_shared<const bfm::core::registry>(std::move(loaded.migrations));
}

const std::vector<bfm::core::source_file> three_migrations = {
    {"postgresql/core/20250101000000_create_items.up.sql",
     "-- bfm:table items\n\nCREATE TABLE items (id int PRIMARY KEY);\n"},
    {"postgresql/core/20250101000100_add_name.up.sql",
     "-- bfm:table items\n\nALTER TABLE items ADD COLUMN name text;\n"},
    {"postgresql/core/20250101000200_create_tags.up.sql",
     "-- bfm:table tags\n\nCREATE TABLE tags (id int);\n"},
};
const std::string items_id = "20250101000000_create_items_postgresql_core";
const std::string name_id = "20250101000100_add_name_postgresql_core";
const std::string tags_id = "20250101000200_create_tags_postgresql_core";

class Engine : public ::testing::Test {
protected:
    void SetUp() override {
        bfm::test::create_test_database(state_db);
        bfm::test::create_test_database(app_db);
        config = make_config();
    }

    void start(const std::vector<bfm::core::source_file>& files) {
        engine =
            std::make_unique<bfm::core::engine>(ioc.get_executor(), config, make_registry(files));
        auto st = run_sync(ioc, engine->initialize());
        ASSERT_TRUE(st) << st.error().to_string();
    }

    bfm::core::job_request request(std::vector<std::string> schemas, bool dry_run = false) {
        bfm::core::job_request r;
        r.connection = "core";
        r.filter.connection = "core";
        r.schemas = std::move(schemas);
        r.dry_run = dry_run;
        return r;
    }

    bfm::core::run_result migrate(bfm::core::job_request r) {
        auto out = run_sync(ioc, engine->migrate_up(std::move(r)));
        EXPECT_FALSE(out.error) << out.error->message;
        return out.value.value_or(bfm::core::run_result{});
    }

    // One migration that alters public.busy, while `holder` keeps the table locked
    // (ACCESS EXCLUSIVE, in an open transaction) until the test ends it.
    void start_with_busy_table(bfm::pg::connection& holder) {
        start({{"postgresql/core/1_alter.up.sql", "ALTER TABLE public.busy ADD COLUMN c int;\n"}});
        exec_sql(app_db, "CREATE TABLE public.busy (id int)");
        ASSERT_TRUE(run_sync(ioc, holder.connect(bfm::test::pg_params(app_db))));
        ASSERT_TRUE(
            run_sync(ioc, holder.query("BEGIN; LOCK TABLE public.busy IN ACCESS EXCLUSIVE MODE")));
    }

    static std::vector<migration_outcome> outcomes(const bfm::core::target_result& t) {
        std::vector<migration_outcome> out;
        for (const auto& m : t.migrations) out.push_back(m.outcome);
        return out;
    }

    asio::io_context ioc;
    bfm::core::app_config config;
    std::unique_ptr<bfm::core::engine> engine;
};

TEST_F(Engine, AppliesInVersionOrderRecordsStateAndThenSkips) {
    start(three_migrations);
    auto first = migrate(request({"cli_dev_eu"}));
    ASSERT_EQ(first.targets.size(), 1u);
    EXPECT_TRUE(first.success()) << first.targets[0].error;
    EXPECT_EQ(outcomes(first.targets[0]),
              (std::vector{migration_outcome::applied, migration_outcome::applied,
                           migration_outcome::applied}));
    EXPECT_EQ(exec_sql(app_db,
                       "SELECT count(*) FROM information_schema.columns"
                       " WHERE table_schema = 'cli_dev_eu' AND table_name = 'items'"),
              "2");
    EXPECT_EQ(exec_sql(state_db,
                       "SELECT count(*) FROM bfm_migrations WHERE schema = 'cli_dev_eu'"
                       " AND status = 'applied' AND applied_at IS NOT NULL"),
              "3");
    EXPECT_EQ(exec_sql(state_db, "SELECT count(*) FROM bfm_history WHERE status = 'applied'"), "3");
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM bfm.ledger WHERE schema = 'cli_dev_eu'"), "3");

    auto second = migrate(request({"cli_dev_eu"}));
    EXPECT_TRUE(second.success());
    EXPECT_EQ(outcomes(second.targets[0]),
              (std::vector{migration_outcome::skipped, migration_outcome::skipped,
                           migration_outcome::skipped}));
    EXPECT_EQ(exec_sql(state_db, "SELECT count(*) FROM bfm_history"), "3");
}

TEST_F(Engine, StateIsPerTargetEvenForSchemasWithUnderscores) {
    start(three_migrations);
    ASSERT_TRUE(migrate(request({"tenant_1"})).success());
    auto other = migrate(request({"tenant_2"}));
    EXPECT_EQ(outcomes(other.targets[0]),
              (std::vector{migration_outcome::applied, migration_outcome::applied,
                           migration_outcome::applied}));
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM pg_tables WHERE tablename = 'items'"), "2");
}

TEST_F(Engine, AFailedMigrationStopsTheTargetAndIsRecorded) {
    auto files = three_migrations;
    files[1].content =
        "-- bfm:table items\n\nALTER TABLE items\n  ADD COLUMN name text,\n"
        "  ADD COLUMN broken nosuchtype;\n";
    start(files);
    auto run = migrate(request({"cli_x", "cli_y"}));
    EXPECT_FALSE(run.success());
    ASSERT_EQ(run.targets.size(), 2u);
    for (const auto& t : run.targets) {
        ASSERT_EQ(outcomes(t), (std::vector{migration_outcome::applied, migration_outcome::failed}))
            << t.schema;
        const auto& error = t.migrations[1].error;
        EXPECT_NE(error.find("42704"), std::string::npos) << error;  // undefined type
        EXPECT_NE(error.find("line 5"), std::string::npos) << error;
    }
    EXPECT_EQ(exec_sql(state_db,
                       "SELECT status FROM bfm_migrations WHERE schema = 'cli_x'"
                       " AND migration_id = '"
                           + name_id + "'"),
              "failed");
    EXPECT_EQ(exec_sql(state_db, "SELECT count(*) FROM bfm_migrations WHERE migration_id = '"
                                     + tags_id + "'"),
              "0");
    // The failed migration left nothing behind: its transaction, ledger row included, rolled back.
    EXPECT_EQ(exec_sql(app_db,
                       "SELECT count(*) FROM information_schema.columns"
                       " WHERE table_schema = 'cli_x' AND table_name = 'items'"),
              "1");
    EXPECT_EQ(
        exec_sql(app_db, "SELECT count(*) FROM bfm.ledger WHERE migration_id = '" + name_id + "'"),
        "0");
}

TEST_F(Engine, DeletingAStateRowMakesTheMigrationRunAgain) {
    auto files = three_migrations;
    files[0].content = "CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY);\n";
    start(files);
    ASSERT_TRUE(migrate(request({"cli_a"})).success());
    exec_sql(state_db, "DELETE FROM bfm_migrations WHERE migration_id = '" + items_id + "'");
    auto again = migrate(request({"cli_a"}));
    EXPECT_TRUE(again.success());
    EXPECT_EQ(outcomes(again.targets[0]),
              (std::vector{migration_outcome::applied, migration_outcome::skipped,
                           migration_outcome::skipped}));
}

TEST_F(Engine, ReconcilesALostStateWriteFromTheLedgerInsteadOfRunningTwice) {
    start(three_migrations);
    ASSERT_TRUE(migrate(request({"cli_a"})).success());
    // Simulate a crash after the target COMMIT but before the state write.
    exec_sql(state_db, "DELETE FROM bfm_history WHERE migration_id = '" + items_id + "';"
                       "DELETE FROM bfm_migrations WHERE migration_id = '" + items_id + "'");
    // A dry run sees the ledger too, but writes nothing.
    auto dry = migrate(request({"cli_a"}, true));
    EXPECT_EQ(outcomes(dry.targets[0]),
              (std::vector{migration_outcome::skipped, migration_outcome::skipped,
                           migration_outcome::skipped}));
    EXPECT_EQ(exec_sql(state_db, "SELECT count(*) FROM bfm_history WHERE action = 'reconcile'"),
              "0");
    auto again = migrate(request({"cli_a"}));
    // CREATE TABLE items would fail if it ran again; it must be reconciled and skipped.
    EXPECT_TRUE(again.success()) << again.targets[0].error;
    EXPECT_EQ(outcomes(again.targets[0]),
              (std::vector{migration_outcome::skipped, migration_outcome::skipped,
                           migration_outcome::skipped}));
    EXPECT_EQ(exec_sql(state_db,
                       "SELECT status FROM bfm_migrations WHERE migration_id = '" + items_id + "'"),
              "applied");
    EXPECT_EQ(exec_sql(state_db, "SELECT count(*) FROM bfm_history WHERE action = 'reconcile'"),
              "1");
}

TEST_F(Engine, DryRunChangesNothing) {
    start(three_migrations);
    auto run = migrate(request({"cli_dry"}, true));
    EXPECT_TRUE(run.success());
    EXPECT_EQ(outcomes(run.targets[0]),
              (std::vector{migration_outcome::would_apply, migration_outcome::would_apply,
                           migration_outcome::would_apply}));
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'cli_dry'"), "0");
    EXPECT_EQ(exec_sql(state_db, "SELECT count(*) FROM bfm_migrations"), "0");
}

TEST_F(Engine, ADynamicMigrationWithoutASchemaIsATargetErrorNotARun) {
    start(three_migrations);
    auto run = migrate(request({}));
    EXPECT_FALSE(run.success());
    ASSERT_EQ(run.targets.size(), 1u);
    EXPECT_NE(run.targets[0].error.find("dynamic schema"), std::string::npos);
    EXPECT_NE(run.targets[0].error.find("CORE_SCHEMA"), std::string::npos);
    EXPECT_EQ(exec_sql(state_db, "SELECT count(*) FROM bfm_history"), "0");
}

TEST_F(Engine, ConcurrentRequestsForOneTargetApplyEachMigrationOnce) {
    start(three_migrations);
    std::vector<bfm::core::run_result> results;
    std::vector<asio::awaitable<void>> runs;
    for (int i = 0; i < 4; ++i) {
        runs.push_back([](bfm::core::engine& e, bfm::core::job_request req,
                          std::vector<bfm::core::run_result>& out) -> asio::awaitable<void> {
            auto outcome = co_await e.migrate_up(std::move(req));
            out.push_back(*outcome.value);
        }(*engine, request({"cli_race"}), results));
    }
    bfm::test::run_all(ioc, std::move(runs));
    ASSERT_EQ(results.size(), 4u);
    int applied = 0;
    for (const auto& r : results) {
        EXPECT_TRUE(r.success()) << r.targets[0].error;
        for (const auto& m : r.targets[0].migrations) {
            applied += m.outcome == migration_outcome::applied;
        }
    }
    EXPECT_EQ(applied, 3);
    EXPECT_EQ(exec_sql(state_db, "SELECT count(*) FROM bfm_history WHERE status = 'applied'"), "3");
}

TEST_F(Engine, StatementTimeoutStopsARunawayMigration) {
    config.statement_timeout = std::chrono::milliseconds(300);
    start({{"postgresql/core/1_slow.up.sql", "SELECT pg_sleep(10);\n"}});
    const auto begin = std::chrono::steady_clock::now();
    auto run = migrate(request({"cli_slow"}));
    EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(3));
    ASSERT_EQ(outcomes(run.targets[0]), (std::vector{migration_outcome::failed}));
    EXPECT_NE(run.targets[0].migrations[0].error.find("57014"), std::string::npos)
        << run.targets[0].migrations[0].error;
}

TEST_F(Engine, LockTimeoutFailsOnceRetriesAreSpent) {
    config.lock_timeout = std::chrono::milliseconds(300);
    config.retry_max = 1;
    // Another session holds an ACCESS EXCLUSIVE lock while the migration runs.
    bfm::pg::connection holder(ioc.get_executor());
    ASSERT_NO_FATAL_FAILURE(start_with_busy_table(holder));
    auto run = migrate(request({"cli_lock"}));
    ASSERT_EQ(outcomes(run.targets[0]), (std::vector{migration_outcome::failed}));
    EXPECT_NE(run.targets[0].migrations[0].error.find("55P03"), std::string::npos)
        << run.targets[0].migrations[0].error;
    ASSERT_TRUE(run_sync(ioc, holder.query("ROLLBACK")));
}

TEST_F(Engine, RetriesALockTimeoutUntilTheLockIsReleased) {
    config.lock_timeout = std::chrono::milliseconds(200);
    config.retry_max = 8;
    // Another session holds ACCESS EXCLUSIVE on the table for 2 s.
    bfm::pg::connection holder(ioc.get_executor());
    ASSERT_NO_FATAL_FAILURE(start_with_busy_table(holder));
    bfm::core::run_result run;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            asio::steady_timer t(ioc, std::chrono::seconds(2));
            co_await t.async_wait(asio::use_awaitable);
            co_await holder.query("ROLLBACK");
        },
        asio::detached);
    const auto begin = std::chrono::steady_clock::now();
    run = migrate(request({"cli_retry"}));
    EXPECT_GE(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(1900));
    ASSERT_EQ(outcomes(run.targets[0]), (std::vector{migration_outcome::applied}))
        << run.targets[0].migrations[0].error;
    EXPECT_EQ(exec_sql(app_db,
                       "SELECT count(*) FROM information_schema.columns"
                       " WHERE table_name = 'busy' AND column_name = 'c'"),
              "1");
    EXPECT_EQ(exec_sql(state_db, "SELECT count(*) FROM bfm_history"), "1");
}

TEST_F(Engine, InternalMigrationsRunOnceEvenWhenStartedConcurrently) {
    auto registry = make_registry(three_migrations);
    bfm::core::engine a(ioc.get_executor(), config, registry);
    bfm::core::engine b(ioc.get_executor(), config, registry);
    int ok = 0;
    std::vector<asio::awaitable<void>> inits;
    for (auto* e : {&a, &b}) {
        inits.push_back([](bfm::core::engine& en, int& count) -> asio::awaitable<void> {
            count += (co_await en.initialize()).has_value();
        }(*e, ok));
    }
    bfm::test::run_all(ioc, std::move(inits));
    EXPECT_EQ(ok, 2);
    EXPECT_EQ(exec_sql(state_db, "SELECT count(*) FROM bfm_schema_version"),
              std::to_string(bfm::state::internal_migrations("public").size()));
}

}  // namespace
