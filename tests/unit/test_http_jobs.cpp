// The job endpoints through the router with the fake service: routing, auth, status codes, the
// JSON shapes of jobs and target rows, validation errors in the {"error": {...}} shape, and
// what the service receives.
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
using bfm::test::str;

const std::string good_auth = std::string("Bearer ") + bfm::test::test_token;
const std::string job_id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
const std::string job_path = "/api/v1/jobs/" + job_id;

bfm::core::job_summary sample_job() {
    bfm::core::job_summary job;
    job.job_id = job_id;
    job.kind = "up";
    job.status = bfm::core::job_status::running;
    job.connection = "organization";
    job.counts.targets_total = 4;
    job.counts.targets_done = 1;
    job.counts.targets_failed = 1;
    job.counts.migrations_applied = 7;
    job.counts.migrations_skipped = 2;
    job.counts.migrations_failed = 1;
    job.options.on_error = bfm::core::on_error_policy::stop;
    job.options.max_failures = 5;
    job.cancel_requested = true;
    job.submitted_by = "api_user";
    job.execution_method = "api";
    job.created_at = "2025-01-02T03:04:05.123Z";
    job.started_at = "2025-01-02T03:04:06.000Z";
    return job;
}

bfm::core::job_target_row sample_row(std::int64_t seq, bfm::core::target_status status) {
    bfm::core::job_target_row row;
    row.seq = seq;
    row.connection = "organization";
    row.schema = "cli_t" + std::to_string(seq);
    row.status = status;
    return row;
}

class HttpJobs : public ::testing::Test {
protected:
    HttpJobs() {
        service_.next_job.value = sample_job();
        service_.next_jobs.value = bfm::core::job_page{};
    }

    http_response call(http::verb method, std::string target, std::string body = {},
                       std::optional<std::string> auth = good_auth) {
        http_request req{method, target, 11};
        if (auth) req.set(http::field::authorization, *auth);
        if (!body.empty()) {
            req.set(http::field::content_type, "application/json");
            req.body() = std::move(body);
            req.prepare_payload();
        }
        return bfm::test::run_awaitable(ioc_, router_.handle(req));
    }

    http_response get(std::string target) { return call(http::verb::get, std::move(target)); }
    http_response post(std::string target, std::string body) {
        return call(http::verb::post, std::move(target), std::move(body));
    }

    // Asserts the job endpoints' error shape and returns error.details.
    json::object expect_job_error(const http_response& res, http::status status,
                                  std::string_view code) {
        EXPECT_EQ(res.result(), status) << res.body();
        EXPECT_EQ(res[http::field::content_type], "application/json");
        json::object body = body_of(res);
        EXPECT_EQ(body.size(), 1u) << res.body();
        const json::value* error = body.if_contains("error");
        if (error == nullptr || !error->is_object()) {
            ADD_FAILURE() << "no error object: " << res.body();
            return {};
        }
        const json::object& e = error->get_object();
        EXPECT_EQ(str(e.at("code")), code) << res.body();
        EXPECT_TRUE(e.at("message").is_string()) << res.body();
        EXPECT_FALSE(e.at("message").get_string().empty()) << res.body();
        EXPECT_TRUE(e.at("details").is_object()) << res.body();
        return e.at("details").is_object() ? e.at("details").get_object() : json::object{};
    }

    static std::string message_of(const http_response& res) {
        return str(body_of(res).at("error").at("message"));
    }

    asio::io_context ioc_;
    bfm::test::fake_service service_;
    bfm::net::router router_{service_.config(), service_};
};

// ---- POST /api/v1/jobs ------------------------------------------------------------------

TEST_F(HttpJobs, SubmitAnswers202WithTheJobUrls) {
    service_.next_job.value->status = bfm::core::job_status::queued;
    auto res = post("/api/v1/jobs",
                    R"({"kind":"up","connection":"organization","schemas":["cli_a","cli_b"],
                        "on_error":"stop","max_failures":3,"target":{"version":"<=20250101"}})");
    ASSERT_EQ(res.result(), http::status::accepted) << res.body();
    EXPECT_EQ(json::parse(res.body()),
              json::parse(R"({"job_id":")" + job_id + R"(","status_url":"/api/v1/jobs/)" + job_id
                          + R"(","events_url":"/api/v1/jobs/)" + job_id
                          + R"(/events","status":"queued"})"));
    EXPECT_EQ(res[http::field::location], "/api/v1/jobs/" + job_id);
    ASSERT_EQ(service_.requests.size(), 1u);
    const bfm::core::job_request& request = service_.requests[0];
    EXPECT_EQ(request.connection, "organization");
    EXPECT_EQ(request.schemas, (std::vector<std::string>{"cli_a", "cli_b"}));
    EXPECT_FALSE(request.dry_run);
    EXPECT_EQ(request.origin.method, bfm::core::execution_method::api);
    EXPECT_NE(request.origin.context_json.find(R"("endpoint":"/api/v1/jobs")"), std::string::npos)
        << request.origin.context_json;
    ASSERT_EQ(service_.job_options.size(), 1u);
    EXPECT_EQ(service_.job_options[0].on_error, bfm::core::on_error_policy::stop);
    EXPECT_EQ(service_.job_options[0].max_failures, 3);
}

TEST_F(HttpJobs, SubmitDefaultsToContinueWithoutLimit) {
    auto res = post("/api/v1/jobs", R"({"connection":"core","kind":null,"max_failures":null})");
    ASSERT_EQ(res.result(), http::status::accepted) << res.body();
    ASSERT_EQ(service_.job_options.size(), 1u);
    EXPECT_EQ(service_.job_options[0].on_error, bfm::core::on_error_policy::continue_);
    EXPECT_EQ(service_.job_options[0].max_failures, 0);
    ASSERT_EQ(service_.requests.size(), 1u);
    EXPECT_EQ(service_.requests[0].connection, "core");
}

TEST_F(HttpJobs, SubmitRefusesOtherKinds) {
    auto res = post("/api/v1/jobs", R"({"connection":"core","kind":"sideways"})");
    auto details = expect_job_error(res, http::status::bad_request, "unsupported_kind");
    EXPECT_EQ(details.at("field"), "kind");
    EXPECT_NE(message_of(res).find("\"down\""), std::string::npos) << res.body();
    EXPECT_TRUE(service_.requests.empty());
}

TEST_F(HttpJobs, SubmitRefusesDryRuns) {
    auto res = post("/api/v1/jobs", R"({"connection":"core","dry_run":true})");
    auto details = expect_job_error(res, http::status::bad_request, "dry_run_not_a_job");
    EXPECT_EQ(details.at("field"), "dry_run");
    EXPECT_EQ(message_of(res), "dry runs are not jobs; use POST /api/v1/migrations/plan");
    EXPECT_TRUE(service_.requests.empty());
    // dry_run: false is just a job.
    EXPECT_EQ(post("/api/v1/jobs", R"({"connection":"core","dry_run":false})").result(),
              http::status::accepted);
}

TEST_F(HttpJobs, SubmitBodyMistakesNameTheField) {
    struct bad_body {
        std::string body;
        std::string code;
        std::string field;  // empty: no field
    };
    const std::vector<bad_body> cases = {
        {R"({"connection":"core","on_error":"abort"})", "invalid_value", "on_error"},
        {R"({"connection":"core","on_error":true})", "invalid_type", "on_error"},
        {R"({"connection":"core","max_failures":-1})", "invalid_value", "max_failures"},
        {R"({"connection":"core","max_failures":"3"})", "invalid_type", "max_failures"},
        {R"({"connection":"core","max_failures":1.5})", "invalid_type", "max_failures"},
        {R"({"connection":"core","max_failures":18446744073709551615})", "invalid_value",
         "max_failures"},
        {R"({"connection":"core","kind":7})", "invalid_type", "kind"},
        {R"({"connection":"core","bogus":1})", "unknown_field", "bogus"},
        {R"({"connection":"core","target":{"nope":1}})", "unknown_field", "target.nope"},
        {R"({"connection":"core","schemas":"cli_a"})", "invalid_type", "schemas"},
        {R"({"connection":"core","schemas":["ok", 3]})", "invalid_type", "schemas[1]"},
        {R"({"connection":"nope"})", "unknown_connection", "connection"},
        {R"({"connection":"core","schema":"x; drop table y"})", "invalid_schema", "schema"},
        {"{", "malformed_json", ""},
        {"[1]", "invalid_body", ""},
    };
    for (const auto& c : cases) {
        auto res = post("/api/v1/jobs", c.body);
        auto details = expect_job_error(res, http::status::bad_request, c.code);
        if (c.field.empty()) {
            EXPECT_TRUE(details.empty()) << c.body << " -> " << res.body();
        } else {
            EXPECT_EQ(str(details["field"]), c.field) << c.body << " -> " << res.body();
        }
    }
    EXPECT_TRUE(service_.requests.empty());
}

TEST_F(HttpJobs, SubmitServiceErrorsMapToStatuses) {
    const std::vector<std::pair<std::string, http::status>> cases = {
        {"state_unavailable", http::status::service_unavailable},
        {"unknown_connection", http::status::bad_request},
        {"invalid_schema", http::status::bad_request},
        {"job_not_found", http::status::not_found},
        {"not_implemented", http::status::not_implemented},
        {"disk_on_fire", http::status::internal_server_error},
    };
    for (const auto& [code, status] : cases) {
        service_.next_job = {};
        service_.next_job.error = bfm::core::service_error{code, "it went wrong: " + code};
        auto res = post("/api/v1/jobs", R"({"connection":"core"})");
        auto details = expect_job_error(res, status, code);
        EXPECT_TRUE(details.empty());
        EXPECT_EQ(message_of(res), "it went wrong: " + code);
    }
    EXPECT_EQ(service_.requests.size(), cases.size());
}

TEST_F(HttpJobs, EveryJobEndpointNeedsTheToken) {
    const std::vector<std::pair<http::verb, std::string>> endpoints = {
        {http::verb::post, "/api/v1/jobs"},
        {http::verb::get, "/api/v1/jobs"},
        {http::verb::get, job_path},
        {http::verb::get, job_path + "/targets"},
        {http::verb::post, job_path + "/cancel"},
        {http::verb::get, job_path + "/events"},
        {http::verb::get, "/api/v1/jobs/not-a-uuid"},
    };
    for (const auto& [method, target] : endpoints) {
        for (const std::optional<std::string>& auth :
             {std::optional<std::string>{}, std::optional<std::string>{"Bearer wrong"}}) {
            auto res = call(method, target, R"({"connection":"core"})", auth);
            expect_job_error(res, http::status::unauthorized, "unauthorized");
            EXPECT_EQ(res[http::field::www_authenticate], "Bearer") << target;
        }
    }
    EXPECT_TRUE(service_.requests.empty());
    EXPECT_TRUE(service_.job_ids.empty());
    EXPECT_TRUE(service_.job_queries.empty());
    EXPECT_EQ(service_.events().subscriber_count(), 0u);
}

TEST_F(HttpJobs, WrongMethodsAre405WithAllow) {
    const std::vector<std::tuple<http::verb, std::string, std::string>> cases = {
        {http::verb::delete_, "/api/v1/jobs", "GET, POST"},
        {http::verb::post, job_path, "GET"},
        {http::verb::delete_, job_path, "GET"},
        {http::verb::post, job_path + "/targets", "GET"},
        {http::verb::get, job_path + "/cancel", "POST"},
        {http::verb::post, job_path + "/events", "GET"},
    };
    for (const auto& [method, target, allow] : cases) {
        auto res = call(method, target);
        expect_job_error(res, http::status::method_not_allowed, "method_not_allowed");
        EXPECT_EQ(res[http::field::allow], allow) << target;
    }
    EXPECT_TRUE(service_.job_ids.empty());
}

TEST_F(HttpJobs, UnknownJobPathsAre404) {
    const std::vector<std::string> targets = {"/api/v1/jobs/", job_path + "/", job_path + "/retry",
                                              job_path + "/targets/1", "/api/v1/jobsx"};
    for (const std::string& target : targets) {
        auto res = get(target);
        EXPECT_EQ(res.result(), http::status::not_found) << target;
        EXPECT_EQ(body_of(res).at("code"), "not_found") << target;
    }
    EXPECT_TRUE(service_.job_ids.empty());
}

// ---- GET /api/v1/jobs -------------------------------------------------------------------

TEST_F(HttpJobs, ListPassesTheQueryAndPagesTheAnswer) {
    bfm::core::job_summary second = sample_job();
    second.job_id = "0190a1b2-0000-7000-8000-000000000001";
    second.status = bfm::core::job_status::failed;
    service_.next_jobs.value->items = {sample_job(), second};
    service_.next_jobs.value->total = 12;

    auto res = get("/api/v1/jobs?status=failed&limit=2&offset=10");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    ASSERT_EQ(service_.job_queries.size(), 1u);
    EXPECT_EQ(service_.job_queries[0].status, bfm::core::job_status::failed);
    EXPECT_EQ(service_.job_queries[0].limit, 2u);
    EXPECT_EQ(service_.job_queries[0].offset, 10u);
    auto body = body_of(res);
    EXPECT_EQ(body.at("total"), 12);
    EXPECT_EQ(body.at("limit"), 2);
    EXPECT_EQ(body.at("offset"), 10);
    const json::array& items = body.at("items").as_array();
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(bfm::test::str(items[0].at("job_id")), job_id);
    EXPECT_EQ(items[0].at("status"), "running");
    EXPECT_EQ(items[1].at("job_id"), "0190a1b2-0000-7000-8000-000000000001");
    EXPECT_EQ(items[1].at("status"), "failed");
    EXPECT_EQ(items[1].at("counts").at("migrations_applied"), 7);
}

TEST_F(HttpJobs, ListDefaults) {
    auto res = get("/api/v1/jobs");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    EXPECT_EQ(json::parse(res.body()),
              json::parse(R"({"items":[],"total":0,"limit":50,"offset":0})"));
    ASSERT_EQ(service_.job_queries.size(), 1u);
    EXPECT_FALSE(service_.job_queries[0].status.has_value());
}

TEST_F(HttpJobs, ListQueryMistakesNameTheParameter) {
    const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
        {"status=done", "invalid_parameter", "status"},
        {"status=", "invalid_parameter", "status"},
        {"limit=0", "invalid_parameter", "limit"},
        {"limit=1001", "invalid_parameter", "limit"},
        {"limit=ten", "invalid_parameter", "limit"},
        {"offset=-1", "invalid_parameter", "offset"},
        {"sort=asc", "unknown_parameter", "sort"},
        {"status=failed&status=running", "duplicate_parameter", "status"},
    };
    for (const auto& [query, code, parameter] : cases) {
        auto res = get("/api/v1/jobs?" + query);
        auto details = expect_job_error(res, http::status::bad_request, code);
        EXPECT_EQ(str(details["parameter"]), parameter) << query;
    }
    EXPECT_NE(message_of(get("/api/v1/jobs?status=done"))
                  .find("queued, running, succeeded, failed, partial, cancelled"),
              std::string::npos);
    EXPECT_TRUE(service_.job_queries.empty());
}

TEST_F(HttpJobs, ListServiceFailureIs503) {
    service_.next_jobs = {};
    service_.next_jobs.error = bfm::core::service_error{"state_unavailable", "state DB down"};
    expect_job_error(get("/api/v1/jobs"), http::status::service_unavailable, "state_unavailable");
}

// ---- GET /api/v1/jobs/{id} --------------------------------------------------------------

TEST_F(HttpJobs, GetJobAnswersEveryField) {
    auto res = get(job_path);
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    EXPECT_EQ(json::parse(res.body()), json::parse(R"({
        "job_id": ")" + job_id + R"(", "kind": "up", "status": "running",
        "connection": "organization",
        "counts": {"targets_total": 4, "targets_done": 1, "targets_failed": 1,
                   "migrations_applied": 7, "migrations_skipped": 2, "migrations_failed": 1},
        "progress": 25, "on_error": "stop", "max_failures": 5, "cancel_requested": true,
        "submitted_by": "api_user", "execution_method": "api", "error": null,
        "created_at": "2025-01-02T03:04:05.123Z", "started_at": "2025-01-02T03:04:06.000Z",
        "finished_at": null})"))
        << res.body();
    EXPECT_EQ(service_.job_ids, (std::vector<std::string>{job_id}));
}

TEST_F(HttpJobs, FinishedJobHasItsErrorAndEndTime) {
    service_.next_job.value->status = bfm::core::job_status::failed;
    service_.next_job.value->error = "schema discovery failed: connection refused";
    service_.next_job.value->finished_at = "2025-01-02T03:05:00.000Z";
    service_.next_job.value->counts.targets_done = 4;
    auto body = body_of(get(job_path));
    EXPECT_EQ(body.at("status"), "failed");
    EXPECT_EQ(body.at("error"), "schema discovery failed: connection refused");
    EXPECT_EQ(body.at("finished_at"), "2025-01-02T03:05:00.000Z");
    EXPECT_EQ(body.at("progress"), 100);
}

TEST_F(HttpJobs, JobIdsMustBeUuids) {
    const std::vector<std::string> bad = {
        "123",
        "0190a1b2c3d47e5f8a9b0c1d2e3f4a5b1234",   // 36 chars, no dashes
        "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5g",   // not hex
        "0190a1b2-c3d4-7e5f-8a9b0-c1d2e3f4a5b",   // dash misplaced
        "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b0",  // 37 chars
        "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4%41",   // percent-encoding is not decoded into an ID
    };
    for (const std::string& id : bad) {
        for (auto res :
             {get("/api/v1/jobs/" + id), get("/api/v1/jobs/" + id + "/targets"),
              post("/api/v1/jobs/" + id + "/cancel", ""), get("/api/v1/jobs/" + id + "/events")}) {
            auto details = expect_job_error(res, http::status::bad_request, "invalid_job_id");
            EXPECT_EQ(str(details["job_id"]), id);
        }
    }
    EXPECT_TRUE(service_.job_ids.empty());
    EXPECT_EQ(service_.cancel_calls, 0);
    EXPECT_EQ(service_.events().subscriber_count(), 0u);
}

TEST_F(HttpJobs, UpperCaseIdsAreLowered) {
    auto res = get("/api/v1/jobs/0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B");
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(service_.job_ids, (std::vector<std::string>{job_id}));
}

TEST_F(HttpJobs, UnknownJobIs404) {
    service_.next_job = {};
    service_.next_job.error = bfm::core::service_error{"job_not_found", "no job " + job_id};
    for (auto res : {get(job_path), post(job_path + "/cancel", ""), get(job_path + "/events")}) {
        expect_job_error(res, http::status::not_found, "job_not_found");
        EXPECT_EQ(message_of(res), "no job " + job_id);
    }
    EXPECT_EQ(service_.events().subscriber_count(), 0u);
}

TEST_F(HttpJobs, AnExceptionIsA500InTheJobShape) {
    service_.on_get_job = [](const std::string&) { throw std::runtime_error("engine exploded"); };
    auto res = get(job_path);
    expect_job_error(res, http::status::internal_server_error, "internal");
    EXPECT_EQ(message_of(res), "internal error");
    EXPECT_EQ(res.body().find("exploded"), std::string::npos);
}

// ---- GET /api/v1/jobs/{id}/targets ------------------------------------------------------

TEST_F(HttpJobs, TargetsAnswerRowsWithTheirMigrations) {
    bfm::core::job_target_row done = sample_row(0, bfm::core::target_status::failed);
    done.error = "20250101_add_users: 42P07 relation \"users\" already exists";
    done.claimed_by = "bfm-a:1234";
    done.started_at = "2025-01-02T03:04:06.000Z";
    done.finished_at = "2025-01-02T03:04:07.500Z";
    done.duration_ms = 1500;
    done.applied = 1;
    done.failed = 1;
    done.migrations = {{"20241231_init", bfm::core::migration_outcome::applied, "", 20},
                       {"20250101_add_users", bfm::core::migration_outcome::failed,
                        "42P07 relation \"users\" already exists", 30}};
    bfm::core::job_target_row running = sample_row(1, bfm::core::target_status::running);
    running.current_migration = "20250101_add_users";
    service_.target_rows = {done, running, sample_row(2, bfm::core::target_status::queued)};

    auto res = get(job_path + "/targets");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    auto body = body_of(res);
    EXPECT_EQ(body.at("total"), 3);
    EXPECT_EQ(body.at("limit"), 100);
    EXPECT_EQ(body.at("offset"), 0);
    const json::array& items = body.at("items").as_array();
    ASSERT_EQ(items.size(), 3u);
    EXPECT_EQ(items[0], json::parse(R"({
        "seq": 0, "connection": "organization", "schema": "cli_t0", "status": "failed",
        "current_migration": null,
        "error": "20250101_add_users: 42P07 relation \"users\" already exists",
        "claimed_by": "bfm-a:1234", "started_at": "2025-01-02T03:04:06.000Z",
        "finished_at": "2025-01-02T03:04:07.500Z", "duration_ms": 1500,
        "applied": 1, "skipped": 0, "failed": 1,
        "migrations": [
            {"migration_id": "20241231_init", "status": "applied", "error": null,
             "duration_ms": 20},
            {"migration_id": "20250101_add_users", "status": "failed",
             "error": "42P07 relation \"users\" already exists", "duration_ms": 30}]})"))
        << items[0];
    EXPECT_EQ(items[1].at("status"), "running");
    EXPECT_EQ(items[1].at("current_migration"), "20250101_add_users");
    EXPECT_EQ(items[2].at("status"), "queued");
    EXPECT_TRUE(items[2].at("started_at").is_null());
    EXPECT_EQ(items[2].at("migrations"), json::array{});
}

TEST_F(HttpJobs, TargetsFilterAndPage) {
    service_.target_rows = {sample_row(0, bfm::core::target_status::failed),
                            sample_row(1, bfm::core::target_status::succeeded),
                            sample_row(2, bfm::core::target_status::failed),
                            sample_row(3, bfm::core::target_status::failed)};
    auto res = get(job_path + "/targets?status=failed&limit=1&offset=1");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    ASSERT_EQ(service_.target_queries.size(), 1u);
    EXPECT_EQ(service_.target_queries[0].status, bfm::core::target_status::failed);
    EXPECT_EQ(service_.target_queries[0].limit, 1u);
    EXPECT_EQ(service_.target_queries[0].offset, 1u);
    EXPECT_EQ(service_.job_ids, (std::vector<std::string>{job_id}));
    auto body = body_of(res);
    EXPECT_EQ(body.at("total"), 3);
    ASSERT_EQ(body.at("items").as_array().size(), 1u);
    EXPECT_EQ(body.at("items").as_array()[0].at("seq"), 2);
}

TEST_F(HttpJobs, TargetsQueryMistakes) {
    for (const std::string query : {"status=partial", "limit=0", "offset=x", "page=2"}) {
        auto res = get(job_path + "/targets?" + query);
        auto details =
            expect_job_error(res, http::status::bad_request,
                             query == "page=2" ? "unknown_parameter" : "invalid_parameter");
        EXPECT_EQ(str(details["parameter"]), query.substr(0, query.find('=')));
    }
    EXPECT_NE(message_of(get(job_path + "/targets?status=partial"))
                  .find("queued, running, succeeded, failed, cancelled"),
              std::string::npos);
    EXPECT_TRUE(service_.target_queries.empty());
}

TEST_F(HttpJobs, TargetsOfAnUnknownJobAre404) {
    service_.next_targets.error = bfm::core::service_error{"job_not_found", "no such job"};
    expect_job_error(get(job_path + "/targets"), http::status::not_found, "job_not_found");
}

// ---- POST /api/v1/jobs/{id}/cancel ------------------------------------------------------

TEST_F(HttpJobs, CancelOfARunningJobIs202WithTheJob) {
    auto res = post(job_path + "/cancel", "");
    ASSERT_EQ(res.result(), http::status::accepted) << res.body();
    auto body = body_of(res);
    EXPECT_EQ(bfm::test::str(body.at("job_id")), job_id);
    EXPECT_EQ(body.at("status"), "running");
    EXPECT_EQ(body.at("cancel_requested"), true);
    EXPECT_EQ(service_.cancel_calls, 1);
    EXPECT_EQ(service_.job_ids, (std::vector<std::string>{job_id}));
}

TEST_F(HttpJobs, CancelOfAFinalJobIs200) {
    for (auto status : {bfm::core::job_status::succeeded, bfm::core::job_status::cancelled,
                        bfm::core::job_status::partial}) {
        bfm::core::job_summary job = sample_job();
        job.status = status;
        service_.next_cancel = bfm::core::service_outcome<bfm::core::job_summary>{job, {}};
        auto res = post(job_path + "/cancel", "");
        EXPECT_EQ(res.result(), http::status::ok) << res.body();
        EXPECT_EQ(str(body_of(res).at("status")), bfm::core::to_string(status));
    }
    EXPECT_EQ(service_.cancel_calls, 3);
}

TEST_F(HttpJobs, CancelWhenTheStateIsDownIs503) {
    service_.next_cancel = bfm::core::service_outcome<bfm::core::job_summary>{
        std::nullopt, bfm::core::service_error{"state_unavailable", "state DB down"}};
    expect_job_error(post(job_path + "/cancel", ""), http::status::service_unavailable,
                     "state_unavailable");
}

// ---- GET /api/v1/jobs/{id}/events (what the router answers; the stream itself is tested in
// test_http_jobs_sse.cpp) -----------------------------------------------------------------

TEST_F(HttpJobs, EventsAnswerAStreamHeader) {
    http_request req{http::verb::get, job_path + "/events", 11};
    req.set(http::field::authorization, good_auth);
    bfm::net::router_reply reply = bfm::test::run_awaitable(ioc_, router_.respond(req));
    ASSERT_TRUE(reply.stream);
    const http_response& head = reply.response;
    EXPECT_EQ(head.result(), http::status::ok);
    EXPECT_EQ(head[http::field::content_type], "text/event-stream");
    EXPECT_EQ(head[http::field::cache_control], "no-cache");
    EXPECT_EQ(head.count(http::field::content_length), 0u);
    EXPECT_FALSE(head.keep_alive());
    // Subscribed before the snapshot was read, and still subscribed while the stream exists.
    EXPECT_EQ(service_.events().subscriber_count(), 1u);
    reply.stream.reset();
    EXPECT_EQ(service_.events().subscriber_count(), 0u);
}

TEST_F(HttpJobs, EventsWhenTheStateIsDownIs503AndUnsubscribes) {
    service_.next_targets.error = bfm::core::service_error{"state_unavailable", "state DB down"};
    auto res = get(job_path + "/events");
    expect_job_error(res, http::status::service_unavailable, "state_unavailable");
    EXPECT_EQ(service_.events().subscriber_count(), 0u);
}

}  // namespace
