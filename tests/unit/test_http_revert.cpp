// POST /api/v1/migrations/down and /api/v1/migrations/{id}/rollback through the router with the
// fake service: what the engine is asked for, upstream's answer shapes and status codes, and
// bad input.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "net/revert_routes.hpp"
#include "net/router.hpp"
#include "unit/test_http_fakes.hpp"

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using bfm::core::job_kind;
using bfm::core::migration_outcome;
using bfm::test::body_of;
using bfm::test::str;

const std::string auth = std::string("Bearer ") + bfm::test::test_token;
const std::string fixed_id = "20250101000000_create_users_postgresql_core";
const std::string dynamic_id = "20250101000000_create_orders_postgresql_organization";

class HttpRevert : public ::testing::Test {
protected:
    HttpRevert() {
        service_.known_migrations[fixed_id] = {fixed_id, "core", "core", "", true};
        service_.known_migrations[dynamic_id] = {dynamic_id, "organization", "", "", true};
        service_.known_migrations["cli_x_" + dynamic_id] = {dynamic_id, "organization", "",
                                                            "cli_x", true};
    }

    bfm::net::http_response post(std::string target, std::string body,
                                 std::optional<std::string> authorization = auth) {
        bfm::net::http_request req{http::verb::post, target, 11};
        if (authorization) req.set(http::field::authorization, *authorization);
        req.body() = std::move(body);
        req.prepare_payload();
        return bfm::test::run_awaitable(ioc_, router_.handle(req));
    }

    // The engine's answer: one target with one migration outcome.
    void answer(const std::string& schema, migration_outcome outcome, std::string error = {}) {
        bfm::core::target_result t;
        t.connection = "organization";
        t.schema = schema;
        bfm::core::migration_result m;
        m.migration_id = dynamic_id;
        m.outcome = outcome;
        m.error = std::move(error);
        t.migrations.push_back(m);
        service_.next_run.value->targets.push_back(t);
    }

    asio::io_context ioc_;
    bfm::test::fake_service service_;
    bfm::net::router router_{service_.config(), service_};
};

TEST(RevertRoutes, MatchesDownAndRollbackAndDecodesTheId) {
    auto down = bfm::net::match_revert_route("/api/v1/migrations/down");
    ASSERT_TRUE(down);
    EXPECT_EQ(down->endpoint, bfm::net::revert_endpoint::down);
    auto rollback = bfm::net::match_revert_route("/api/v1/migrations/a%20b_c/rollback");
    ASSERT_TRUE(rollback);
    EXPECT_EQ(rollback->endpoint, bfm::net::revert_endpoint::rollback);
    EXPECT_EQ(rollback->id, "a b_c");
    EXPECT_FALSE(bfm::net::match_revert_route("/api/v1/migrations/x/y/rollback"));
    EXPECT_FALSE(bfm::net::match_revert_route("/api/v1/migrations//rollback"));
    EXPECT_FALSE(bfm::net::match_revert_route("/api/v1/migrations/x/status"));
}

TEST_F(HttpRevert, RollbackOfADynamicMigrationRunsInTheGivenSchemas) {
    answer("cli_a", migration_outcome::rolled_back);
    auto res = post("/api/v1/migrations/" + dynamic_id + "/rollback",
                    R"({"schemas":["cli_a"],"cascade":true})");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    ASSERT_EQ(service_.requests.size(), 1u);
    const auto& r = service_.requests.front();
    EXPECT_EQ(r.kind, job_kind::rollback);
    EXPECT_EQ(r.connection, "organization");
    EXPECT_EQ(r.schemas, std::vector<std::string>{"cli_a"});
    EXPECT_EQ(r.revert.migration_ids, std::vector<std::string>{dynamic_id});
    EXPECT_TRUE(r.revert.cascade);
    auto body = body_of(res);
    EXPECT_TRUE(body.at("success").as_bool());
    EXPECT_EQ(str(body.at("message")), "rollback completed successfully for 1 schema(s)");
    EXPECT_EQ(body.at("applied").as_array().size(), 1u);
}

TEST_F(HttpRevert, RollbackDefaultsToTheSchemaOfAnUpstreamSchemaId) {
    answer("cli_x", migration_outcome::rolled_back);
    auto res = post("/api/v1/migrations/cli_x_" + dynamic_id + "/rollback", "");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    EXPECT_EQ(service_.requests.front().schemas, std::vector<std::string>{"cli_x"});
}

TEST_F(HttpRevert, RollbackAppliedNowhereIs400AndAFailureIs200WithErrors) {
    answer("cli_a", migration_outcome::skipped);
    auto none = post("/api/v1/migrations/" + dynamic_id + "/rollback", R"({"schemas":["cli_a"]})");
    EXPECT_EQ(none.result(), http::status::bad_request) << none.body();
    EXPECT_EQ(str(body_of(none).at("message")), "no migrations to rollback");

    service_.next_run.value->targets.clear();
    answer("cli_a", migration_outcome::failed, "ERROR 42P01: table does not exist");
    auto failed = post("/api/v1/migrations/" + dynamic_id + "/rollback", R"({"schemas":["cli_a"]})");
    EXPECT_EQ(failed.result(), http::status::ok) << failed.body();
    auto body = body_of(failed);
    EXPECT_FALSE(body.at("success").as_bool());
    EXPECT_EQ(str(body.at("errors").as_array().at(0)), "cli_a: ERROR 42P01: table does not exist");
}

TEST_F(HttpRevert, RollbackRefusesWhatUpstreamSilentlyAccepted) {
    EXPECT_EQ(post("/api/v1/migrations/nope/rollback", "{}").result(), http::status::not_found);
    EXPECT_EQ(post("/api/v1/migrations/" + dynamic_id + "/rollback", "{}").result(),
              http::status::bad_request)
        << "a dynamic migration needs schemas";
    EXPECT_EQ(post("/api/v1/migrations/" + fixed_id + "/rollback", "{not json").result(),
              http::status::bad_request);
    EXPECT_EQ(post("/api/v1/migrations/" + fixed_id + "/rollback", R"({"schemas":"core"})").result(),
              http::status::bad_request);
    EXPECT_EQ(post("/api/v1/migrations/" + fixed_id + "/rollback", R"({"schemas":["bad;name"]})")
                  .result(),
              http::status::bad_request);
    EXPECT_EQ(post("/api/v1/migrations/" + fixed_id + "/rollback", R"({"force":true})").result(),
              http::status::bad_request);
    EXPECT_EQ(post("/api/v1/migrations/" + fixed_id + "/rollback", "{}", std::nullopt).result(),
              http::status::unauthorized);
    EXPECT_TRUE(service_.requests.empty()) << "nothing reached the engine";
}

TEST_F(HttpRevert, DownOfAFixedMigrationDefaultsToItsDeclaredSchema) {
    auto res = post("/api/v1/migrations/down", R"({"migration_id":")" + fixed_id
                                                   + R"(","dry_run":true,"ignore_dependencies":true})");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    const auto& r = service_.requests.front();
    EXPECT_EQ(r.kind, job_kind::down);
    EXPECT_EQ(r.connection, "core");
    EXPECT_EQ(r.schemas, std::vector<std::string>{"core"});
    EXPECT_TRUE(r.dry_run);
    EXPECT_EQ(r.revert.migration_ids, std::vector<std::string>{fixed_id});
}

TEST_F(HttpRevert, DownBySteps) {
    auto res = post("/api/v1/migrations/down",
                    R"({"connection":"organization","schemas":["cli_a","cli_b"],"steps":2})");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    const auto& r = service_.requests.front();
    EXPECT_EQ(r.revert.steps, 2);
    EXPECT_TRUE(r.revert.migration_ids.empty());
    EXPECT_EQ(r.schemas, (std::vector<std::string>{"cli_a", "cli_b"}));
}

TEST_F(HttpRevert, DownBadInput) {
    const std::vector<std::string> bodies = {
        R"({})",
        R"({"migration_id":7})",
        R"({"connection":"organization","schemas":["cli_a"],"steps":0})",
        R"({"connection":"organization","schemas":["cli_a"],"steps":1,"to_version":"3"})",
        R"({"connection":"organization","schemas":["cli_a"],"to_version":"abc"})",
        R"({"schemas":["cli_a"],"steps":1})",
        R"({"migration_id":")" + fixed_id + R"(","connection":"organization"})",
        R"({"migration_id":")" + fixed_id + R"(","surprise":1})",
        R"([1,2])",
    };
    for (const auto& body : bodies) {
        EXPECT_EQ(post("/api/v1/migrations/down", body).result(), http::status::bad_request) << body;
    }
    EXPECT_EQ(post("/api/v1/migrations/down", R"({"migration_id":"unknown"})").result(),
              http::status::not_found);
    EXPECT_TRUE(service_.requests.empty());
}

TEST_F(HttpRevert, JobsOfKindDownAndRollbackCarryTheirRevertSpec) {
    service_.next_job.value = bfm::core::job_summary{};
    service_.next_job.value->job_id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    auto res = post("/api/v1/jobs", R"({"kind":"down","connection":"organization",)"
                                    R"("schema_selector":{"like":"cli_%"},"to_version":"20250101"})");
    ASSERT_EQ(res.result(), http::status::accepted) << res.body();
    ASSERT_EQ(service_.requests.size(), 1u);
    EXPECT_EQ(service_.requests.front().kind, job_kind::down);
    EXPECT_EQ(service_.requests.front().revert.to_version, "20250101");

    EXPECT_EQ(post("/api/v1/jobs", R"({"kind":"rollback","connection":"organization","steps":1})")
                  .result(),
              http::status::bad_request);
    EXPECT_EQ(post("/api/v1/jobs", R"({"kind":"up","connection":"organization","steps":1})").result(),
              http::status::bad_request);
    EXPECT_EQ(post("/api/v1/jobs", R"({"kind":"down","connection":"organization"})").result(),
              http::status::bad_request);
}

TEST_F(HttpRevert, OperatorFixesCarryTheirReason) {
    auto baseline = post("/api/v1/migrations/baseline",
                         R"({"connection":"organization","schemas":["cli_a"],"to_version":"20250101",)"
                         R"("reason":"imported from Flyway"})");
    ASSERT_EQ(baseline.result(), http::status::ok) << baseline.body();
    ASSERT_EQ(service_.requests.size(), 1u);
    EXPECT_EQ(service_.requests.back().kind, job_kind::baseline);
    EXPECT_EQ(service_.requests.back().fix.to_version, "20250101");
    EXPECT_EQ(service_.requests.back().fix.reason, "imported from Flyway");

    auto force = post("/api/v1/migrations/" + fixed_id + "/force",
                      R"({"status":"rolled_back","reason":"dropped by hand"})");
    ASSERT_EQ(force.result(), http::status::ok) << force.body();
    EXPECT_EQ(service_.requests.back().kind, job_kind::force);
    EXPECT_EQ(service_.requests.back().fix.migration_id, fixed_id);
    EXPECT_EQ(service_.requests.back().fix.status, "rolled_back");
    EXPECT_EQ(service_.requests.back().schemas, std::vector<std::string>{"core"});

    auto repair = post("/api/v1/migrations/repair",
                       R"({"connection":"organization","environment":"dev","reason":"INC-7"})");
    ASSERT_EQ(repair.result(), http::status::ok) << repair.body();
    EXPECT_EQ(service_.requests.back().kind, job_kind::repair);
    EXPECT_EQ(service_.requests.back().schemas, std::vector<std::string>{"cli_dev"});
}

TEST_F(HttpRevert, OperatorFixesRefuseBadInput) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"/api/v1/migrations/baseline", R"({"connection":"organization","schemas":["cli_a"],"to_version":"1"})"},
        {"/api/v1/migrations/baseline", R"({"connection":"organization","schemas":["cli_a"],"reason":"x"})"},
        {"/api/v1/migrations/baseline", R"({"connection":"organization","schemas":["cli_a"],"to_version":"1","reason":"x","dry_run":true})"},
        {"/api/v1/migrations/repair", R"({"connection":"organization","schemas":["cli_a"],"reason":" "})"},
        {"/api/v1/migrations/repair", R"({"connection":"organization","schemas":["cli_a"],"reason":"x","status":"applied"})"},
        {"/api/v1/migrations/" + fixed_id + "/force", R"({"status":"done","reason":"x"})"},
        {"/api/v1/migrations/" + fixed_id + "/force", R"({"status":"applied"})"},
        {"/api/v1/migrations/" + fixed_id + "/force", R"({"status":"applied","reason":"x","steps":1})"},
    };
    for (const auto& [path, body] : cases) {
        EXPECT_EQ(post(path, body).result(), http::status::bad_request) << path << " " << body;
    }
    EXPECT_EQ(post("/api/v1/migrations/unknown/force", R"({"status":"applied","reason":"x"})").result(),
              http::status::not_found);
    EXPECT_TRUE(service_.requests.empty());
}

}  // namespace
