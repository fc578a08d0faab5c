// The non-blocking PostgreSQL driver against a real PostgreSQL 15 server.

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "backends/postgresql/pg_connection.hpp"
#include "support/pg_test_env.hpp"
#include "support/run_sync.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using bfm::pg::connection;
using bfm::pg::errc;
using bfm::test::run_sync;

namespace {

class PgConnection : public ::testing::Test {
protected:
    static void SetUpTestSuite() { bfm::test::create_test_database("bfm_it_driver"); }

    bfm::pg::connect_params params() const { return bfm::test::pg_params("bfm_it_driver"); }

    // Opens a connection or fails the test.
    std::unique_ptr<connection> open() {
        auto conn = std::make_unique<connection>(ioc.get_executor());
        auto st = run_sync(ioc, conn->connect(params()));
        EXPECT_TRUE(st) << (st ? "" : st.error().to_string());
        return conn;
    }

    asio::io_context ioc;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

TEST_F(PgConnection, ConnectsAndQueries) {
    auto conn = open();
    ASSERT_TRUE(conn->is_open());
    EXPECT_GT(conn->backend_pid(), 0);
    auto r = run_sync(ioc, conn->query("SELECT 41 + 1 AS answer, NULL::text AS nothing"));
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_EQ(r->size(), 1);
    EXPECT_EQ(r->text(0, r->column("answer")), "42");
    EXPECT_TRUE(r->is_null(0, 1));
}

TEST_F(PgConnection, ResolvesHostNamesBeforeLibpq) {
    auto p = params();
    p.host = "localhost";
    connection conn(ioc.get_executor());
    auto st = run_sync(ioc, conn.connect(p));
    ASSERT_TRUE(st) << st.error().to_string();
    auto r = run_sync(ioc, conn.query("SELECT inet_server_addr()::text"));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_FALSE(r->text(0, 0).empty());
}

TEST_F(PgConnection, RunsMultiStatementScriptsAndReturnsLastRows) {
    auto conn = open();
    auto r = run_sync(ioc, conn->query("DROP TABLE IF EXISTS multi; CREATE TABLE multi (n int);"
                                       "INSERT INTO multi SELECT generate_series(1, 10);"
                                       "SELECT count(*), sum(n) FROM multi"));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->text(0, 0), "10");
    EXPECT_EQ(r->text(0, 1), "55");
}

TEST_F(PgConnection, PreparesAParameterisedStatementOnceAndSurvivesDiscardAll) {
    auto conn = open();
    const std::string sql = "SELECT $1::int * 2";
    auto prepared_count = [&] {
        auto r = run_sync(ioc, conn->query("SELECT count(*) FROM pg_prepared_statements"));
        EXPECT_TRUE(r) << r.error().to_string();
        return r ? r->text(0, 0) : std::string();
    };
    for (int i = 1; i <= 3; ++i) {
        auto r = run_sync(ioc, conn->query(sql, bfm::pg::params(std::to_string(i))));
        ASSERT_TRUE(r) << r.error().to_string();
        EXPECT_EQ(r->text(0, 0), std::to_string(2 * i));
    }
    EXPECT_EQ(prepared_count(), "1") << "three runs of one text, one prepared statement";

    // A migration script may drop every prepared statement of its session.
    ASSERT_TRUE(run_sync(ioc, conn->query("DISCARD ALL")));
    auto again = run_sync(ioc, conn->query(sql, bfm::pg::params("21")));
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_EQ(again->text(0, 0), "42");
    auto later = run_sync(ioc, conn->query(sql, bfm::pg::params("5")));
    ASSERT_TRUE(later) << later.error().to_string();
    EXPECT_EQ(later->text(0, 0), "10");
    EXPECT_EQ(prepared_count(), "1") << "prepared again after DISCARD ALL";
}

TEST_F(PgConnection, ReportsSqlstateAndStaysUsable) {
    auto conn = open();
    auto missing = run_sync(ioc, conn->query("SELECT * FROM no_such_table"));
    ASSERT_FALSE(missing);
    EXPECT_TRUE(missing.error().is(errc::undefined_table));
    EXPECT_EQ(missing.error().diag.sqlstate, "42P01");
    EXPECT_EQ(missing.error().diag.position, 15);
    EXPECT_NE(missing.error().to_string().find("no_such_table"), std::string::npos);

    auto syntax = run_sync(ioc, conn->query("SELEC 1"));
    ASSERT_FALSE(syntax);
    EXPECT_TRUE(syntax.error().is(errc::syntax_error));
    EXPECT_EQ(syntax.error().diag.sqlstate, "42601");

    auto unique = run_sync(ioc, conn->query("CREATE TEMP TABLE u (k int PRIMARY KEY);"
                                            "INSERT INTO u VALUES (1); INSERT INTO u VALUES (1)"));
    ASSERT_FALSE(unique);
    EXPECT_TRUE(unique.error().is(errc::integrity_violation));
    EXPECT_EQ(unique.error().diag.sqlstate, "23505");
    EXPECT_FALSE(unique.error().diag.detail.empty());

    auto after = run_sync(ioc, conn->query("SELECT 'still usable'"));
    ASSERT_TRUE(after) << after.error().to_string();
    EXPECT_EQ(after->text(0, 0), "still usable");
}

TEST_F(PgConnection, ErrorInTheMiddleOfAScriptStopsItAndDrainsResults) {
    auto conn = open();
    ASSERT_TRUE(run_sync(ioc, conn->query("DROP TABLE IF EXISTS mid; CREATE TABLE mid (n int)")));
    auto r = run_sync(ioc, conn->query("INSERT INTO mid VALUES (1); SELECT 1/0;"
                                       "INSERT INTO mid VALUES (2)"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().diag.sqlstate, "22012");  // division_by_zero
    auto count = run_sync(ioc, conn->query("SELECT count(*) FROM mid"));
    ASSERT_TRUE(count) << count.error().to_string();
    // The simple protocol runs the script as one implicit transaction: nothing survived.
    EXPECT_EQ(count->text(0, 0), "0");
}

TEST_F(PgConnection, BindsParametersWithoutInterpolation) {
    auto conn = open();
    const std::string hostile = "'; DROP TABLE pg_class; --\"";
    auto r = run_sync(ioc, conn->query("SELECT $1::text, $2::text IS NULL",
                                       bfm::pg::params(hostile, bfm::pg::param{})));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->text(0, 0), hostile);
    EXPECT_TRUE(r->boolean(0, 1));
}

TEST_F(PgConnection, SendsLargeScriptsThroughTheFlushLoop) {
    auto conn = open();
    std::string script = "DROP TABLE IF EXISTS big; CREATE TABLE big (s text);";
    const std::string row(1000, 'x');
    for (int i = 0; i < 6000; ++i) script += "INSERT INTO big VALUES ('" + row + "');";
    script += "SELECT count(*) FROM big";
    ASSERT_GT(script.size(), 6'000'000u);
    auto r = run_sync(ioc, conn->query(script));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->text(0, 0), "6000");
}

TEST_F(PgConnection, CancelsARunningQueryServerSideWithinOneSecond) {
    auto conn = open();
    bfm::pg::result<bfm::pg::rows> outcome = bfm::pg::rows{};
    const auto start = std::chrono::steady_clock::now();
    double cancel_sent_at = 0;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> { outcome = co_await conn->query("SELECT pg_sleep(30)"); },
        asio::detached);
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            asio::steady_timer t(ioc, 200ms);
            co_await t.async_wait(asio::use_awaitable);
            cancel_sent_at = seconds_since(start);
            auto st = co_await conn->cancel();
            EXPECT_TRUE(st) << (st ? "" : st.error().to_string());
        },
        asio::detached);
    ioc.restart();
    ioc.run();
    const double took = seconds_since(start);
    ASSERT_FALSE(outcome);
    EXPECT_TRUE(outcome.error().is(errc::query_canceled)) << outcome.error().to_string();
    EXPECT_EQ(outcome.error().diag.sqlstate, "57014");
    EXPECT_LT(took - cancel_sent_at, 1.0) << "cancel took " << took - cancel_sent_at << " s";
    auto after = run_sync(ioc, conn->query("SELECT 1"));
    EXPECT_TRUE(after) << "session must survive a cancelled query";
}

TEST_F(PgConnection, ClientDeadlineCancelsAndReportsTimeout) {
    auto conn = open();
    const auto start = std::chrono::steady_clock::now();
    bfm::pg::query_options opts;
    opts.timeout = 300ms;
    auto r = run_sync(ioc, conn->query("SELECT pg_sleep(30)", opts));
    const double took = seconds_since(start);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(errc::query_timeout)) << r.error().to_string();
    EXPECT_LT(took, 1.5);
    EXPECT_TRUE(run_sync(ioc, conn->query("SELECT 1")));
}

TEST_F(PgConnection, ConnectTimesOutAgainstABlackhole) {
    // A loopback listener that never accepts or answers: the TCP handshake may complete (the
    // kernel queues it) but the server never speaks, so only our own deadline ends the wait.
    asio::ip::tcp::acceptor blackhole(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    blackhole.listen(0);
    auto p = params();
    p.port = blackhole.local_endpoint().port();
    p.connect_timeout = 500ms;
    connection conn(ioc.get_executor());
    const auto start = std::chrono::steady_clock::now();
    auto st = run_sync(ioc, conn.connect(p));
    const double took = seconds_since(start);
    ASSERT_FALSE(st);
    EXPECT_TRUE(st.error().is(errc::connect_timeout)) << st.error().to_string();
    EXPECT_GE(took, 0.45);
    EXPECT_LT(took, 1.5);
    EXPECT_FALSE(conn.is_open());
}

TEST_F(PgConnection, ConnectFailsFastWhenNothingListens) {
    asio::ip::tcp::acceptor probe(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = probe.local_endpoint().port();
    probe.close();
    auto p = params();
    p.port = port;
    connection conn(ioc.get_executor());
    const auto start = std::chrono::steady_clock::now();
    auto st = run_sync(ioc, conn.connect(p));
    ASSERT_FALSE(st);
    EXPECT_TRUE(st.error().is(errc::connect_failed)) << st.error().to_string();
    EXPECT_LT(seconds_since(start), 1.0);
}

TEST_F(PgConnection, WrongDatabaseIsAConnectErrorNamingIt) {
    auto p = params();
    p.dbname = "bfm_no_such_database";
    connection conn(ioc.get_executor());
    auto st = run_sync(ioc, conn.connect(p));
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().to_string().find("bfm_no_such_database"), std::string::npos)
        << st.error().to_string();
}

TEST_F(PgConnection, NoticesWhenTheServerTerminatesTheSession) {
    auto conn = open();
    const int pid = conn->backend_pid();
    bfm::test::exec_sql("postgres", "SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
    auto r = run_sync(ioc, conn->query("SELECT 1"));
    ASSERT_FALSE(r);
    EXPECT_FALSE(conn->is_open());
}

}  // namespace
