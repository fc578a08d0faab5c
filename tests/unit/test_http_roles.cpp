// Roles through the router (SPEC 7): 401 without a valid token, 403 when the role is too weak,
// the handler's answer otherwise; and the operations endpoints (/ready, /metrics,
// /api/v1/connections, /api/v1/targets) with the fake service.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "net/router.hpp"
#include "test_http_fakes.hpp"

namespace http = boost::beast::http;
using bfm::test::body_of;
using bfm::test::fake_service;
using bfm::test::str;

namespace {

constexpr const char* viewer_token = "viewer-token-aaaaaaaa";
constexpr const char* operator_token = "operator-token-bbbbbbbb";
constexpr const char* file_admin_token = "admin-token-cccccccc";
constexpr const char* job_id = "01900000-0000-7000-8000-000000000001";

class HttpRoles : public ::testing::Test {
protected:
    void SetUp() override {
        tokens_file_ = std::filesystem::temp_directory_path()
                       / ("bfm-http-roles-" + std::to_string(::getpid()) + ".txt");
        std::ofstream(tokens_file_) << "# roles\nviewer " << viewer_token << "\noperator "
                                    << operator_token << "\nadmin " << file_admin_token << "\n";
        ::chmod(tokens_file_.c_str(), 0600);
        service.config_.api_tokens_file = tokens_file_.string();
        bfm::core::job_summary job;
        job.job_id = job_id;
        job.kind = "up";
        job.status = bfm::core::job_status::queued;
        job.connection = "core";
        service.next_job.value = job;
        service.next_jobs.value = bfm::core::job_page{};
        service.next_reindex.report = bfm::core::reindex_report{};
    }
    void TearDown() override { std::filesystem::remove(tokens_file_); }

    bfm::net::http_response call(http::verb method, const std::string& target,
                                 std::optional<std::string> token, std::string body = {}) {
        bfm::net::http_request req(method, target, 11);
        if (token) req.set(http::field::authorization, "Bearer " + *token);
        if (!body.empty()) {
            req.set(http::field::content_type, "application/json");
            req.body() = std::move(body);
        }
        req.prepare_payload();
        bfm::net::router router(service.config(), service);
        return bfm::test::run_awaitable(ioc, router.handle(req));
    }
    unsigned status(http::verb method, const std::string& target,
                    std::optional<std::string> token, std::string body = {}) {
        return static_cast<unsigned>(call(method, target, std::move(token), std::move(body)).result());
    }

    boost::asio::io_context ioc;
    fake_service service;
    std::filesystem::path tokens_file_;
};

const std::string up_body = R"({"connection":"core"})";
const std::string job_body = R"({"connection":"core"})";

TEST_F(HttpRoles, NoOrBadTokenIs401Everywhere) {
    EXPECT_EQ(status(http::verb::get, "/api/v1/targets", std::nullopt), 401u);
    EXPECT_EQ(status(http::verb::get, "/api/v1/connections", std::nullopt), 401u);
    EXPECT_EQ(status(http::verb::get, "/api/v1/migrations", "not-a-token"), 401u);
    EXPECT_EQ(status(http::verb::post, "/api/v1/jobs", "viewer-token-aaaaaaa", job_body), 401u);
    auto res = call(http::verb::get, "/api/v1/jobs", std::nullopt);
    EXPECT_EQ(res.result(), http::status::unauthorized);
    EXPECT_EQ(str(body_of(res).at("error").at("code")), "unauthorized");  // job error shape
    EXPECT_EQ(res[http::field::www_authenticate], "Bearer");
}

TEST_F(HttpRoles, ViewerReadsButCannotRun) {
    EXPECT_EQ(status(http::verb::get, "/api/v1/migrations", viewer_token), 200u);
    EXPECT_EQ(status(http::verb::get, "/api/v1/jobs", viewer_token), 200u);
    EXPECT_EQ(status(http::verb::get, std::string("/api/v1/jobs/") + job_id, viewer_token), 200u);
    EXPECT_EQ(status(http::verb::get, "/api/v1/targets", viewer_token), 200u);
    EXPECT_EQ(status(http::verb::get, "/api/v1/connections", viewer_token), 200u);

    auto res = call(http::verb::post, "/api/v1/jobs", viewer_token, job_body);
    EXPECT_EQ(res.result(), http::status::forbidden) << res.body();
    EXPECT_EQ(str(body_of(res).at("error").at("code")), "forbidden");
    EXPECT_NE(str(body_of(res).at("error").at("message")).find("needs operator"),
              std::string::npos)
        << res.body();
    EXPECT_EQ(status(http::verb::post, "/api/v1/migrations/up", viewer_token, up_body), 403u);
    EXPECT_EQ(status(http::verb::post, "/api/v1/migrate", viewer_token, up_body), 403u);
    EXPECT_EQ(status(http::verb::post, "/api/v1/migrations/plan", viewer_token, up_body), 403u);
    EXPECT_EQ(status(http::verb::post, "/api/v1/migrations/down", viewer_token, up_body), 403u);
    EXPECT_EQ(status(http::verb::post, std::string("/api/v1/jobs/") + job_id + "/cancel",
                     viewer_token),
              403u);
    EXPECT_EQ(status(http::verb::post, "/api/v1/migrations/reindex", viewer_token), 403u);
    // Nothing reached the service.
    EXPECT_TRUE(service.requests.empty());
    EXPECT_EQ(service.cancel_calls, 0);
    EXPECT_TRUE(service.reindex_paths.empty());
}

TEST_F(HttpRoles, OperatorRunsButCannotReindex) {
    EXPECT_EQ(status(http::verb::post, "/api/v1/jobs", operator_token, job_body), 202u);
    EXPECT_EQ(status(http::verb::post, "/api/v1/migrations/up", operator_token, up_body), 200u);
    const unsigned cancelled =
        status(http::verb::post, std::string("/api/v1/jobs/") + job_id + "/cancel", operator_token);
    EXPECT_TRUE(cancelled == 200u || cancelled == 202u) << cancelled;
    EXPECT_EQ(service.cancel_calls, 1);
    EXPECT_EQ(status(http::verb::get, "/api/v1/targets", operator_token), 200u);
    EXPECT_EQ(service.requests.size(), 2u);
    auto res = call(http::verb::post, "/api/v1/migrations/reindex", operator_token);
    EXPECT_EQ(res.result(), http::status::forbidden);
    EXPECT_EQ(str(body_of(res).at("code")), "forbidden");  // upstream-shaped endpoint
    EXPECT_TRUE(service.reindex_paths.empty());
}

TEST_F(HttpRoles, AdminTokensFromEnvAndFileMayReindex) {
    EXPECT_EQ(status(http::verb::post, "/api/v1/migrations/reindex", file_admin_token), 200u);
    EXPECT_EQ(status(http::verb::post, "/api/v1/migrations/reindex", bfm::test::test_token), 200u);
    EXPECT_EQ(service.reindex_paths.size(), 2u);
    EXPECT_EQ(status(http::verb::post, "/api/v1/jobs", bfm::test::test_token, job_body), 202u);
}

TEST_F(HttpRoles, PublicEndpointsNeedNoToken) {
    EXPECT_EQ(status(http::verb::get, "/health", std::nullopt), 200u);
    EXPECT_EQ(status(http::verb::get, "/api/v1/health", std::nullopt), 200u);
    EXPECT_EQ(status(http::verb::get, "/ready", std::nullopt), 200u);
    EXPECT_EQ(status(http::verb::get, "/metrics", std::nullopt), 200u);
}

TEST_F(HttpRoles, MetricsCanRequireAViewerToken) {
    service.config_.metrics_public = false;
    EXPECT_EQ(status(http::verb::get, "/metrics", std::nullopt), 401u);
    EXPECT_EQ(status(http::verb::get, "/metrics", viewer_token), 200u);
}

TEST_F(HttpRoles, UnknownRoutesStay404) {
    EXPECT_EQ(status(http::verb::get, "/api/v1/nothing", std::nullopt), 404u);
    EXPECT_EQ(status(http::verb::get, "/api/v1/nothing", viewer_token), 404u);
}

TEST_F(HttpRoles, ABadTokensFileStopsTheRouter) {
    std::ofstream(tokens_file_) << "superuser x-token\n";
    EXPECT_THROW(bfm::net::router(service.config(), service), std::invalid_argument);
}

// ---- operations endpoints ------------------------------------------------------------------

TEST_F(HttpRoles, ReadyAnswers503WithReasons) {
    auto ok = call(http::verb::get, "/ready", std::nullopt);
    ASSERT_EQ(ok.result(), http::status::ok);
    EXPECT_EQ(str(body_of(ok).at("status")), "ready");

    service.next_ready.ready = false;
    service.next_ready.reasons = {"state database: connection refused"};
    auto res = call(http::verb::get, "/ready", std::nullopt);
    ASSERT_EQ(res.result(), http::status::service_unavailable);
    auto body = body_of(res);
    EXPECT_EQ(str(body.at("status")), "not_ready");
    EXPECT_EQ(str(body.at("reasons").at(0)), "state database: connection refused");
}

TEST_F(HttpRoles, ConnectionsListEveryFieldButSecrets) {
    bfm::core::connection_status c;
    c.name = "core";
    c.backend = "postgresql";
    c.host = "db.internal";
    c.port = 5433;
    c.database = "app";
    c.schema = "core";
    c.max_connections = 4;
    c.healthy = false;
    c.latency_ms = 12.3456;
    c.error = "connection refused";
    service.next_connections = {c};
    auto res = call(http::verb::get, "/api/v1/connections", viewer_token);
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    const auto item = body_of(res).at("items").at(0).as_object();
    EXPECT_EQ(str(item.at("name")), "core");
    EXPECT_EQ(str(item.at("host")), "db.internal");
    EXPECT_EQ(item.at("port"), 5433);
    EXPECT_EQ(item.at("healthy"), false);
    EXPECT_DOUBLE_EQ(item.at("latency_ms").as_double(), 12.35);
    EXPECT_EQ(str(item.at("error")), "connection refused");
    EXPECT_FALSE(item.contains("password"));
    EXPECT_FALSE(item.contains("username"));
}

TEST_F(HttpRoles, TargetsPassFiltersAndRenderRows) {
    bfm::core::target_summary t;
    t.connection = "organization";
    t.schema = "cli_a";
    t.applied = 2;
    t.pending = 1;
    t.last_applied_at = "2026-01-01T00:00:00.000Z";
    service.next_fleet.value->items = {t};
    service.next_fleet.value->total = 7;
    auto res = call(http::verb::get,
                    "/api/v1/targets?connection=organization&schema=cli_*&status=pending"
                    "&limit=5&offset=2",
                    viewer_token);
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    ASSERT_EQ(service.fleet_queries.size(), 1u);
    const auto& q = service.fleet_queries[0];
    EXPECT_EQ(q.connection, "organization");
    EXPECT_EQ(q.schema, "cli_*");
    EXPECT_EQ(q.status, "pending");
    EXPECT_EQ(q.limit, 5u);
    EXPECT_EQ(q.offset, 2u);
    auto body = body_of(res);
    EXPECT_EQ(body.at("total"), 7);
    EXPECT_EQ(body.at("limit"), 5);
    EXPECT_EQ(body.at("offset"), 2);
    const auto& row = body.at("items").at(0);
    EXPECT_EQ(str(row.at("schema")), "cli_a");
    EXPECT_EQ(str(row.at("status")), "pending");
    EXPECT_EQ(row.at("applied"), 2);
    EXPECT_EQ(row.at("pending"), 1);
    EXPECT_EQ(str(row.at("last_applied_at")), "2026-01-01T00:00:00.000Z");
}

TEST_F(HttpRoles, TargetsRefuseBadParameters) {
    struct bad {
        std::string query;
        std::string parameter;
    };
    for (const bad& b : std::vector<bad>{{"status=broken", "status"},
                                         {"limit=0", "limit"},
                                         {"limit=1001", "limit"},
                                         {"offset=-1", "offset"},
                                         {"schema=bad-name", "schema"},
                                         {"schema=a*b", "schema"},
                                         {"colour=red", "colour"},
                                         {"connection=nope", "connection"},
                                         {"limit=1&limit=2", "limit"}}) {
        auto res = call(http::verb::get, "/api/v1/targets?" + b.query, viewer_token);
        EXPECT_EQ(res.result(), http::status::bad_request) << b.query << ": " << res.body();
        EXPECT_EQ(str(body_of(res).at("error").at("details").at("parameter")), b.parameter)
            << b.query;
    }
    EXPECT_TRUE(service.fleet_queries.empty());
}

TEST_F(HttpRoles, TargetsStateDbDownIs503) {
    service.next_fleet = {};
    service.next_fleet.error = bfm::core::service_error{"state_unavailable", "down"};
    EXPECT_EQ(status(http::verb::get, "/api/v1/targets", viewer_token), 503u);
}

TEST_F(HttpRoles, MetricsAreTextWithRequestCountsAndJobGauges) {
    service.next_job_counts.value->jobs["running"] = 3;
    service.next_job_counts.value->targets["queued"] = 11;
    call(http::verb::get, std::string("/api/v1/jobs/") + job_id, viewer_token);
    auto res = call(http::verb::get, "/metrics", std::nullopt);
    ASSERT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(res[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
    const std::string& text = res.body();
    EXPECT_NE(text.find("bfm_http_requests_total{route=\"/api/v1/jobs/{id}\",method=\"GET\","
                        "code=\"200\"}"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find(job_id), std::string::npos) << "a raw ID leaked into a label";
    EXPECT_NE(text.find("bfm_jobs{status=\"running\"} 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("bfm_jobs{status=\"failed\"} 0\n"), std::string::npos) << text;
    EXPECT_NE(text.find("bfm_job_targets{status=\"queued\"} 11\n"), std::string::npos) << text;
    EXPECT_NE(text.find("bfm_state_up 1\n"), std::string::npos);
    call(http::verb::get, "/nowhere/0190", std::nullopt);
    const std::string after = call(http::verb::get, "/metrics", std::nullopt).body();
    EXPECT_NE(after.find("route=\"unmatched\""), std::string::npos);
    EXPECT_EQ(after.find("/nowhere"), std::string::npos);
}

}  // namespace
