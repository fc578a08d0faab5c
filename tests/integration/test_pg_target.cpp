// pg::target_session against a real server: the fencing token, statement progress and resume of
// `transaction off` migrations, server-side cancel, and the once-per-pool ledger DDL.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <utility>
#include <vector>

#include "backends/postgresql/pg_target.hpp"
#include "support/pg_test_env.hpp"
#include "support/run_sync.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using bfm::pg::errc;
using bfm::pg::statement_progress;
using bfm::pg::target_session;
using bfm::test::exec_sql;
using bfm::test::run_sync;

namespace {

constexpr const char* db = "bfm_it_target";
using step = std::pair<std::size_t, std::size_t>;  // (index, total) seen by on_statement_done

bfm::core::migration make_migration(const std::string& name, std::string sql,
                                    bool transactional = true) {
    bfm::core::migration m;
    m.id = name + "_postgresql_core";
    m.backend = "postgresql";
    m.connection = "core";
    m.up_sql = std::move(sql);
    m.checksum = "v1:" + name;
    m.up_path = "postgresql/core/" + name + ".up.sql";
    m.transactional = transactional;
    return m;
}

std::string uuid(int n) {
    std::string tail = std::to_string(n);
    return "00000000-0000-7000-8000-" + std::string(12 - tail.size(), '0') + tail;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class PgTarget : public ::testing::Test {
protected:
    void SetUp() override {
        bfm::test::create_test_database(db);
        pool = bfm::pg::pool::create(ioc.get_executor(), bfm::test::pg_params(db), 2);
    }

    std::unique_ptr<target_session> open(const std::string& schema, std::int64_t fence = 0) {
        bfm::pg::target_options options;
        options.lock_timeout = 2s;
        auto s = run_sync(ioc, target_session::open(*pool, schema, options, false));
        EXPECT_TRUE(s) << (s ? "" : s.error().to_string());
        if (!s) return nullptr;
        s.value()->set_fence(fence);
        return std::move(s.value());
    }

    bfm::pg::status apply(target_session& s, const bfm::core::migration& m, int attempt,
                          statement_progress* progress = nullptr) {
        return run_sync(ioc, s.apply(m, m.up_sql, uuid(attempt), progress));
    }

    // One target: opens, applies, closes.
    bfm::pg::status apply_once(const std::string& schema, std::int64_t fence,
                               const bfm::core::migration& m, int attempt) {
        auto s = open(schema, fence);
        if (!s) return bfm::pg::make_client_error(errc::connect_failed, "open failed");
        auto st = apply(*s, m, attempt);
        run_sync(ioc, s->close());
        return st;
    }

    // Runs `m` and, after `delay`, cancels it from another coroutine. Returns the outcome and
    // how long the migration ran on after the cancel was sent.
    std::pair<bfm::pg::status, double> apply_and_cancel(target_session& s,
                                                        const bfm::core::migration& m,
                                                        statement_progress* progress = nullptr,
                                                        std::chrono::milliseconds delay = 300ms) {
        bfm::pg::status outcome;
        double cancel_sent_at = 0;
        const std::string attempt_id = uuid(next_attempt++);
        const auto start = std::chrono::steady_clock::now();
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                outcome = co_await s.apply(m, m.up_sql, attempt_id, progress);
            },
            asio::detached);
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                asio::steady_timer t(ioc, delay);
                co_await t.async_wait(asio::use_awaitable);
                cancel_sent_at = seconds_since(start);
                auto st = co_await s.cancel();
                EXPECT_TRUE(st) << (st ? "" : st.error().to_string());
            },
            asio::detached);
        ioc.restart();
        ioc.run();
        return {outcome, seconds_since(start) - cancel_sent_at};
    }

    static std::string ledger_rows(const std::string& migration_id) {
        return exec_sql(
            db, "SELECT count(*) FROM bfm.ledger WHERE migration_id = '" + migration_id + "'");
    }
    static std::string fence_of(const std::string& schema) {
        return exec_sql(db, "SELECT coalesce((SELECT token::text FROM bfm.fence WHERE schema = '"
                                + schema + "'), 'none')");
    }
    static bool table_exists(const std::string& qualified) {
        return exec_sql(db, "SELECT to_regclass('" + qualified + "') IS NOT NULL") == "t";
    }

    asio::io_context ioc;
    std::shared_ptr<bfm::pg::pool> pool;
    int next_attempt = 1000;
};

TEST_F(PgTarget, StaleFenceIsRefusedAndNothingIsApplied) {
    const auto first = make_migration("1_a", "CREATE TABLE a (id int);");
    const auto second = make_migration("2_b", "CREATE TABLE b (id int);");
    ASSERT_TRUE(apply_once("cli_f", 5, first, 1));
    EXPECT_EQ(fence_of("cli_f"), "5");

    auto stale = apply_once("cli_f", 3, second, 2);
    ASSERT_FALSE(stale);
    EXPECT_TRUE(stale.error().is(errc::lease_lost)) << stale.error().to_string();
    EXPECT_NE(stale.error().to_string().find("fencing token > 3"), std::string::npos)
        << stale.error().to_string();
    EXPECT_NE(stale.error().to_string().find("nothing was applied"), std::string::npos);
    EXPECT_FALSE(table_exists("cli_f.b"));
    EXPECT_EQ(ledger_rows(second.id), "0");
    EXPECT_EQ(fence_of("cli_f"), "5");

    auto newer = apply_once("cli_f", 7, second, 3);
    ASSERT_TRUE(newer) << newer.error().to_string();
    EXPECT_TRUE(table_exists("cli_f.b"));
    EXPECT_EQ(ledger_rows(second.id), "1");
    EXPECT_EQ(fence_of("cli_f"), "7");
}

TEST_F(PgTarget, TheSameTokenKeepsWritingAndFencesArePerSchema) {
    const auto first = make_migration("1_a", "CREATE TABLE a (id int);");
    const auto second = make_migration("2_b", "CREATE TABLE b (id int);");
    auto s = open("cli_x", 4);
    ASSERT_TRUE(apply(*s, first, 1));
    auto again = apply(*s, second, 2);
    EXPECT_TRUE(again) << again.error().to_string();
    run_sync(ioc, s->close());
    auto other = apply_once("cli_y", 1, first, 3);
    EXPECT_TRUE(other) << other.error().to_string();
    EXPECT_EQ(fence_of("cli_x"), "4");
    EXPECT_EQ(fence_of("cli_y"), "1");
}

TEST_F(PgTarget, ANewerHolderBetweenTwoMigrationsStopsTheSecond) {
    // The first migration claims the fence, the second only checks it: the check must see
    // the newer token as well as the claim would have.
    const auto first = make_migration("1_a", "CREATE TABLE a (id int);");
    const auto second = make_migration("2_b", "CREATE TABLE b (id int);");
    auto s = open("cli_n", 4);
    ASSERT_TRUE(apply(*s, first, 1));
    EXPECT_EQ(fence_of("cli_n"), "4");
    exec_sql(db, "UPDATE bfm.fence SET token = 8 WHERE schema = 'cli_n'");
    auto stale = apply(*s, second, 2);
    ASSERT_FALSE(stale);
    EXPECT_TRUE(stale.error().is(errc::lease_lost)) << stale.error().to_string();
    EXPECT_FALSE(table_exists("cli_n.b"));
    EXPECT_EQ(ledger_rows(second.id), "0");
    EXPECT_EQ(fence_of("cli_n"), "8");
    run_sync(ioc, s->close());
}

TEST_F(PgTarget, TokenZeroWritesNoFence) {
    ASSERT_TRUE(apply_once("cli_f", 0, make_migration("1_a", "CREATE TABLE a (id int);"), 1));
    EXPECT_EQ(exec_sql(db, "SELECT count(*) FROM bfm.fence"), "0");
    EXPECT_EQ(ledger_rows("1_a_postgresql_core"), "1");
}

TEST_F(PgTarget, StaleFenceStopsATransactionOffMigrationBeforeItsFirstStatement) {
    ASSERT_TRUE(apply_once("cli_f", 9, make_migration("1_a", "CREATE TABLE a (id int);"), 1));
    const auto off = make_migration(
        "2_idx", "CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_idx ON t (id);\n", false);
    statement_progress progress;
    std::vector<step> done;
    progress.on_statement_done = [&done](std::size_t i, std::size_t n) -> asio::awaitable<void> {
        done.emplace_back(i, n);
        co_return;
    };
    auto s = open("cli_f", 4);
    auto stale = apply(*s, off, 2, &progress);
    ASSERT_FALSE(stale);
    EXPECT_TRUE(stale.error().is(errc::lease_lost)) << stale.error().to_string();
    EXPECT_TRUE(done.empty());
    EXPECT_FALSE(table_exists("cli_f.t"));
    EXPECT_EQ(ledger_rows(off.id), "0");
    EXPECT_EQ(fence_of("cli_f"), "9");

    s->set_fence(9);
    auto current = apply(*s, off, 3, &progress);
    ASSERT_TRUE(current) << current.error().to_string();
    EXPECT_EQ(done, (std::vector<step>{{0, 2}, {1, 2}}));
    EXPECT_TRUE(table_exists("cli_f.t_idx"));
    EXPECT_EQ(ledger_rows(off.id), "1");
    run_sync(ioc, s->close());
}

TEST_F(PgTarget, ATransactionOffMigrationChecksTheFenceAgainAtItsLedgerRow) {
    // A newer holder takes the target while the statements run: the ledger row is refused.
    const auto off =
        make_migration("1_off", "CREATE TABLE t (id int);\nCREATE TABLE u (id int);\n", false);
    statement_progress progress;
    progress.on_statement_done = [](std::size_t i, std::size_t) -> asio::awaitable<void> {
        if (i == 1) exec_sql(db, "UPDATE bfm.fence SET token = 12 WHERE schema = 'cli_f'");
        co_return;
    };
    auto s = open("cli_f", 11);
    auto st = apply(*s, off, 1, &progress);
    ASSERT_FALSE(st);
    EXPECT_TRUE(st.error().is(errc::lease_lost)) << st.error().to_string();
    EXPECT_NE(st.error().to_string().find("no ledger row"), std::string::npos);
    EXPECT_EQ(ledger_rows(off.id), "0");
    EXPECT_EQ(progress.failed_at, statement_progress::npos);
    run_sync(ioc, s->close());
}

TEST_F(PgTarget, ResumeSkipsTheStatementsThatAlreadyRan) {
    const auto off = make_migration(
        "1_r", "CREATE TABLE r (id int);\nINSERT INTO r VALUES (1);\nINSERT INTO r VALUES (2);\n",
        false);
    exec_sql(db, "CREATE SCHEMA cli_r; CREATE TABLE cli_r.r (id int)");  // statement 0 ran before
    auto s = open("cli_r");

    statement_progress rerun;  // proves statement 0 cannot run twice
    auto failed = apply(*s, off, 1, &rerun);
    ASSERT_FALSE(failed);
    EXPECT_TRUE(failed.error().is(errc::duplicate_object)) << failed.error().to_string();
    EXPECT_EQ(rerun.failed_at, 0u);

    statement_progress resume;
    resume.resume_from = 1;
    std::vector<step> done;
    resume.on_statement_done = [&done](std::size_t i, std::size_t n) -> asio::awaitable<void> {
        done.emplace_back(i, n);
        co_return;
    };
    auto st = apply(*s, off, 2, &resume);
    ASSERT_TRUE(st) << st.error().to_string();
    EXPECT_EQ(done, (std::vector<step>{{1, 3}, {2, 3}}));
    EXPECT_EQ(resume.failed_at, statement_progress::npos);
    EXPECT_EQ(exec_sql(db, "SELECT string_agg(id::text, ',' ORDER BY id) FROM cli_r.r"), "1,2");
    EXPECT_EQ(ledger_rows(off.id), "1");
    run_sync(ioc, s->close());
}

TEST_F(PgTarget, ReportsEachFinishedStatementAndTheOneThatFailed) {
    const auto off = make_migration("1_p",
                                    "CREATE TABLE p (id int);\n"
                                    "INSERT INTO p VALUES (1);\n"
                                    "INSERT INTO later VALUES (1);\n"
                                    "INSERT INTO p VALUES (2);\n",
                                    false);
    auto s = open("cli_p");
    statement_progress progress;
    std::vector<step> done;
    progress.on_statement_done = [&done](std::size_t i, std::size_t n) -> asio::awaitable<void> {
        done.emplace_back(i, n);
        co_return;
    };
    auto failed = apply(*s, off, 1, &progress);
    ASSERT_FALSE(failed);
    EXPECT_TRUE(failed.error().is(errc::undefined_table)) << failed.error().to_string();
    EXPECT_NE(failed.error().to_string().find("statement 3 of 4, at line 3"), std::string::npos)
        << failed.error().to_string();
    EXPECT_EQ(progress.failed_at, 2u);
    EXPECT_EQ(done, (std::vector<step>{{0, 4}, {1, 4}}));
    EXPECT_EQ(ledger_rows(off.id), "0");

    exec_sql(db, "CREATE TABLE cli_p.later (id int)");
    done.clear();
    progress.resume_from = progress.failed_at;
    auto resumed = apply(*s, off, 2, &progress);
    ASSERT_TRUE(resumed) << resumed.error().to_string();
    EXPECT_EQ(done, (std::vector<step>{{2, 4}, {3, 4}}));
    EXPECT_EQ(progress.failed_at, statement_progress::npos);
    EXPECT_EQ(exec_sql(db, "SELECT string_agg(id::text, ',' ORDER BY id) FROM cli_p.p"), "1,2");
    run_sync(ioc, s->close());
}

TEST_F(PgTarget, ResumeStillDropsAnInvalidIndexBeforeTheFirstStatementItRuns) {
    // Statements 0 and 1 ran; the unique build (statement 2) failed on duplicates and left an
    // INVALID index, and the duplicates have since been fixed.
    exec_sql(
        db,
        "CREATE SCHEMA cli_u; CREATE TABLE cli_u.u (id int); INSERT INTO cli_u.u VALUES (1), (1)");
    EXPECT_THROW(exec_sql(db, "CREATE UNIQUE INDEX CONCURRENTLY u_idx ON cli_u.u (id)"),
                 std::runtime_error);
    exec_sql(db, "DELETE FROM cli_u.u WHERE ctid <> (SELECT min(ctid) FROM cli_u.u)");
    const auto off = make_migration("1_u",
                                    "CREATE TABLE u (id int);\n"
                                    "INSERT INTO u VALUES (1), (1);\n"
                                    "CREATE UNIQUE INDEX CONCURRENTLY u_idx ON u (id);\n",
                                    false);
    auto s = open("cli_u");
    statement_progress progress;
    progress.resume_from = 2;
    auto st = apply(*s, off, 1, &progress);
    ASSERT_TRUE(st) << st.error().to_string();
    EXPECT_EQ(
        exec_sql(db, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'cli_u.u_idx'::regclass"),
        "t");
    EXPECT_EQ(exec_sql(db, "SELECT count(*) FROM cli_u.u"), "1");
    run_sync(ioc, s->close());
}

TEST_F(PgTarget, CancelStopsTheMigrationInFlightAndRollsItBack) {
    const auto slow = make_migration("1_slow", "CREATE TABLE c1 (id int);\nSELECT pg_sleep(30);\n");
    auto s = open("cli_c", 3);
    ASSERT_FALSE(s->cancelled());
    auto [outcome, after_cancel] = apply_and_cancel(*s, slow);
    ASSERT_FALSE(outcome);
    EXPECT_TRUE(outcome.error().is(errc::query_canceled)) << outcome.error().to_string();
    EXPECT_EQ(outcome.error().diag.sqlstate, "57014");
    EXPECT_LT(after_cancel, 1.0) << "cancel took " << after_cancel << " s";
    EXPECT_TRUE(s->cancelled());
    EXPECT_FALSE(table_exists("cli_c.c1"));
    EXPECT_EQ(ledger_rows(slow.id), "0");
    EXPECT_EQ(fence_of("cli_c"), "none");  // the fence write was rolled back with it

    // The session still reads, refuses to start another migration, and closes cleanly.
    auto entries = run_sync(ioc, s->ledger_entries());
    EXPECT_TRUE(entries) << entries.error().to_string();
    auto refused = apply(*s, make_migration("2_next", "CREATE TABLE c2 (id int);"), 2);
    ASSERT_FALSE(refused);
    EXPECT_TRUE(refused.error().is(errc::query_canceled)) << refused.error().to_string();
    EXPECT_FALSE(table_exists("cli_c.c2"));
    run_sync(ioc, s->close());
    s.reset();

    // Its connection went back to the pool clean and serves the next session.
    EXPECT_EQ(pool->stats().idle, 1u);
    auto st = apply_once("cli_c", 3, make_migration("2_next", "CREATE TABLE c2 (id int);"), 3);
    EXPECT_TRUE(st) << st.error().to_string();
    EXPECT_TRUE(table_exists("cli_c.c2"));
    EXPECT_EQ(pool->stats().opened_total, 1u);
}

TEST_F(PgTarget, ACancelAtAnyMomentLeavesTheMigrationAppliedOrUntouched) {
    const auto quick =
        make_migration("1_quick", "CREATE TABLE q (id int);\nSELECT pg_sleep(0.02);\n");
    int applied = 0;
    const std::vector<int> delays = {0, 1, 2, 4, 8, 12, 16, 18, 19, 20, 21, 22, 23, 24, 30, 45};
    for (int delay_ms : delays) {
        const std::string schema = "cli_q" + std::to_string(delay_ms);
        auto s = open(schema, 1);
        ASSERT_TRUE(s);
        auto outcome = apply_and_cancel(*s, quick, nullptr, std::chrono::milliseconds(delay_ms));
        const bool ok = static_cast<bool>(outcome.first);
        if (!ok) {
            EXPECT_TRUE(outcome.first.error().is(errc::query_canceled))
                << delay_ms << " ms: " << outcome.first.error().to_string();
        }
        applied += ok ? 1 : 0;
        EXPECT_EQ(table_exists(schema + ".q"), ok) << delay_ms << " ms";
        EXPECT_EQ(exec_sql(db, "SELECT count(*) FROM bfm.ledger WHERE schema = '" + schema + "'"),
                  ok ? "1" : "0")
            << delay_ms << " ms";
        run_sync(ioc, s->close());
    }
    EXPECT_LT(applied, static_cast<int>(delays.size())) << "no cancel reached a migration";
    EXPECT_EQ(pool->stats().opened_total, 1u) << "a cancel left a session unusable";
}

TEST_F(PgTarget, CancelOfATransactionOffMigrationNamesTheStatement) {
    const auto slow = make_migration(
        "1_slow", "CREATE TABLE n1 (id int);\nSELECT pg_sleep(30);\nCREATE TABLE n2 (id int);\n",
        false);
    auto s = open("cli_n");
    statement_progress progress;
    auto [outcome, after_cancel] = apply_and_cancel(*s, slow, &progress);
    ASSERT_FALSE(outcome);
    EXPECT_TRUE(outcome.error().is(errc::query_canceled)) << outcome.error().to_string();
    EXPECT_LT(after_cancel, 1.0);
    EXPECT_EQ(progress.failed_at, 1u);
    EXPECT_TRUE(table_exists("cli_n.n1"));  // autocommit: earlier statements stay
    EXPECT_FALSE(table_exists("cli_n.n2"));
    EXPECT_EQ(ledger_rows(slow.id), "0");
    run_sync(ioc, s->close());
    EXPECT_EQ(pool->stats().idle, 1u);
}

TEST_F(PgTarget, CancelBeforeApplyRunsNothing) {
    auto s = open("cli_b");
    auto sent = run_sync(ioc, s->cancel());
    EXPECT_TRUE(sent) << sent.error().to_string();
    auto refused = apply(*s, make_migration("1_a", "CREATE TABLE a (id int);"), 1);
    ASSERT_FALSE(refused);
    EXPECT_TRUE(refused.error().is(errc::query_canceled));
    EXPECT_FALSE(table_exists("cli_b.a"));
    EXPECT_EQ(ledger_rows("1_a_postgresql_core"), "0");
    run_sync(ioc, s->close());
}

TEST_F(PgTarget, CreatesTheLedgerTablesOncePerPool) {
    auto s = open("cli_l");
    ASSERT_TRUE(s);
    EXPECT_TRUE(pool->ledger_ready());
    run_sync(ioc, s->close());
    exec_sql(db, "DROP SCHEMA bfm CASCADE");
    bfm::pg::target_options options;
    auto second = run_sync(ioc, target_session::open(*pool, "cli_l", options, false));
    ASSERT_FALSE(second) << "the ledger is read when the target is locked: a dropped one shows";
    EXPECT_TRUE(second.error().is(bfm::pg::errc::undefined_table)) << second.error().to_string();
    EXPECT_EQ(exec_sql(db, "SELECT to_regnamespace('bfm') IS NULL"), "t")
        << "a second session of the same pool must not run the ledger DDL again";

    pool = bfm::pg::pool::create(ioc.get_executor(), bfm::test::pg_params(db), 1);
    s = open("cli_l");
    run_sync(ioc, s->close());
    EXPECT_EQ(exec_sql(db, "SELECT to_regclass('bfm.fence') IS NOT NULL"), "t");
}

}  // namespace
