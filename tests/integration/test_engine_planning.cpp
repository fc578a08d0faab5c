// Planning through the engine against real PostgreSQL: dependencies across connections and
// tenants, cycles, checksum drift, depends-schema, templates, transaction off, reindex.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/engine/engine.hpp"
#include "core/loader.hpp"
#include "support/pg_test_env.hpp"
#include "support/run_sync.hpp"

namespace asio = boost::asio;
namespace fs = std::filesystem;
using bfm::core::migration_outcome;
using bfm::test::exec_sql;
using bfm::test::run_sync;

namespace {

constexpr const char* state_db = "bfm_it_plan_state";
constexpr const char* app_db = "bfm_it_plan_app";

bfm::core::connection_config connection(const std::string& name, const std::string& schema) {
    const auto p = bfm::test::pg_params(app_db);
    bfm::core::connection_config c;
    c.name = name;
    c.env_prefix = name;
    c.backend = "postgresql";
    c.endpoint = {p.host, p.port, p.user, "", app_db, "disable"};
    c.schema = schema;
    return c;
}

class EnginePlanning : public ::testing::Test {
protected:
    void SetUp() override {
        bfm::test::create_test_database(state_db);
        bfm::test::create_test_database(app_db);
        const auto p = bfm::test::pg_params(state_db);
        config.api_token = "t";
        config.state.endpoint = {p.host, p.port, p.user, "", state_db, "disable"};
        config.connections = {connection("core", "core"), connection("organization", "")};
        root = fs::temp_directory_path() / ("bfm-plan-" + std::to_string(::getpid()));
        fs::remove_all(root);
    }
    void TearDown() override { fs::remove_all(root); }

    void write(const std::string& rel, const std::string& content) {
        fs::create_directories((root / rel).parent_path());
        std::ofstream(root / rel) << content;
    }

    void start() {
        auto loaded = bfm::core::load_migrations_from_directory(root);
        ASSERT_TRUE(loaded.ok()) << loaded.errors.front().to_string();
        engine = std::make_unique<bfm::core::engine>(
            ioc.get_executor(), config,
            std::make_shared<const bfm::core::registry>(std::move(loaded.migrations)),
            bfm::core::registry_source{root.string(), {}});
        auto st = run_sync(ioc, engine->initialize());
        ASSERT_TRUE(st) << st.error().to_string();
    }

    bfm::core::run_result run(const std::string& conn, std::vector<std::string> schemas,
                              bool dry_run = false, bool allow_modified = false) {
        bfm::core::job_request r;
        r.connection = conn;
        r.filter.connection = conn;
        r.schemas = std::move(schemas);
        r.dry_run = dry_run;
        r.allow_modified = allow_modified;
        auto out = run_sync(ioc, engine->migrate_up(std::move(r)));
        EXPECT_FALSE(out.error);
        return out.value.value_or(bfm::core::run_result{});
    }

    static std::vector<std::string> ids(const bfm::core::target_result& t, migration_outcome o) {
        std::vector<std::string> out;
        for (const auto& m : t.migrations) {
            if (m.outcome == o) out.push_back(m.migration_id);
        }
        return out;
    }

    asio::io_context ioc;
    bfm::core::app_config config;
    fs::path root;
    std::unique_ptr<bfm::core::engine> engine;
};

const std::string regions = "20250101000000_create_regions_postgresql_core";
const std::string alerts = "20250102000000_create_alerts_postgresql_organization";

TEST_F(EnginePlanning, PendingDependencyOnAnotherConnectionRunsFirstInItsOwnSchema) {
    write("postgresql/core/20250101000000_create_regions.up.sql",
          "-- bfm:schema core\n\nCREATE TABLE regions (code text PRIMARY KEY);\n");
    write("postgresql/organization/20250102000000_create_alerts.up.sql",
          "-- bfm:depends core:create_regions\n\n"
          "CREATE TABLE alerts (id int, region text REFERENCES core.regions (code));\n");
    start();
    auto result = run("organization", {"cli_a"});
    ASSERT_EQ(result.targets.size(), 1u);
    EXPECT_TRUE(result.success()) << result.targets[0].error;
    EXPECT_EQ(ids(result.targets[0], migration_outcome::applied),
              (std::vector<std::string>{regions, alerts}));
    EXPECT_EQ(exec_sql(state_db,
                       "SELECT connection || '/' || schema FROM bfm_migrations"
                       " WHERE migration_id = '"
                           + regions + "'"),
              "core/core");
    // The second tenant finds the core dependency applied and does not run it again.
    auto second = run("organization", {"cli_b"});
    EXPECT_EQ(ids(second.targets[0], migration_outcome::applied), std::vector<std::string>{alerts});
}

TEST_F(EnginePlanning, ADependencyAppliedForOneTenantDoesNotSatisfyAnother) {
    write("postgresql/organization/1_base.up.sql", "CREATE TABLE base (id int PRIMARY KEY);\n");
    write("postgresql/organization/2_child.up.sql",
          "-- bfm:depends base\n\nCREATE TABLE child (id int REFERENCES base (id));\n");
    start();
    bfm::core::job_request only_base;
    only_base.connection = "organization";
    only_base.filter.connection = "organization";
    only_base.filter.version.version = "1";
    only_base.filter.version.number = 1;
    only_base.schemas = {"tenant_a"};
    ASSERT_TRUE(run_sync(ioc, engine->migrate_up(only_base)).value->success());

    bfm::core::job_request only_child = only_base;
    only_child.filter.version.version = "2";
    only_child.filter.version.number = 2;
    only_child.schemas = {"tenant_b"};
    auto result = *run_sync(ioc, engine->migrate_up(only_child)).value;
    EXPECT_TRUE(result.success()) << result.targets[0].error;
    EXPECT_EQ(ids(result.targets[0], migration_outcome::applied),
              (std::vector<std::string>{"1_base_postgresql_organization",
                                        "2_child_postgresql_organization"}));
}

TEST_F(EnginePlanning, ACycleIsAPlanningErrorAndNothingRuns) {
    write("postgresql/organization/1_a.up.sql", "-- bfm:depends b\n\nCREATE TABLE a (id int);\n");
    write("postgresql/organization/2_b.up.sql", "-- bfm:depends a\n\nCREATE TABLE b (id int);\n");
    start();
    auto result = run("organization", {"cli_cycle"});
    EXPECT_FALSE(result.success());
    EXPECT_NE(result.targets[0].error.find("cycle"), std::string::npos) << result.targets[0].error;
    EXPECT_EQ(exec_sql(state_db, "SELECT count(*) FROM bfm_history"), "0");
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'cli_cycle'"),
              "0");
}

TEST_F(EnginePlanning, AnEditedAppliedMigrationIsRefusedUnlessAllowed) {
    write("postgresql/organization/1_a.up.sql", "CREATE TABLE a (id int);\n");
    start();
    ASSERT_TRUE(run("organization", {"cli_m"}).success());
    write("postgresql/organization/1_a.up.sql", "CREATE TABLE a (id bigint);\n");
    auto reindexed = run_sync(ioc, engine->reindex(""));
    ASSERT_TRUE(reindexed.report);
    EXPECT_EQ(reindexed.report->updated, std::vector<std::string>{"1_a_postgresql_organization"});

    auto refused = run("organization", {"cli_m"});
    EXPECT_FALSE(refused.success());
    EXPECT_NE(refused.targets[0].error.find("checksum"), std::string::npos)
        << refused.targets[0].error;
    auto allowed = run("organization", {"cli_m"}, false, true);
    EXPECT_TRUE(allowed.success()) << allowed.targets[0].error;
    EXPECT_EQ(ids(allowed.targets[0], migration_outcome::skipped),
              std::vector<std::string>{"1_a_postgresql_organization"});
}

TEST_F(EnginePlanning, DependsSchemaMustExistBeforeAnythingRuns) {
    write("postgresql/organization/1_a.up.sql",
          "-- bfm:depends-schema shared\n\nCREATE TABLE a (id int);\n");
    start();
    auto missing = run("organization", {"cli_s"});
    EXPECT_FALSE(missing.success());
    EXPECT_NE(missing.targets[0].error.find("shared"), std::string::npos)
        << missing.targets[0].error;
    EXPECT_EQ(exec_sql(state_db, "SELECT count(*) FROM bfm_history"), "0");
    exec_sql(app_db, "CREATE SCHEMA shared");
    EXPECT_TRUE(run("organization", {"cli_s"}).success());
}

TEST_F(EnginePlanning, TemplatesRenderTheSameInDryRunAndRealRun) {
    write("postgresql/organization/1_a.up.sql",
          "CREATE TABLE a (id int);\n"
          "COMMENT ON TABLE a IS 'schema={{.Schema}} env={{ .environment }} v={{.Version}}';\n");
    start();
    auto dry = run("organization", {"cli_prod_eu"}, true);
    ASSERT_EQ(dry.targets[0].plan.size(), 1u);
    const std::string expected = "schema=cli_prod_eu env=prod_eu v=1";
    EXPECT_NE(dry.targets[0].plan[0].sql.find(expected), std::string::npos)
        << dry.targets[0].plan[0].sql;
    ASSERT_TRUE(run("organization", {"cli_prod_eu"}).success());
    EXPECT_EQ(exec_sql(app_db, "SELECT obj_description('cli_prod_eu.a'::regclass)"), expected);
}

TEST_F(EnginePlanning, TransactionOffRunsStatementsThatRefuseTransactions) {
    write("postgresql/organization/1_a.up.sql", "CREATE TABLE a (id int);\n");
    write("postgresql/organization/2_idx.up.sql",
          "-- bfm:transaction off\n\nCREATE INDEX CONCURRENTLY a_id_idx ON a (id);\n"
          "CREATE INDEX CONCURRENTLY a_id2_idx ON a (id);\n");
    start();
    auto result = run("organization", {"cli_tx"});
    EXPECT_TRUE(result.success()) << (result.targets[0].migrations.empty()
                                          ? result.targets[0].error
                                          : result.targets[0].migrations.back().error);
    EXPECT_EQ(
        exec_sql(app_db,
                 "SELECT count(*) FROM pg_indexes WHERE indexname IN ('a_id_idx', 'a_id2_idx')"
                 " AND schemaname = 'cli_tx'"),
        "2");
}

TEST_F(EnginePlanning, ATransactionOffFailureNamesTheStatementAndLine) {
    write("postgresql/organization/1_a.up.sql",
          "-- bfm:transaction off\n\nCREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY x ON a\n"
          "  (id) WHERE no_such_column > 0;\n");
    start();
    auto result = run("organization", {"cli_txf"});
    ASSERT_FALSE(result.success());
    const auto& error = result.targets[0].migrations.back().error;
    EXPECT_NE(error.find("statement 2 of 2"), std::string::npos) << error;
    EXPECT_NE(error.find("line 5"), std::string::npos) << error;
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'cli_txf'"),
              "1");  // no transaction: the first statement stays, as the message says
}

TEST_F(EnginePlanning, AnInvalidIndexFromAFailedConcurrentBuildIsDroppedBeforeTheRetry) {
    write("postgresql/organization/1_users.up.sql",
          "CREATE TABLE users (email text);\n"
          "INSERT INTO users VALUES ('a@example.com'), ('a@example.com');\n");
    write("postgresql/organization/2_unique.up.sql",
          "-- bfm:transaction off\n\n"
          "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);\n");
    start();
    auto first = run("organization", {"cli_idx"});
    ASSERT_FALSE(first.success());
    const std::string invalid =
        "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'cli_idx'"
        " AND c.relname = 'users_email' AND NOT i.indisvalid";
    ASSERT_EQ(exec_sql(app_db, invalid), "1");  // what PostgreSQL leaves behind

    exec_sql(app_db,
             "DELETE FROM cli_idx.users WHERE ctid IN"
             " (SELECT ctid FROM cli_idx.users LIMIT 1)");
    auto second = run("organization", {"cli_idx"});
    EXPECT_TRUE(second.success()) << second.targets[0].error
                                  << (second.targets[0].migrations.empty()
                                          ? ""
                                          : second.targets[0].migrations.back().error);
    EXPECT_EQ(exec_sql(app_db, invalid), "0");
    EXPECT_EQ(exec_sql(app_db,
                       "SELECT count(*) FROM pg_indexes WHERE schemaname = 'cli_idx'"
                       " AND indexname = 'users_email'"),
              "1");
}

TEST_F(EnginePlanning, ReindexMarksVanishedMigrationsMissingAndKeepsHistory) {
    write("postgresql/organization/1_a.up.sql", "CREATE TABLE a (id int);\n");
    write("postgresql/organization/2_b.up.sql", "CREATE TABLE b (id int);\n");
    start();
    ASSERT_TRUE(run("organization", {"cli_r"}).success());
    fs::remove(root / "postgresql/organization/2_b.up.sql");
    write("postgresql/organization/3_c.up.sql", "CREATE TABLE c (id int);\n");
    auto out = run_sync(ioc, engine->reindex(""));
    ASSERT_TRUE(out.report) << out.error->message;
    EXPECT_EQ(out.report->removed, std::vector<std::string>{"2_b_postgresql_organization"});
    EXPECT_EQ(out.report->added, std::vector<std::string>{"3_c_postgresql_organization"});
    EXPECT_EQ(out.report->total, 2u);
    EXPECT_EQ(exec_sql(state_db,
                       "SELECT status FROM bfm_migrations"
                       " WHERE migration_id = '2_b_postgresql_organization'"),
              "missing");
    EXPECT_EQ(exec_sql(state_db,
                       "SELECT count(*) FROM bfm_history"
                       " WHERE migration_id = '2_b_postgresql_organization'"),
              "1");
    // The file comes back: the row gets its last real status again.
    write("postgresql/organization/2_b.up.sql", "CREATE TABLE b (id int);\n");
    ASSERT_TRUE(run_sync(ioc, engine->reindex("")).report);
    EXPECT_EQ(exec_sql(state_db,
                       "SELECT status FROM bfm_migrations"
                       " WHERE migration_id = '2_b_postgresql_organization'"),
              "applied");
}

TEST_F(EnginePlanning, ReindexRefusesPathsOutsideTheRootAndBrokenTrees) {
    write("postgresql/organization/1_a.up.sql", "CREATE TABLE a (id int);\n");
    start();
    auto outside = run_sync(ioc, engine->reindex((root / "..").string()));
    ASSERT_TRUE(outside.error);
    EXPECT_EQ(outside.error->code, "path_outside_root");
    write("postgresql/organization/2_b.up.sql", "-- bfm:nonsense x\nCREATE TABLE b (id int);\n");
    auto broken = run_sync(ioc, engine->reindex(""));
    ASSERT_TRUE(broken.error);
    EXPECT_EQ(broken.error->code, "load_failed");
    ASSERT_FALSE(broken.error->problems.empty());
    EXPECT_NE(broken.error->problems[0].find("2_b.up.sql:1"), std::string::npos)
        << broken.error->problems[0];
    EXPECT_EQ(engine->current_registry()->size(), 1u);  // the running registry is unchanged
}

TEST_F(EnginePlanning, SchemaSelectorFansOutToTheMatchingSchemasThatExist) {
    write("postgresql/organization/1_a.up.sql", "CREATE TABLE a (id int);\n");
    start();
    exec_sql(app_db, "CREATE SCHEMA cli_sel_1; CREATE SCHEMA cli_sel_2; CREATE SCHEMA other_sel");
    bfm::core::job_request r;
    r.connection = "organization";
    r.filter.connection = "organization";
    r.schema_selector_like = "cli\\_sel\\_%";
    auto result = *run_sync(ioc, engine->migrate_up(r)).value;
    ASSERT_EQ(result.targets.size(), 2u);
    EXPECT_EQ(result.targets[0].schema, "cli_sel_1");
    EXPECT_EQ(result.targets[1].schema, "cli_sel_2");
    EXPECT_TRUE(result.success());
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM pg_tables WHERE tablename = 'a'"), "2");

    r.schema_selector_like = "nothing_matches_%";
    auto none = *run_sync(ioc, engine->migrate_up(r)).value;
    EXPECT_TRUE(none.targets.empty());
    EXPECT_TRUE(none.success());
}

TEST_F(EnginePlanning, OrderBatchOrdersByDependenciesAndResolvesUpstreamIds) {
    write("postgresql/organization/1_a.up.sql", "-- bfm:depends b\n\nSELECT 1;\n");
    write("postgresql/organization/2_b.up.sql", "SELECT 1;\n");
    start();
    auto out = engine->order_batch(
        "organization", {"cli_dev_eu_1_a_postgresql_organization", "2_b_postgresql_organization"});
    ASSERT_FALSE(out.error) << out.error->message;
    EXPECT_EQ(out.ordered_ids,
              (std::vector<std::string>{"2_b_postgresql_organization",
                                        "cli_dev_eu_1_a_postgresql_organization"}));
    auto unknown = engine->order_batch("organization", {"nope"});
    ASSERT_TRUE(unknown.error);
    EXPECT_EQ(unknown.error->code, "unknown_migration");
    auto wrong = engine->order_batch("core", {"2_b_postgresql_organization"});
    ASSERT_TRUE(wrong.error);
    EXPECT_EQ(wrong.error->code, "wrong_connection");
}

}  // namespace
