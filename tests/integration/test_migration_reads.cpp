// The migration read queries on real PostgreSQL, through the engine: detail, status per target
// and over all targets (also after a rollback), applied per target, history newest first with
// totals, executions, skips recorded by runs (and not for targets a job finishes at creation),
// `{schema}_{id}` IDs, migrations whose files are gone, and unknown IDs.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "core/engine/engine.hpp"
#include "core/loader.hpp"
#include "support/pg_test_env.hpp"
#include "support/run_sync.hpp"

using bfm::test::exec_sql;
using bfm::test::run_sync;

namespace {

constexpr const char* state_db = "bfm_it_reads_state";
constexpr const char* app_db = "bfm_it_reads_app";

const std::vector<bfm::core::source_file> files = {
    {"postgresql/core/20250101000000_create_items.up.sql",
     "-- bfm:table items\n-- bfm:tags tier=gold\nCREATE TABLE items (id int PRIMARY KEY);\n"},
    {"postgresql/core/20250101000000_create_items.down.sql", "DROP TABLE items;\n"},
    {"postgresql/core/20250101000100_add_name.up.sql",
     "-- bfm:table items\n-- bfm:depends create_items\nALTER TABLE items ADD COLUMN name text;\n"},
    {"postgresql/core/20250101000200_core_settings.up.sql",
     "-- bfm:schema core_cfg\nCREATE TABLE settings (k text);\n"},
};
const std::string items_id = "20250101000000_create_items_postgresql_core";
const std::string name_id = "20250101000100_add_name_postgresql_core";
const std::string settings_id = "20250101000200_core_settings_postgresql_core";

bfm::core::registry_ptr make_registry(const std::vector<bfm::core::source_file>& source) {
    auto loaded = bfm::core::load_migrations(source);
    EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.errors.front().to_string());
    return std::make_shared<const bfm::core::registry>(std::move(loaded.migrations));
}

class MigrationReads : public ::testing::Test {
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
        config.job_poll_interval = std::chrono::milliseconds(50);
    }

    void start(const std::vector<bfm::core::source_file>& source = files) {
        if (engine) {  // a restart: the old one stops claiming work first
            run_sync(ioc, engine->drain(std::chrono::milliseconds(0)));
            engine->shutdown();
            retired.push_back(std::move(engine));
        }
        engine = std::make_unique<bfm::core::engine>(ioc.get_executor(), config,
                                                     make_registry(source));
        auto st = run_sync(ioc, engine->initialize());
        ASSERT_TRUE(st) << st.error().to_string();
    }

    // Runs an up job (awaited) on `schemas`; `up_to`: only versions <= it.
    bfm::core::run_result up(std::vector<std::string> schemas, std::uint64_t up_to = 0) {
        bfm::core::job_request r;
        r.connection = "core";
        r.filter.connection = "core";
        r.schemas = std::move(schemas);
        if (up_to != 0) {
            r.filter.version.version = std::to_string(up_to);
            r.filter.version.number = up_to;
            r.filter.version.up_to = true;
        }
        auto out = run_sync(ioc, engine->migrate_up(std::move(r)));
        EXPECT_FALSE(out.error) << out.error->message;
        EXPECT_TRUE(out.value && out.value->success());
        return out.value.value_or(bfm::core::run_result{});
    }

    static bfm::core::read_query query(std::string schema = {}, std::size_t limit = 100,
                                       std::size_t offset = 0) {
        bfm::core::read_query q;
        q.schema = std::move(schema);
        q.limit = limit;
        q.offset = offset;
        return q;
    }

    bfm::core::status_report status(const std::string& id, bfm::core::read_query q = query()) {
        auto out = run_sync(ioc, engine->migration_status(id, q));
        EXPECT_FALSE(out.error) << out.error->message;
        return out.value.value_or(bfm::core::status_report{});
    }
    bfm::core::applied_report applied(const std::string& id, bfm::core::read_query q = query()) {
        auto out = run_sync(ioc, engine->migration_applied(id, q));
        EXPECT_FALSE(out.error) << out.error->message;
        return out.value.value_or(bfm::core::applied_report{});
    }
    bfm::core::history_page history(const std::string& id, bfm::core::read_query q = query()) {
        auto out = run_sync(ioc, engine->migration_history(id, q));
        EXPECT_FALSE(out.error) << out.error->message;
        return out.value.value_or(bfm::core::history_page{});
    }
    bfm::core::history_page skipped(const std::string& id, bfm::core::read_query q = query()) {
        auto out = run_sync(ioc, engine->migration_skipped(id, q));
        EXPECT_FALSE(out.error) << out.error->message;
        return out.value.value_or(bfm::core::history_page{});
    }

    // Skip rows of create_items (the fixed settings migration may be skipped in core_cfg too,
    // by whichever tenant's run got there second).
    std::string skip_rows() {
        return exec_sql(state_db, "SELECT count(*) FROM bfm_history WHERE action = 'skip'"
                                  " AND migration_id = '" + items_id + "'");
    }

    void TearDown() override {
        if (engine) engine->shutdown();
    }

    boost::asio::io_context ioc;
    bfm::core::app_config config;
    std::vector<std::unique_ptr<bfm::core::engine>> retired;
    std::unique_ptr<bfm::core::engine> engine;
};

TEST_F(MigrationReads, DetailFromRegistryWithStateOverTargets) {
    start();
    auto before = run_sync(ioc, engine->get_migration(items_id, query()));
    ASSERT_TRUE(before.value) << before.error->message;
    EXPECT_EQ(before.value->migration_id, items_id);
    EXPECT_EQ(before.value->table, "items");
    EXPECT_EQ(before.value->schema, "");
    EXPECT_NE(before.value->up_sql.find("CREATE TABLE items"), std::string::npos);
    ASSERT_TRUE(before.value->down_sql);
    EXPECT_EQ(*before.value->down_sql, "DROP TABLE items;\n");
    ASSERT_EQ(before.value->tags.size(), 1u);
    EXPECT_FALSE(before.value->state.applied);
    EXPECT_EQ(before.value->state.status, "pending");

    up({"cli_a", "cli_b"});
    // An alias resolves to the same migration.
    auto after = run_sync(ioc, engine->get_migration("20250101000000_create_items", query()));
    ASSERT_TRUE(after.value) << after.error->message;
    EXPECT_EQ(after.value->migration_id, items_id);
    EXPECT_TRUE(after.value->state.applied);
    EXPECT_EQ(after.value->state.targets.at("applied"), 2);
    EXPECT_FALSE(after.value->state.applied_at.empty());

    auto dependent = run_sync(ioc, engine->get_migration(name_id, query()));
    ASSERT_TRUE(dependent.value);
    ASSERT_EQ(dependent.value->dependencies.size(), 1u);
    EXPECT_EQ(dependent.value->dependencies[0].target, "create_items");

    // A tenant it never ran on.
    auto elsewhere = run_sync(ioc, engine->get_migration(items_id, query("cli_c")));
    ASSERT_TRUE(elsewhere.value);
    EXPECT_FALSE(elsewhere.value->state.applied);
    EXPECT_EQ(elsewhere.value->state.status, "pending");
}

TEST_F(MigrationReads, StatusIsRightAfterARollback) {
    start();
    up({"cli_a", "cli_b"});
    EXPECT_TRUE(status(items_id).state.applied);
    // What a successful rollback leaves (SPEC 3): the state row says rolled_back.
    exec_sql(state_db, "UPDATE bfm_migrations SET status = 'rolled_back' WHERE migration_id = '"
                           + items_id + "' AND schema = 'cli_b'");

    auto all = status(items_id);
    EXPECT_EQ(all.state.status, "rolled_back");
    EXPECT_FALSE(all.state.applied);
    EXPECT_TRUE(all.state.applied_at.empty());
    EXPECT_EQ(all.state.schema, "");
    EXPECT_EQ(all.state.targets.at("applied"), 1);
    EXPECT_EQ(all.state.targets.at("rolled_back"), 1);

    auto a = status(items_id, query("cli_a"));
    EXPECT_EQ(a.state.status, "applied");
    EXPECT_TRUE(a.state.applied);
    EXPECT_FALSE(a.state.applied_at.empty());

    // Upstream's `{schema}_{id}` names the target; a schema with '_' is not cut at the first one.
    auto b = status("cli_b_" + items_id);
    EXPECT_EQ(b.migration_id, items_id);
    EXPECT_EQ(b.state.schema, "cli_b");
    EXPECT_EQ(b.state.status, "rolled_back");
    EXPECT_FALSE(b.state.applied);
}

TEST_F(MigrationReads, FailedStatusCarriesItsError) {
    start();
    up({"cli_a"});
    exec_sql(state_db, "UPDATE bfm_migrations SET status = 'failed', error_message = 'boom'"
                       " WHERE migration_id = '" + name_id + "'");
    auto s = status(name_id, query("cli_a"));
    EXPECT_EQ(s.state.status, "failed");
    EXPECT_EQ(s.state.error_message, "boom");
}

TEST_F(MigrationReads, AppliedAnswersPerTarget) {
    start();
    up({"cli_b", "cli_a"});
    auto both = applied(items_id);
    EXPECT_TRUE(both.applied);
    EXPECT_EQ(both.total, 2u);
    ASSERT_EQ(both.targets.size(), 2u);
    EXPECT_EQ(both.targets[0].schema, "cli_a");
    EXPECT_EQ(both.targets[1].schema, "cli_b");
    EXPECT_EQ(both.targets[1].status, "applied");
    EXPECT_FALSE(both.targets[1].created_at.empty());

    auto page = applied(items_id, query("", 1, 1));
    EXPECT_EQ(page.total, 2u);
    ASSERT_EQ(page.targets.size(), 1u);
    EXPECT_EQ(page.targets[0].schema, "cli_b");

    auto a = applied(items_id, query("cli_a"));
    EXPECT_TRUE(a.applied);
    ASSERT_EQ(a.targets.size(), 1u);

    // Not applied on a tenant it never ran on, although other tenants have it (upstream's
    // one-row check said true here).
    auto c = applied(items_id, query("cli_c"));
    EXPECT_FALSE(c.applied);
    EXPECT_EQ(c.total, 1u);
    ASSERT_EQ(c.targets.size(), 1u);
    EXPECT_EQ(c.targets[0].schema, "cli_c");
    EXPECT_EQ(c.targets[0].status, "pending");
    EXPECT_FALSE(c.targets[0].recorded);

    auto other_connection = query("cli_a");
    other_connection.connection = "guard";
    auto g = applied(items_id, other_connection);
    EXPECT_FALSE(g.applied);
    EXPECT_EQ(g.total, 0u);

    exec_sql(state_db, "UPDATE bfm_migrations SET status = 'rolled_back' WHERE schema = 'cli_b'");
    EXPECT_FALSE(applied(items_id).applied);
    EXPECT_TRUE(applied(items_id, query("cli_a")).applied);

    // A fixed migration is about its declared schema without being told.
    auto fixed = applied(settings_id);
    EXPECT_TRUE(fixed.applied);
    ASSERT_EQ(fixed.targets.size(), 1u);
    EXPECT_EQ(fixed.targets[0].schema, "core_cfg");
}

TEST_F(MigrationReads, HistoryNewestFirstWithTotals) {
    start();
    up({"cli_a"});
    up({"cli_b"});
    auto all = history(items_id);
    EXPECT_EQ(all.total, 2u);
    ASSERT_EQ(all.items.size(), 2u);
    EXPECT_EQ(all.items[0].schema, "cli_b");
    EXPECT_EQ(all.items[1].schema, "cli_a");
    EXPECT_GT(all.items[0].id, all.items[1].id);
    EXPECT_EQ(all.items[0].action, "up");
    EXPECT_EQ(all.items[0].status, "applied");
    EXPECT_EQ(all.items[0].table, "items");
    EXPECT_FALSE(all.items[0].job_id.empty());
    EXPECT_FALSE(all.items[0].execution_context.empty());

    auto second = history(items_id, query("", 1, 1));
    EXPECT_EQ(second.total, 2u);
    ASSERT_EQ(second.items.size(), 1u);
    EXPECT_EQ(second.items[0].schema, "cli_a");

    auto past_end = history(items_id, query("", 10, 5));
    EXPECT_EQ(past_end.total, 2u);
    EXPECT_TRUE(past_end.items.empty());

    auto only_b = history(items_id, query("cli_b"));
    EXPECT_EQ(only_b.total, 1u);
    auto via_id = history("cli_a_" + items_id);
    ASSERT_EQ(via_id.total, 1u);
    EXPECT_EQ(via_id.items[0].schema, "cli_a");
}

TEST_F(MigrationReads, SkipsAreRecordedOncePerRunNotForNoOpTargets) {
    start();
    up({"cli_a", "cli_b"}, 20250101000000);  // create_items only
    EXPECT_EQ(skip_rows(), "0");
    // Now add_name runs on both; create_items is skipped there (already applied), and the
    // fixed settings migration runs in core_cfg.
    up({"cli_a", "cli_b"});
    EXPECT_EQ(skip_rows(), "2");
    auto skips = skipped(items_id);
    EXPECT_EQ(skips.total, 2u);
    ASSERT_EQ(skips.items.size(), 2u);
    EXPECT_EQ(skips.items[0].action, "skip");
    EXPECT_EQ(skips.items[0].skip_reason, "already applied");
    EXPECT_FALSE(skips.items[0].job_id.empty());
    EXPECT_EQ(skips.items[0].table, "items");
    // Skip rows change no state and stay out of the plain history.
    EXPECT_TRUE(applied(items_id).applied);
    EXPECT_EQ(history(items_id).total, 2u);
    bfm::core::read_query only_skips = query();
    only_skips.action = "skip";
    EXPECT_EQ(history(items_id, only_skips).total, 2u);

    // Everything applied: the job finishes these targets at creation, counted in the job only.
    up({"cli_a", "cli_b"});
    EXPECT_EQ(skip_rows(), "2");

    auto recent = run_sync(ioc, engine->recent_skipped(query("cli_b")));
    ASSERT_TRUE(recent.value);
    EXPECT_EQ(recent.value->total, 1u);
    EXPECT_EQ(recent.value->items.at(0).migration_id, items_id);
    auto one = skipped(items_id, query("", 1, 0));
    EXPECT_EQ(one.total, 2u);
    EXPECT_EQ(one.items.size(), 1u);
}

TEST_F(MigrationReads, ExecutionsAreStateRowsNewestFirst) {
    start();
    up({"cli_a"});
    up({"cli_b"});
    auto out = run_sync(ioc, engine->migration_executions(items_id, query()));
    ASSERT_TRUE(out.value) << out.error->message;
    EXPECT_EQ(out.value->total, 2u);
    ASSERT_EQ(out.value->items.size(), 2u);
    EXPECT_EQ(out.value->items[0].schema, "cli_b");
    EXPECT_EQ(out.value->items[0].status, "applied");
    EXPECT_FALSE(out.value->items[0].created_at.empty());

    auto recent = run_sync(ioc, engine->recent_executions(query("", 2, 0)));
    ASSERT_TRUE(recent.value);
    // items and add_name on two tenants, settings once in core_cfg.
    EXPECT_EQ(recent.value->total, 5u);
    EXPECT_EQ(recent.value->items.size(), 2u);
    EXPECT_GE(recent.value->items[0].updated_at, recent.value->items[1].updated_at);
}

TEST_F(MigrationReads, MigrationWhoseFilesAreGoneIsStillReadable) {
    start();
    up({"cli_a"});
    std::vector<bfm::core::source_file> without_settings(files.begin(), files.end() - 1);
    start(without_settings);  // initialize() marks its rows `missing`
    auto d = run_sync(ioc, engine->get_migration(settings_id, query()));
    ASSERT_TRUE(d.value) << d.error->message;
    EXPECT_FALSE(d.value->known);
    EXPECT_EQ(d.value->version, "20250101000200");
    EXPECT_EQ(d.value->state.status, "missing");
    EXPECT_FALSE(d.value->state.applied);
    EXPECT_EQ(history(settings_id).total, 1u);
}

TEST_F(MigrationReads, UnknownIdsAndConflictingSchemas) {
    start();
    auto unknown = run_sync(ioc, engine->migration_status("nope", query()));
    ASSERT_TRUE(unknown.error);
    EXPECT_EQ(unknown.error->code, "migration_not_found");
    auto also = run_sync(ioc, engine->migration_history("cli_a_nope", query()));
    ASSERT_TRUE(also.error);
    EXPECT_EQ(also.error->code, "migration_not_found");

    auto conflict = run_sync(ioc, engine->migration_status("cli_a_" + items_id, query("cli_b")));
    ASSERT_TRUE(conflict.error);
    EXPECT_EQ(conflict.error->code, "schema_conflict");
    // The same schema twice is no conflict.
    auto same = run_sync(ioc, engine->migration_status("cli_a_" + items_id, query("cli_a")));
    EXPECT_FALSE(same.error);
}

}  // namespace
