// Pure job logic: the stored request round trip, the final status rule, the summary cache and
// the event bus.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <thread>

#include "core/engine/job_cache.hpp"
#include "core/jobs/event_bus.hpp"
#include "core/jobs/job_request_json.hpp"
#include "state/job_store.hpp"

namespace {

using bfm::core::job_status;

TEST(JobRequestJson, RoundTripsEveryField) {
    bfm::core::job_request r;
    r.connection = "core";
    r.filter.connection = "core";
    r.filter.backend = "postgresql";
    r.filter.schema = "guard";
    r.filter.tables = {"users", "orders"};
    r.filter.version = {"<=20250101000000", true, 20250101000000ULL};
    r.filter.tags = {{"team", "billing"}, {"env", "prod"}};
    r.schemas = {"cli_a", "cli_b"};
    r.ignore_dependencies = true;
    r.allow_modified = true;
    r.strict_order = true;
    r.environment = "dev";
    r.schema_selector_like = "cli_%";
    r.origin.method = bfm::core::execution_method::grpc;
    r.origin.executed_by = "ops";
    r.origin.context_json = R"({"endpoint":"/x"})";

    std::string error;
    auto back = bfm::core::job_request_from_json(bfm::core::job_request_to_json(r), error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(back->connection, "core");
    EXPECT_EQ(back->filter.backend, "postgresql");
    EXPECT_EQ(back->filter.schema, "guard");
    EXPECT_EQ(back->filter.tables, r.filter.tables);
    EXPECT_EQ(back->filter.version.version, "<=20250101000000");
    EXPECT_TRUE(back->filter.version.up_to);
    EXPECT_EQ(back->filter.version.number, 20250101000000ULL);
    EXPECT_EQ(back->filter.tags, r.filter.tags);
    EXPECT_EQ(back->schemas, r.schemas);
    EXPECT_TRUE(back->ignore_dependencies);
    EXPECT_TRUE(back->allow_modified);
    EXPECT_TRUE(back->strict_order);
    EXPECT_EQ(back->environment, "dev");
    EXPECT_EQ(back->schema_selector_like, "cli_%");
    EXPECT_EQ(back->origin.method, bfm::core::execution_method::grpc);
    EXPECT_EQ(back->origin.executed_by, "ops");
    EXPECT_EQ(back->origin.context_json, R"({"endpoint":"/x"})");
}

TEST(JobRequestJson, RefusesWhatItDoesNotUnderstand) {
    std::string error;
    EXPECT_FALSE(bfm::core::job_request_from_json("not json", error));
    EXPECT_NE(error.find("malformed"), std::string::npos) << error;
    EXPECT_FALSE(bfm::core::job_request_from_json(R"({"v":2})", error));
    EXPECT_NE(error.find("format version"), std::string::npos) << error;
}

bfm::core::job_counts counts(int total, int done, int failed) {
    bfm::core::job_counts c;
    c.targets_total = total;
    c.targets_done = done;
    c.targets_failed = failed;
    return c;
}

TEST(JobStatusRule, DecidesTheFinalStatusFromCountsCancelAndStop) {
    using bfm::state::finish_status;
    EXPECT_EQ(finish_status(counts(3, 3, 0), false, false), job_status::succeeded);
    EXPECT_EQ(finish_status(counts(3, 3, 1), false, false), job_status::partial);
    EXPECT_EQ(finish_status(counts(3, 3, 3), false, false), job_status::failed);
    EXPECT_EQ(finish_status(counts(3, 3, 1), false, true), job_status::failed);
    EXPECT_EQ(finish_status(counts(3, 3, 0), true, false), job_status::cancelled);
    EXPECT_EQ(finish_status(counts(0, 0, 0), false, false), job_status::succeeded);
    EXPECT_EQ(counts(3, 1, 0).progress(), 33);
    EXPECT_EQ(counts(0, 0, 0).progress(), 100);
}

bfm::core::job_summary job(const std::string& id, job_status status, int done) {
    bfm::core::job_summary s;
    s.job_id = id;
    s.status = status;
    s.counts = counts(10, done, 0);
    return s;
}

TEST(JobCache, ServesFinalJobsForeverAndRunningOnesForTheTtl) {
    bfm::core::job_cache cache(std::chrono::milliseconds(30));
    cache.put(job("running", job_status::running, 2));
    cache.put(job("final", job_status::succeeded, 10));
    ASSERT_TRUE(cache.find("running"));
    EXPECT_EQ(cache.find("running")->counts.targets_done, 2);
    EXPECT_FALSE(cache.find("unknown"));
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    EXPECT_FALSE(cache.find("running"));  // stale: read the state DB again
    EXPECT_TRUE(cache.find("final"));
}

TEST(JobCache, KeepsTheNewerSummaryWhenFinishersReportOutOfOrder) {
    bfm::core::job_cache cache(std::chrono::seconds(10));
    cache.put(job("j", job_status::running, 5));
    cache.put(job("j", job_status::running, 4));
    EXPECT_EQ(cache.find("j")->counts.targets_done, 5);
    cache.put(job("j", job_status::succeeded, 10));
    cache.put(job("j", job_status::running, 9));
    EXPECT_EQ(cache.find("j")->status, job_status::succeeded);
}

TEST(EventBus, DeliversAJobsEventsInOrderAndCutsOffASlowSubscriber) {
    boost::asio::io_context ioc;
    bfm::core::event_bus bus(ioc.get_executor(), 3);
    auto mine = bus.subscribe("a");
    auto all = bus.subscribe("");
    for (int i = 0; i < 3; ++i) {
        bfm::core::job_event e;
        e.job_id = i == 1 ? "b" : "a";
        e.statement_index = i;
        bus.publish(e);
    }
    std::vector<std::int64_t> got;
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
            while (auto e = co_await mine->next(std::chrono::milliseconds(1))) {
                got.push_back(e->statement_index);
            }
        },
        boost::asio::detached);
    ioc.run();
    EXPECT_EQ(got, (std::vector<std::int64_t>{0, 2}));
    EXPECT_FALSE(mine->overflowed());
    bfm::core::job_event one_more;
    bus.publish(one_more);  // `all` already holds 3: it is cut off, not grown
    EXPECT_TRUE(all->overflowed());
    EXPECT_EQ(bus.subscriber_count(), 2u);
    mine.reset();
    EXPECT_EQ(bus.subscriber_count(), 1u);
}

TEST(EventBus, AFlushWakesAWaitingSubscriberWithTheWholeBurst) {
    boost::asio::io_context ioc;
    bfm::core::event_bus bus(ioc.get_executor());
    auto sub = bus.subscribe("a");
    boost::asio::steady_timer publisher(ioc, std::chrono::milliseconds(20));
    publisher.async_wait([&](const boost::system::error_code&) {
        for (int i = 0; i < 5; ++i) {
            bfm::core::job_event e;
            e.job_id = "a";
            e.statement_index = i;
            bus.publish(e);
        }
    });
    std::vector<std::int64_t> got;
    std::chrono::steady_clock::duration waited{};
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
            const auto started = std::chrono::steady_clock::now();
            const auto batch = co_await sub->next_batch(std::chrono::seconds(5), 100);
            waited = std::chrono::steady_clock::now() - started;
            for (const auto& shared : batch) got.push_back(shared->event.statement_index);
        },
        boost::asio::detached);
    ioc.run();
    // One wake-up with all five events, long before the 5 s wait would have run out.
    EXPECT_EQ(got, (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
    EXPECT_LT(waited, std::chrono::seconds(1));
}

TEST(EventBus, ABusDestroyedWithAFlushPendingStillHandsOverWhatWasQueued) {
    boost::asio::io_context ioc;
    auto bus = std::make_unique<bfm::core::event_bus>(ioc.get_executor());
    auto sub = bus->subscribe("");
    bool woke = false;
    std::size_t received = 1;
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
            received = (co_await sub->next_batch(std::chrono::seconds(5), 100)).size();
            woke = true;
        },
        boost::asio::detached);
    ioc.poll();  // the subscriber now waits
    bfm::core::job_event e;
    e.job_id = "a";
    bus->publish(e);  // queues and schedules a flush
    bus.reset();      // the flush handler must not touch the destroyed bus
    ioc.run();
    EXPECT_TRUE(woke);
    EXPECT_EQ(received, 1u);  // what was queued before the bus went is still handed over
}

TEST(EventBus, ADirectDeliveryTakesTheQueueInThePassUntilItHandsItBack) {
    boost::asio::io_context ioc;
    bfm::core::event_bus bus(ioc.get_executor());
    auto sub = bus.subscribe("a");
    std::vector<std::int64_t> direct;
    bool hand_back = false;
    sub->deliver_directly([&](std::deque<bfm::core::shared_event_ptr>& queue) {
        if (hand_back) return true;
        for (const auto& shared : queue) direct.push_back(shared->event.statement_index);
        queue.clear();
        return false;
    });
    auto publish = [&bus](std::int64_t index) {
        bfm::core::job_event e;
        e.job_id = "a";
        e.statement_index = index;
        bus.publish(e);
    };
    std::size_t first_batch = 99;
    std::vector<std::int64_t> coroutine;
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
            publish(0);
            publish(1);
            // The pass writes them itself: the coroutine is not woken and gets nothing.
            first_batch = (co_await sub->next_batch(std::chrono::milliseconds(300), 100)).size();
            hand_back = true;
            publish(2);
            for (const auto& shared : co_await sub->next_batch(std::chrono::seconds(5), 100)) {
                coroutine.push_back(shared->event.statement_index);
            }
            sub->deliver_directly(nullptr);
        },
        boost::asio::detached);
    ioc.run();
    EXPECT_EQ(direct, (std::vector<std::int64_t>{0, 1}));
    EXPECT_EQ(first_batch, 0u);
    EXPECT_EQ(coroutine, (std::vector<std::int64_t>{2}));
}

}  // namespace
