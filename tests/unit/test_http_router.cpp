// The router with a fake migration_service: routing, auth, validation, status codes and what
// the service receives. Seeds: the three curl bodies of the original guide (seeds/001).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "net/router.hpp"
#include "unit/test_http_fakes.hpp"

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using bfm::net::http_request;
using bfm::net::http_response;
using bfm::test::body_of;

const std::string good_auth = std::string("Bearer ") + bfm::test::test_token;

class HttpRouter : public ::testing::Test {
protected:
    http_response call(http::verb method, std::string target, std::string body = {},
                       std::optional<std::string> auth = good_auth, unsigned version = 11) {
        http_request req{method, target, version};
        if (auth) req.set(http::field::authorization, *auth);
        if (!body.empty()) {
            req.set(http::field::content_type, "application/json");
            req.body() = std::move(body);
            req.prepare_payload();
        }
        return bfm::test::run_awaitable(ioc_, router_.handle(req));
    }

    http_response post(std::string target, std::string body) {
        return call(http::verb::post, std::move(target), std::move(body));
    }

    void expect_error(const http_response& res, http::status status, std::string_view code) {
        EXPECT_EQ(res.result(), status) << res.body();
        auto body = body_of(res);
        EXPECT_EQ(bfm::test::str(body.at("code")), code) << res.body();
        EXPECT_TRUE(body.at("error").is_string()) << res.body();
    }

    asio::io_context ioc_;
    bfm::test::fake_service service_;
    bfm::net::router router_{service_.config(), service_};
};

// ---- routing, common headers -------------------------------------------------------------

TEST_F(HttpRouter, HealthIsPublicOnBothPaths) {
    for (const char* path : {"/health", "/api/v1/health"}) {
        auto res = call(http::verb::get, path, {}, std::nullopt);
        EXPECT_EQ(res.result(), http::status::ok) << path;
        EXPECT_EQ(res.body(), R"({"status":"healthy","checks":{"state":"ok"}})");
    }
}

TEST_F(HttpRouter, UnhealthyIs503) {
    service_.next_health.healthy = false;
    service_.next_health.checks["state"] = "connection refused";
    auto res = call(http::verb::get, "/api/v1/health", {}, std::nullopt);
    EXPECT_EQ(res.result(), http::status::service_unavailable);
    auto body = body_of(res);
    EXPECT_EQ(body.at("status"), "unhealthy");
    EXPECT_EQ(body.at("checks").at("state"), "connection refused");
}

TEST_F(HttpRouter, EveryAnswerHasCommonHeaders) {
    for (auto res : {call(http::verb::get, "/health"), call(http::verb::get, "/nope"),
                     post("/api/v1/migrate", "{")}) {
        EXPECT_EQ(res[http::field::content_type], "application/json");
        EXPECT_EQ(res[http::field::cache_control], "no-store");
        EXPECT_EQ(res[http::field::server], "bfm");
        EXPECT_EQ(res[http::field::content_length], std::to_string(res.body().size()));
    }
}

TEST_F(HttpRouter, KeepAliveFollowsTheRequest) {
    EXPECT_TRUE(call(http::verb::get, "/health").keep_alive());
    auto res10 = call(http::verb::get, "/health", {}, std::nullopt, 10);
    EXPECT_EQ(res10.version(), 10u);
    EXPECT_FALSE(res10.keep_alive());
}

TEST_F(HttpRouter, UnknownPathIs404) {
    auto res = call(http::verb::get, "/x?secret=1");
    expect_error(res, http::status::not_found, "not_found");
    EXPECT_EQ(body_of(res).at("error"), "not found: /x");
    expect_error(call(http::verb::get, "/api/v1/migrations/"), http::status::not_found,
                 "not_found");
    // No auth is needed to learn that a path does not exist, and no token is echoed.
    expect_error(call(http::verb::get, "/api/v2", {}, std::nullopt), http::status::not_found,
                 "not_found");
}

TEST_F(HttpRouter, WrongMethodIs405WithAllow) {
    auto res = call(http::verb::get, "/api/v1/migrate");
    expect_error(res, http::status::method_not_allowed, "method_not_allowed");
    EXPECT_EQ(res[http::field::allow], "POST");
    auto res2 = call(http::verb::delete_, "/api/v1/migrations");
    expect_error(res2, http::status::method_not_allowed, "method_not_allowed");
    EXPECT_EQ(res2[http::field::allow], "GET");
    auto res3 = call(http::verb::options, "/api/v1/migrations/up");
    EXPECT_EQ(res3.result(), http::status::method_not_allowed);
    EXPECT_EQ(res3[http::field::allow], "POST");
    auto res4 = call(http::verb::post, "/health", "{}");
    EXPECT_EQ(res4.result(), http::status::method_not_allowed);
    EXPECT_TRUE(service_.requests.empty());
}

// ---- auth -------------------------------------------------------------------------------

TEST_F(HttpRouter, EachUnauthorisedMessage) {
    const std::vector<std::pair<std::optional<std::string>, std::string>> cases = {
        {std::nullopt, "missing Authorization header"},
        {"Bearer", "invalid Authorization header format"},
        {"Basic abc", "authorization header must use Bearer scheme"},
        {"Bearer nope", "invalid API token"},
    };
    for (const auto& [auth, message] : cases) {
        for (auto res :
             {call(http::verb::post, "/api/v1/migrate", R"({"connection":"core"})", auth),
              call(http::verb::get, "/api/v1/migrations", {}, auth)}) {
            EXPECT_EQ(res.result(), http::status::unauthorized) << message;
            EXPECT_EQ(res[http::field::www_authenticate], "Bearer");
            auto body = body_of(res);
            EXPECT_EQ(bfm::test::str(body.at("error")), message);
            EXPECT_EQ(body.at("code"), "unauthorized");
            EXPECT_EQ(res.body().find("nope"), std::string::npos);
        }
    }
    EXPECT_TRUE(service_.requests.empty());
    EXPECT_TRUE(service_.queries.empty());
}

TEST_F(HttpRouter, LowerCaseBearerIsAccepted) {
    auto res = call(http::verb::post, "/api/v1/migrate", R"({"connection":"core"})",
                    std::string("bearer ") + bfm::test::test_token);
    EXPECT_EQ(res.result(), http::status::ok) << res.body();
    EXPECT_EQ(service_.requests.size(), 1u);
}

// ---- the original guide's curl bodies (seeds/001) ------------------------------------------

TEST_F(HttpRouter, SeedCoreSchemaMigration) {
    auto res = post("/api/v1/migrate", R"({
    "target": {
      "backend": "postgresql",
      "schema": "core",
      "connection": "core"
    },
    "connection": "core",
    "schema": "core"
  })");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    ASSERT_EQ(service_.requests.size(), 1u);
    const auto& job = service_.requests[0];
    EXPECT_EQ(job.connection, "core");
    EXPECT_EQ(job.schemas, (std::vector<std::string>{"core"}));
    EXPECT_EQ(job.filter.connection, "core");
    EXPECT_EQ(job.filter.schema, "core");
    EXPECT_EQ(job.filter.backend, "postgresql");
    EXPECT_FALSE(job.dry_run);
    EXPECT_EQ(body_of(res).at("success"), true);
}

TEST_F(HttpRouter, SeedGuardSchemaMigration) {
    auto res = post("/api/v1/migrate", R"({
    "target": {
      "backend": "postgresql",
      "schema": "guard",
      "connection": "guard"
    },
    "connection": "guard",
    "schema": "guard"
  })");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    ASSERT_EQ(service_.requests.size(), 1u);
    const auto& job = service_.requests[0];
    EXPECT_EQ(job.connection, "guard");
    EXPECT_EQ(job.schemas, (std::vector<std::string>{"guard"}));
    EXPECT_EQ(job.filter.schema, "guard");
    EXPECT_EQ(job.filter.connection, "guard");
}

TEST_F(HttpRouter, SeedEnvironmentSpecificMigration) {
    auto res = post("/api/v1/migrate", R"({
    "target": {
      "backend": "postgresql",
      "connection": "organization"
    },
    "connection": "organization",
    "schema": "cli_environment_id_here",
    "environment": "environment_id_here"
  })");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    ASSERT_EQ(service_.requests.size(), 1u);
    const auto& job = service_.requests[0];
    EXPECT_EQ(job.connection, "organization");
    EXPECT_EQ(job.schemas, (std::vector<std::string>{"cli_environment_id_here"}));
    EXPECT_TRUE(job.filter.schema.empty());  // dynamic migrations stay selected
    EXPECT_EQ(job.filter.connection, "organization");
}

TEST_F(HttpRouter, OriginRecordsEndpointAndCaller) {
    ASSERT_EQ(post("/api/v1/migrations/up", R"({"connection":"core"})").result(), http::status::ok);
    ASSERT_EQ(service_.requests.size(), 1u);
    const auto& origin = service_.requests[0].origin;
    EXPECT_EQ(origin.method, bfm::core::execution_method::api);
    EXPECT_EQ(origin.executed_by, "api_user");
    auto context = json::parse(origin.context_json).as_object();
    EXPECT_EQ(context.at("endpoint"), "/api/v1/migrations/up");
    EXPECT_EQ(context.at("method"), "POST");
    EXPECT_EQ(context.at("connection_type"), "http");
}

// ---- validation: nothing reaches the service -----------------------------------------------

TEST_F(HttpRouter, EnvironmentBecomesTenantSchema) {
    auto res =
        post("/api/v1/migrations/up", R"({"connection":"organization","environment":"dev"})");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    ASSERT_EQ(service_.requests.size(), 1u);
    EXPECT_EQ(service_.requests[0].schemas, (std::vector<std::string>{"cli_dev"}));
}

TEST_F(HttpRouter, UpPassesSchemasAndFlags) {
    auto res = post("/api/v1/migrations/up",
                    R"({"connection":"organization","schemas":["cli_a","cli_b"],
                        "dry_run":true,"ignore_dependencies":true,
                        "target":{"tables":["users"],"version":"<=20250101120000"}})");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    ASSERT_EQ(service_.requests.size(), 1u);
    const auto& job = service_.requests[0];
    EXPECT_EQ(job.schemas, (std::vector<std::string>{"cli_a", "cli_b"}));
    EXPECT_TRUE(job.dry_run);
    EXPECT_TRUE(job.ignore_dependencies);
    EXPECT_EQ(job.filter.tables, (std::vector<std::string>{"users"}));
    EXPECT_TRUE(job.filter.version.up_to);
    EXPECT_EQ(job.filter.version.number, 20250101120000u);
}

TEST_F(HttpRouter, HostileSchemaNamesAre400AndNothingRuns) {
    const std::string long_name(64, 'a');
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"connection":"organization","schema":"x; drop table y"})", "schema"},
        {R"({"connection":"organization","schema":"a\"b"})", "schema"},
        {R"({"connection":"organization","schema":")" + long_name + R"("})", "schema"},
        {R"({"connection":"organization","schema_name":"x; drop table y"})", "schema"},
        {R"({"connection":"organization","schemas":["cli_ok","x; drop table y"]})", "schemas[1]"},
        {R"({"connection":"organization","schemas":["a\"b"]})", "schemas[0]"},
        {R"({"connection":"organization","schemas":[")" + long_name + R"("]})", "schemas[0]"},
        {R"({"connection":"organization","environment":"x; drop table y"})", "environment"},
        {R"({"connection":"organization","environment":"a\"b"})", "environment"},
        {R"({"connection":"organization","environment":")" + long_name + R"("})", "environment"},
        {R"({"connection":"organization","target":{"schema":"x; drop table y"}})", "target.schema"},
    };
    for (const auto& [body, field] : cases) {
        auto res = post("/api/v1/migrations/up", body);
        EXPECT_EQ(res.result(), http::status::bad_request) << body << " -> " << res.body();
        auto parsed = body_of(res);
        EXPECT_TRUE(parsed.at("error").is_string());
        EXPECT_TRUE(parsed.at("code").is_string());
        EXPECT_EQ(bfm::test::str(parsed.at("details").at("field")), field) << body;
    }
    // The same through the guide's endpoint.
    auto res =
        post("/api/v1/migrate", R"({"connection":"organization","schema":"x; drop table y"})");
    EXPECT_EQ(res.result(), http::status::bad_request);
    EXPECT_TRUE(service_.requests.empty());
}

TEST_F(HttpRouter, MissingConnectionIs400) {
    auto res = post("/api/v1/migrate", R"({"schema":"core"})");
    EXPECT_EQ(res.result(), http::status::bad_request) << res.body();
    EXPECT_EQ(body_of(res).at("details").at("field"), "connection");
    EXPECT_TRUE(service_.requests.empty());
}

TEST_F(HttpRouter, ConnectionMayComeFromTarget) {
    auto res = post("/api/v1/migrate", R"({"target":{"connection":"guard"}})");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    EXPECT_EQ(service_.requests.at(0).connection, "guard");
}

TEST_F(HttpRouter, UnknownConnectionIs400) {
    auto res = post("/api/v1/migrations/up", R"({"connection":"nosuch"})");
    expect_error(res, http::status::bad_request, "unknown_connection");
    EXPECT_EQ(body_of(res).at("details").at("field"), "connection");
    EXPECT_TRUE(service_.requests.empty());
}

TEST_F(HttpRouter, MalformedJsonIs400) {
    auto res = post("/api/v1/migrate", R"({"connection":)");
    expect_error(res, http::status::bad_request, "malformed_json");
    EXPECT_NE(body_of(res).at("error").as_string().find("malformed JSON"), std::string::npos);
    EXPECT_TRUE(service_.requests.empty());
}

TEST_F(HttpRouter, WrongTypeIs400NamingTheField) {
    auto res = post("/api/v1/migrations/up", R"({"connection":"core","dry_run":"yes"})");
    expect_error(res, http::status::bad_request, "invalid_type");
    auto body = body_of(res);
    EXPECT_EQ(body.at("error"), "field \"dry_run\" must be a boolean");
    EXPECT_EQ(body.at("details").at("field"), "dry_run");
    EXPECT_TRUE(service_.requests.empty());
}

TEST_F(HttpRouter, UnknownFieldIs400) {
    auto res = post("/api/v1/migrate", R"({"connection":"core","sceham":"core"})");
    expect_error(res, http::status::bad_request, "unknown_field");
    EXPECT_EQ(body_of(res).at("details").at("field"), "sceham");
    EXPECT_TRUE(service_.requests.empty());
}

// ---- results ----------------------------------------------------------------------------

TEST_F(HttpRouter, FailedTargetIs206) {
    bfm::core::target_result t;
    t.connection = "organization";
    t.schema = "cli_dev";
    t.migrations.push_back({"m1", bfm::core::migration_outcome::failed, "syntax error", 3});
    service_.next_run.value->targets.push_back(t);
    auto res =
        post("/api/v1/migrations/up", R"({"connection":"organization","environment":"dev"})");
    EXPECT_EQ(res.result(), http::status::partial_content);
    auto body = body_of(res);
    EXPECT_EQ(body.at("success"), false);
    EXPECT_EQ(json::serialize(body.at("errors")), R"(["organization/cli_dev: m1: syntax error"])");
}

TEST_F(HttpRouter, DryRunSuffix) {
    bfm::core::target_result t;
    t.connection = "core";
    t.schema = "core";
    t.migrations.push_back({"m1", bfm::core::migration_outcome::would_apply, "", 0});
    service_.next_run.value->targets.push_back(t);
    auto res = post("/api/v1/migrate", R"({"connection":"core","dry_run":true})");
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(json::serialize(body_of(res).at("applied")), R"j(["m1 (dry-run)"])j");
    EXPECT_TRUE(service_.requests.at(0).dry_run);
}

TEST_F(HttpRouter, ServiceErrorIs503) {
    service_.next_run.value.reset();
    service_.next_run.error = bfm::core::service_error{"state_unavailable", "state DB is down"};
    auto res = post("/api/v1/migrate", R"({"connection":"core"})");
    expect_error(res, http::status::service_unavailable, "state_unavailable");
    EXPECT_EQ(body_of(res).at("error"), "state DB is down");
}

TEST_F(HttpRouter, UnexpectedExceptionIs500WithoutDetails) {
    service_.throw_on_migrate = true;
    auto res = post("/api/v1/migrate", R"({"connection":"core"})");
    expect_error(res, http::status::internal_server_error, "internal");
    EXPECT_EQ(body_of(res).at("error"), "internal error");
    EXPECT_EQ(res.body().find("boom"), std::string::npos);
}

// ---- list -------------------------------------------------------------------------------

TEST_F(HttpRouter, ListPassesQueryToService) {
    bfm::core::migration_row row;
    row.migration_id = "m1";
    row.status = "applied";
    row.applied_at = "2025-01-01T00:00:00Z";
    service_.next_list.value->items.push_back(row);
    service_.next_list.value->total = 7;
    auto res =
        call(http::verb::get, "/api/v1/migrations?schema=core&status=applied&limit=5&offset=5");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    ASSERT_EQ(service_.queries.size(), 1u);
    EXPECT_EQ(service_.queries[0].schema, "core");
    EXPECT_EQ(service_.queries[0].status, "applied");
    EXPECT_EQ(service_.queries[0].limit, 5u);
    EXPECT_EQ(service_.queries[0].offset, 5u);
    auto body = body_of(res);
    EXPECT_EQ(body.at("total"), 7);
    EXPECT_EQ(body.at("limit"), 5);
    EXPECT_EQ(body.at("items").at(0).at("applied"), true);
}

TEST_F(HttpRouter, ListQueryValidation) {
    for (const char* target : {"/api/v1/migrations?status=bogus", "/api/v1/migrations?limit=x",
                               "/api/v1/migrations?limit=0", "/api/v1/migrations?offset=-1",
                               "/api/v1/migrations?colour=red"}) {
        auto res = call(http::verb::get, target);
        EXPECT_EQ(res.result(), http::status::bad_request) << target;
        EXPECT_TRUE(body_of(res).at("code").is_string());
    }
    auto res = call(http::verb::get, "/api/v1/migrations?limit=garbage");
    EXPECT_EQ(body_of(res).at("details").at("field"), "limit");
    EXPECT_NE(body_of(res).at("error").as_string().find("limit"), std::string::npos);
    EXPECT_TRUE(service_.queries.empty());
}

TEST_F(HttpRouter, ListServiceErrorIs503) {
    service_.next_list.value.reset();
    service_.next_list.error = bfm::core::service_error{"state_unavailable", "down"};
    expect_error(call(http::verb::get, "/api/v1/migrations"), http::status::service_unavailable,
                 "state_unavailable");
}

}  // namespace
