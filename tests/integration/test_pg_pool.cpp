// The session pool against a real server: reuse, limits, and replacement of dead sessions.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <thread>

#include "backends/postgresql/pg_pool.hpp"
#include "support/pg_test_env.hpp"
#include "support/run_sync.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using bfm::pg::errc;
using bfm::pg::pooled_connection;
using bfm::test::run_sync;

namespace {

class PgPool : public ::testing::Test {
protected:
    static void SetUpTestSuite() { bfm::test::create_test_database("bfm_it_pool"); }

    std::shared_ptr<bfm::pg::pool> make_pool(std::size_t size) {
        return bfm::pg::pool::create(ioc.get_executor(), bfm::test::pg_params("bfm_it_pool"), size);
    }

    pooled_connection acquire(bfm::pg::pool& p, std::chrono::milliseconds wait = 2s) {
        auto c = run_sync(ioc, p.acquire(wait));
        EXPECT_TRUE(c) << (c ? "" : c.error().to_string());
        return c ? std::move(c.value()) : pooled_connection();
    }

    asio::io_context ioc;
};

TEST_F(PgPool, ReusesAReturnedSession) {
    auto pool = make_pool(2);
    int first_pid = 0;
    {
        auto c = acquire(*pool);
        first_pid = c->backend_pid();
    }
    auto c = acquire(*pool);
    EXPECT_EQ(c->backend_pid(), first_pid);
    EXPECT_EQ(pool->stats().opened_total, 1u);
}

TEST_F(PgPool, WaitsForAFreeSessionAndGivesUpAtTheDeadline) {
    auto pool = make_pool(1);
    auto held = acquire(*pool);
    const auto start = std::chrono::steady_clock::now();
    auto second = run_sync(ioc, pool->acquire(200ms));
    ASSERT_FALSE(second);
    EXPECT_TRUE(second.error().is(errc::pool_exhausted)) << second.error().to_string();
    EXPECT_GE(std::chrono::steady_clock::now() - start, 190ms);
    held = pooled_connection();  // give it back
    auto third = acquire(*pool, 200ms);
    EXPECT_TRUE(third);
}

TEST_F(PgPool, ReplacesASessionTheServerClosedWhileIdle) {
    auto pool = make_pool(1);
    int pid = 0;
    {
        auto c = acquire(*pool);
        pid = c->backend_pid();
    }
    bfm::test::exec_sql("postgres", "SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
    // Give the server a moment to send its goodbye and close the socket.
    std::this_thread::sleep_for(100ms);
    auto c = acquire(*pool);
    ASSERT_TRUE(c);
    EXPECT_NE(c->backend_pid(), pid);
    auto r = run_sync(ioc, c->query("SELECT 1"));
    EXPECT_TRUE(r) << (r ? "" : r.error().to_string());
    EXPECT_EQ(pool->stats().opened_total, 2u);
}

TEST_F(PgPool, DropsASessionThatBrokeWhileInUse) {
    auto pool = make_pool(1);
    int pid = 0;
    {
        auto c = acquire(*pool);
        pid = c->backend_pid();
        bfm::test::exec_sql("postgres", "SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
        auto r = run_sync(ioc, c->query("SELECT 1"));
        EXPECT_FALSE(r);
    }
    auto c = acquire(*pool);
    EXPECT_NE(c->backend_pid(), pid);
    EXPECT_TRUE(run_sync(ioc, c->query("SELECT 1")));
}

TEST_F(PgPool, NeverReusesASessionLeftInsideATransaction) {
    auto pool = make_pool(1);
    int pid = 0;
    {
        auto c = acquire(*pool);
        pid = c->backend_pid();
        ASSERT_TRUE(run_sync(ioc, c->query("BEGIN")));
    }
    auto c = acquire(*pool);
    EXPECT_NE(c->backend_pid(), pid);
    EXPECT_FALSE(c->in_transaction());
}

}  // namespace
