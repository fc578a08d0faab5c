// Down, rollback and the operator fixes through the engine (SPEC 3) on a real PostgreSQL target
// and state database: reverse order, dependents refused or cascaded, state `rolled_back` so that
// a later up applies again, a failed revert leaves `applied`, a revert whose state write was
// lost is reconciled from the target's ledger; baseline, force and repair change recorded
// state only, with their reason in history.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "core/engine/engine.hpp"
#include "core/loader.hpp"
#include "support/pg_test_env.hpp"
#include "support/run_sync.hpp"

namespace asio = boost::asio;
using bfm::core::job_kind;
using bfm::core::migration_outcome;
using bfm::test::exec_sql;
using bfm::test::run_sync;

namespace {

constexpr const char* state_db = "bfm_it_revert_state";
constexpr const char* app_db = "bfm_it_revert_app";

const std::string items_id = "1_create_items_postgresql_core";
const std::string name_id = "2_add_name_postgresql_core";
const std::string tags_id = "3_create_tags_postgresql_core";

// items <- name (depends on items); tags independent; every one has a down script.
const std::vector<bfm::core::source_file> files = {
    {"postgresql/core/1_create_items.up.sql", "CREATE TABLE items (id int PRIMARY KEY);\n"},
    {"postgresql/core/1_create_items.down.sql", "DROP TABLE items;\n"},
    {"postgresql/core/2_add_name.up.sql",
     "-- bfm:depends create_items\nALTER TABLE items ADD COLUMN name text;\n"},
    {"postgresql/core/2_add_name.down.sql", "ALTER TABLE items DROP COLUMN name;\n"},
    {"postgresql/core/3_create_tags.up.sql", "CREATE TABLE tags (id int);\n"},
    {"postgresql/core/3_create_tags.down.sql", "DROP TABLE tags;\n"},
};

class EngineRevert : public ::testing::Test {
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
        config.connections.push_back(core);
    }

    void start(std::vector<bfm::core::source_file> tree = files, bool apply = true) {
        auto loaded = bfm::core::load_migrations(tree);
        ASSERT_TRUE(loaded.ok()) << loaded.errors.front().to_string();
        engine = std::make_unique<bfm::core::engine>(
            ioc.get_executor(), config,
            std::make_shared<const bfm::core::registry>(std::move(loaded.migrations)));
        auto st = run_sync(ioc, engine->initialize());
        ASSERT_TRUE(st) << st.error().to_string();
        if (!apply) return;
        auto up = run(request(job_kind::up));
        ASSERT_TRUE(up.success()) << up.targets.at(0).error;
    }

    bfm::core::job_request fix(job_kind kind, std::string reason = "ticket OPS-42") {
        auto r = request(kind);
        r.fix.reason = std::move(reason);
        return r;
    }

    std::string last_history(const std::string& id) {
        return exec_sql(state_db, "SELECT action || ':' || status || ':' ||"
                                  " coalesce(execution_context->>'reason', '') FROM bfm_history"
                                  " WHERE schema = 'cli_a' AND migration_id = '" + id
                                      + "' ORDER BY id DESC LIMIT 1");
    }

    bfm::core::job_request request(job_kind kind) {
        bfm::core::job_request r;
        r.kind = kind;
        r.connection = "core";
        r.filter.connection = "core";
        r.schemas = {"cli_a"};
        return r;
    }

    bfm::core::run_result run(bfm::core::job_request r) {
        auto out = run_sync(ioc, engine->migrate_up(std::move(r)));
        EXPECT_FALSE(out.error) << out.error->message;
        return out.value.value_or(bfm::core::run_result{});
    }

    static std::vector<std::pair<std::string, migration_outcome>> outcomes(
        const bfm::core::run_result& r) {
        std::vector<std::pair<std::string, migration_outcome>> out;
        for (const auto& m : r.targets.at(0).migrations) out.emplace_back(m.migration_id, m.outcome);
        return out;
    }

    std::string state_of(const std::string& id) {
        return exec_sql(state_db, "SELECT status FROM bfm_migrations WHERE schema = 'cli_a'"
                                  " AND migration_id = '" + id + "'");
    }

    std::string table_exists(const std::string& table) {
        return exec_sql(app_db, "SELECT to_regclass('cli_a." + table + "') IS NOT NULL");
    }

    asio::io_context ioc;
    bfm::core::app_config config;
    std::unique_ptr<bfm::core::engine> engine;
};

TEST_F(EngineRevert, DownByStepsRevertsTheNewestAndALaterUpAppliesItAgain) {
    start();
    auto down = request(job_kind::down);
    down.revert.steps = 1;
    auto reverted = run(down);
    ASSERT_TRUE(reverted.success()) << reverted.targets.at(0).error;
    EXPECT_EQ(outcomes(reverted), (std::vector<std::pair<std::string, migration_outcome>>{
                                      {tags_id, migration_outcome::rolled_back}}));
    EXPECT_EQ(table_exists("tags"), "f");
    EXPECT_EQ(state_of(tags_id), "rolled_back");
    EXPECT_EQ(state_of(items_id), "applied");
    EXPECT_EQ(exec_sql(state_db, "SELECT action || ':' || status FROM bfm_history"
                                 " WHERE migration_id = '" + tags_id + "' ORDER BY id DESC LIMIT 1"),
              "down:rolled_back");
    // The ledger says so too: the up row is gone, a revert row took its place.
    EXPECT_EQ(exec_sql(app_db, "SELECT string_agg(left(checksum, 12), ',') FROM bfm.ledger"
                               " WHERE schema = 'cli_a' AND migration_id = '" + tags_id + "'"),
              "rolled_back:");

    auto again = run(request(job_kind::up));
    ASSERT_TRUE(again.success());
    EXPECT_EQ(outcomes(again), (std::vector<std::pair<std::string, migration_outcome>>{
                                   {items_id, migration_outcome::skipped},
                                   {name_id, migration_outcome::skipped},
                                   {tags_id, migration_outcome::applied}}));
    EXPECT_EQ(table_exists("tags"), "t");
    EXPECT_EQ(state_of(tags_id), "applied");
}

TEST_F(EngineRevert, RollingBackADependencyIsRefusedUnlessCascade) {
    start();
    auto rollback = request(job_kind::rollback);
    rollback.revert.migration_ids = {items_id};
    auto refused = run(rollback);
    EXPECT_FALSE(refused.success());
    EXPECT_NE(refused.targets.at(0).error.find(name_id + " depends on it"), std::string::npos)
        << refused.targets.at(0).error;
    EXPECT_EQ(table_exists("items"), "t");
    EXPECT_EQ(state_of(items_id), "applied");

    rollback.revert.cascade = true;
    auto cascaded = run(rollback);
    ASSERT_TRUE(cascaded.success()) << cascaded.targets.at(0).error;
    EXPECT_EQ(outcomes(cascaded), (std::vector<std::pair<std::string, migration_outcome>>{
                                      {name_id, migration_outcome::rolled_back},
                                      {items_id, migration_outcome::rolled_back}}));
    EXPECT_EQ(table_exists("items"), "f");
    EXPECT_EQ(state_of(name_id), "rolled_back");
    EXPECT_EQ(state_of(tags_id), "applied");
}

TEST_F(EngineRevert, AFailedRollbackLeavesTheMigrationApplied) {
    auto broken = files;
    broken[5].content = "DROP TABLE tags;\nDROP TABLE no_such_table;\n";
    start(broken);
    auto rollback = request(job_kind::rollback);
    rollback.revert.migration_ids = {tags_id};
    auto failed = run(rollback);
    EXPECT_FALSE(failed.success());
    EXPECT_EQ(outcomes(failed), (std::vector<std::pair<std::string, migration_outcome>>{
                                    {tags_id, migration_outcome::failed}}));
    EXPECT_EQ(table_exists("tags"), "t") << "the down ran in a transaction that was rolled back";
    EXPECT_EQ(state_of(tags_id), "applied");
    EXPECT_EQ(exec_sql(state_db, "SELECT action || ':' || status FROM bfm_history"
                                 " WHERE migration_id = '" + tags_id + "' ORDER BY id DESC LIMIT 1"),
              "rollback:failed");
}

TEST_F(EngineRevert, ARevertWhoseStateWriteWasLostIsReconciledFromTheLedger) {
    start();
    auto rollback = request(job_kind::rollback);
    rollback.revert.migration_ids = {tags_id};
    ASSERT_TRUE(run(rollback).success());
    // As if bfm had died between the revert's COMMIT and its state write.
    exec_sql(state_db, "DELETE FROM bfm_history WHERE action = 'rollback'");
    exec_sql(state_db, "UPDATE bfm_migrations SET status = 'applied' WHERE migration_id = '"
                           + tags_id + "'");

    // Running the rollback again (as the job's retry would) finds the revert in the ledger.
    auto again = run(rollback);
    ASSERT_TRUE(again.success()) << again.targets.at(0).error;
    EXPECT_EQ(outcomes(again), (std::vector<std::pair<std::string, migration_outcome>>{
                                   {tags_id, migration_outcome::skipped}}))
        << "not reverted twice";
    EXPECT_EQ(state_of(tags_id), "rolled_back");
    EXPECT_EQ(exec_sql(state_db, "SELECT count(*) FROM bfm_history WHERE action = 'reconcile'"
                                 " AND status = 'rolled_back' AND migration_id = '" + tags_id + "'"),
              "1");
    auto up = run(request(job_kind::up));
    ASSERT_TRUE(up.success()) << up.targets.at(0).error;
    EXPECT_EQ(outcomes(up).back(), std::make_pair(tags_id, migration_outcome::applied));
    EXPECT_EQ(table_exists("tags"), "t");
}

TEST_F(EngineRevert, ADryRunDownShowsWhatWouldBeRevertedAndChangesNothing) {
    start();
    auto down = request(job_kind::down);
    down.revert.to_version = "1";
    down.dry_run = true;
    auto planned = run(down);
    ASSERT_TRUE(planned.success()) << planned.targets.at(0).error;
    EXPECT_EQ(outcomes(planned), (std::vector<std::pair<std::string, migration_outcome>>{
                                     {tags_id, migration_outcome::would_roll_back},
                                     {name_id, migration_outcome::would_roll_back}}));
    EXPECT_EQ(table_exists("tags"), "t");
    EXPECT_EQ(state_of(tags_id), "applied");
}

TEST_F(EngineRevert, BaselineMarksMigrationsUpToAVersionAppliedWithoutRunningThem) {
    start(files, false);
    auto baseline = fix(job_kind::baseline);
    baseline.fix.to_version = "2";
    auto marked = run(baseline);
    ASSERT_TRUE(marked.success()) << marked.targets.at(0).error;
    EXPECT_EQ(marked.targets.at(0).migrations.size(), 2u);
    EXPECT_EQ(state_of(items_id), "applied");
    EXPECT_EQ(state_of(name_id), "applied");
    EXPECT_EQ(state_of(tags_id), "");
    EXPECT_EQ(table_exists("items"), "f") << "a baseline runs nothing";
    EXPECT_EQ(last_history(items_id), "baseline:applied:ticket OPS-42");

    exec_sql(app_db, "CREATE SCHEMA cli_a; CREATE TABLE cli_a.items (id int PRIMARY KEY, name text)");
    auto up = run(request(job_kind::up));
    ASSERT_TRUE(up.success()) << up.targets.at(0).error;
    EXPECT_EQ(outcomes(up), (std::vector<std::pair<std::string, migration_outcome>>{
                                {items_id, migration_outcome::skipped},
                                {name_id, migration_outcome::skipped},
                                {tags_id, migration_outcome::applied}}));
}

TEST_F(EngineRevert, ForceSetsOneMigrationsStateAndRecordsWhy) {
    start();
    auto force = fix(job_kind::force, "restored from backup");
    force.fix.migration_id = tags_id;
    force.fix.status = "failed";
    ASSERT_TRUE(run(force).success());
    EXPECT_EQ(state_of(tags_id), "failed");
    EXPECT_EQ(state_of(items_id), "applied");
    EXPECT_EQ(last_history(tags_id), "force:failed:restored from backup");
    EXPECT_EQ(table_exists("tags"), "t") << "a force runs nothing";
}

TEST_F(EngineRevert, RepairClearsFailuresAndAcceptsChangedFiles) {
    start();
    // As if tags had failed, and items' file had been edited after it was applied.
    exec_sql(state_db, "UPDATE bfm_migrations SET status = 'failed' WHERE migration_id = '"
                           + tags_id + "'");
    exec_sql(app_db, "DROP TABLE cli_a.tags");
    exec_sql(state_db, "UPDATE bfm_migrations SET checksum = 'v1:before-the-edit'"
                       " WHERE migration_id = '" + items_id + "'");
    auto refused = run(request(job_kind::up));
    EXPECT_FALSE(refused.success()) << "an applied migration whose file changed is refused";

    auto repaired = run(fix(job_kind::repair));
    ASSERT_TRUE(repaired.success()) << repaired.targets.at(0).error;
    EXPECT_EQ(state_of(tags_id), "pending");
    EXPECT_EQ(last_history(tags_id), "repair:pending:ticket OPS-42");
    EXPECT_EQ(last_history(items_id), "repair:applied:ticket OPS-42");
    EXPECT_NE(exec_sql(state_db, "SELECT checksum FROM bfm_migrations WHERE migration_id = '"
                                     + items_id + "'"),
              "v1:before-the-edit");
    auto after = run(request(job_kind::up));
    ASSERT_TRUE(after.success()) << after.targets.at(0).error;
    EXPECT_EQ(outcomes(after).back(), std::make_pair(tags_id, migration_outcome::applied));
}

}  // namespace
