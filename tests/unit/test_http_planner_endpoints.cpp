// Routing and validation of the planner endpoints (plan, order-batch, reindex) with a fake of
// our own service interface: no database is involved at this tier.

#include <gtest/gtest.h>

#include "net/router.hpp"
#include "test_http_fakes.hpp"

namespace http = boost::beast::http;
using bfm::test::body_of;
using bfm::test::fake_service;
using bfm::test::str;

namespace {

class HttpPlannerEndpoints : public ::testing::Test {
protected:
    bfm::net::http_response post(const std::string& target, const std::string& body) {
        bfm::net::http_request req(http::verb::post, target, 11);
        req.set(http::field::authorization, "Bearer " + service.config().api_token);
        req.body() = body;
        req.prepare_payload();
        bfm::net::router router(service.config(), service);
        return bfm::test::run_awaitable(ioc, router.handle(req));
    }

    boost::asio::io_context ioc;
    fake_service service;
};

TEST_F(HttpPlannerEndpoints, PlanIsAlwaysADryRunAndShowsSteps) {
    bfm::core::target_result t;
    t.connection = "core";
    t.schema = "core";
    bfm::core::planned_step step;
    step.migration_id = "1_a_postgresql_core";
    step.connection = "core";
    step.schema = "core";
    step.reason = "dependency of 2_b_postgresql_core";
    step.dependency = true;
    step.sql = "CREATE TABLE a ();";
    t.plan.push_back(step);
    service.next_run.value->targets.push_back(t);

    auto res = post("/api/v1/migrations/plan", R"({"connection":"core","dry_run":false})");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    ASSERT_EQ(service.requests.size(), 1u);
    EXPECT_TRUE(service.requests[0].dry_run);
    auto body = body_of(res);
    EXPECT_EQ(body.at("ok"), true);
    const auto& s = body.at("targets").at(0).at("steps").at(0);
    EXPECT_EQ(str(s.at("migration_id")), "1_a_postgresql_core");
    EXPECT_EQ(str(s.at("action")), "run");
    EXPECT_EQ(s.at("dependency"), true);
    EXPECT_EQ(str(s.at("sql")), "CREATE TABLE a ();");
}

TEST_F(HttpPlannerEndpoints, PlanningErrorsAreReportedPerTarget) {
    bfm::core::target_result t;
    t.connection = "core";
    t.schema = "core";
    t.error = "planning failed, nothing ran: cycle detected: a -> b -> a";
    service.next_run.value->targets.push_back(t);
    auto res = post("/api/v1/migrations/plan", R"({"connection":"core"})");
    ASSERT_EQ(res.result(), http::status::ok);
    auto body = body_of(res);
    EXPECT_EQ(body.at("ok"), false);
    EXPECT_NE(str(body.at("targets").at(0).at("errors").at(0)).find("cycle"), std::string::npos);
}

TEST_F(HttpPlannerEndpoints, OrderBatchValidatesAndPassesIdsThrough) {
    service.next_order.ordered_ids = {"b", "a"};
    auto res = post("/api/v1/migrations/order-batch",
                    R"({"connection":"CORE","migration_ids":["a","b"]})");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    ASSERT_EQ(service.order_calls.size(), 1u);
    EXPECT_EQ(service.order_calls[0].first, "core");
    EXPECT_EQ(service.order_calls[0].second, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(boost::json::serialize(body_of(res).at("ordered_migration_ids")), R"(["b","a"])");

    struct bad {
        std::string body;
        std::string code;
    };
    for (const auto& c : std::vector<bad>{
             {R"({"connection":"core"})", "missing_field"},
             {R"({"migration_ids":[]})", "missing_field"},
             {R"({"connection":"nope","migration_ids":[]})", "unknown_connection"},
             {R"({"connection":"core","migration_ids":[1]})", "invalid_type"},
             {R"({"connection":"core","migration_ids":[],"x":1})", "unknown_field"},
             {R"([1])", "invalid_body"},
             {R"({"connection":)", "malformed_json"},
         }) {
        auto r = post("/api/v1/migrations/order-batch", c.body);
        EXPECT_EQ(r.result(), http::status::bad_request) << c.body;
        EXPECT_EQ(str(body_of(r).at("code")), c.code) << c.body;
    }
    EXPECT_EQ(service.order_calls.size(), 1u);

    service.next_order.error = bfm::core::service_error{"dependency_error", "cycle detected"};
    auto r =
        post("/api/v1/migrations/order-batch", R"({"connection":"core","migration_ids":["a"]})");
    EXPECT_EQ(r.result(), http::status::bad_request);
    EXPECT_EQ(str(body_of(r).at("error")), "cycle detected");
}

TEST_F(HttpPlannerEndpoints, ReindexMapsOutcomesToStatusCodes) {
    service.next_reindex.report = bfm::core::reindex_report{{"new"}, {"gone"}, {}, 7};
    auto ok = post("/api/v1/migrations/reindex", "");
    ASSERT_EQ(ok.result(), http::status::ok) << ok.body();
    EXPECT_EQ(body_of(ok).at("total"), 7);
    EXPECT_EQ(str(body_of(ok).at("removed").at(0)), "gone");

    service.next_reindex = {};
    service.next_reindex.error = bfm::core::reindex_error{"path_outside_root", "outside", {}};
    auto outside = post("/api/v1/migrations/reindex", R"({"sfm_path":"/etc"})");
    EXPECT_EQ(outside.result(), http::status::bad_request);
    EXPECT_EQ(service.reindex_paths.back(), "/etc");

    service.next_reindex.error =
        bfm::core::reindex_error{"load_failed", "1 problem(s)", {"a.sql:3: bad header"}};
    auto broken = post("/api/v1/migrations/reindex", "{}");
    EXPECT_EQ(broken.result(), http::status::unprocessable_entity);
    EXPECT_EQ(str(body_of(broken).at("details").at("problems").at(0)), "a.sql:3: bad header");

    auto typo = post("/api/v1/migrations/reindex", R"({"path":"x"})");
    EXPECT_EQ(typo.result(), http::status::bad_request);
    EXPECT_EQ(service.reindex_paths.size(), 3u);  // the typo never reached the service
}

}  // namespace
