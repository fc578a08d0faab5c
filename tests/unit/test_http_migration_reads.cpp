// The per-migration read endpoints through the router with the fake service: routing, auth,
// status codes, upstream field names, pagination, parameter errors, and what the service
// receives (IDs decoded, queries parsed).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include "net/router.hpp"
#include "unit/test_http_fakes.hpp"

namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using bfm::net::http_request;
using bfm::net::http_response;
using bfm::test::body_of;
using bfm::test::str;

const std::string good_auth = std::string("Bearer ") + bfm::test::test_token;
const std::string id = "20250101120000_create_users_postgresql_organization";
const std::string base = "/api/v1/migrations/";

bfm::core::target_state state_row(std::string schema, std::string status) {
    bfm::core::target_state s;
    s.migration_id = id;
    s.connection = "organization";
    s.schema = std::move(schema);
    s.version = "20250101120000";
    s.name = "create_users";
    s.backend = "postgresql";
    s.status = std::move(status);
    s.checksum = "v1:abc";
    s.created_at = "2025-01-02T03:04:05.000Z";
    s.updated_at = "2025-01-02T03:04:06.000Z";
    if (s.status == "applied") s.applied_at = "2025-01-02T03:04:06.000Z";
    return s;
}

bfm::core::history_entry history_row(std::int64_t row_id, std::string action,
                                     std::string status) {
    bfm::core::history_entry h;
    h.id = row_id;
    h.attempt_id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    h.migration_id = id;
    h.connection = "organization";
    h.schema = "cli_a";
    h.version = "20250101120000";
    h.backend = "postgresql";
    h.action = std::move(action);
    h.status = std::move(status);
    h.started_at = "2025-01-02T03:04:05.000Z";
    h.finished_at = "2025-01-02T03:04:05.100Z";
    h.duration_ms = 100;
    h.executed_by = "api_user";
    h.execution_method = "api";
    h.execution_context = R"({"endpoint": "/api/v1/migrate"})";
    return h;
}

class HttpMigrationReads : public ::testing::Test {
protected:
    http_response call(http::verb method, const std::string& target,
                       std::optional<std::string> auth = good_auth) {
        http_request req{method, target, 11};
        if (auth) req.set(http::field::authorization, *auth);
        return bfm::test::run_awaitable(ioc_, router_.handle(req));
    }
    http_response get(const std::string& target) { return call(http::verb::get, target); }

    void expect_error(const http_response& res, http::status status, std::string_view code,
                      std::string_view field = {}) {
        EXPECT_EQ(res.result(), status) << res.body();
        auto body = body_of(res);
        EXPECT_TRUE(body.at("error").is_string()) << res.body();
        EXPECT_EQ(str(body.at("code")), code) << res.body();
        if (!field.empty()) {
            EXPECT_EQ(str(body.at("details").at("field")), field) << res.body();
        }
    }

    boost::asio::io_context ioc_;
    bfm::test::fake_service service_;
    bfm::net::router router_{service_.config(), service_};
};

TEST_F(HttpMigrationReads, EveryEndpointNeedsTheToken) {
    for (const std::string& path :
         {base + id, base + id + "/status", base + id + "/applied", base + id + "/history",
          base + id + "/executions", base + id + "/skipped", base + "executions/recent",
          base + "skipped/recent"}) {
        auto res = call(http::verb::get, path, std::nullopt);
        EXPECT_EQ(res.result(), http::status::unauthorized) << path;
        EXPECT_EQ(str(body_of(res).at("error")), "missing Authorization header") << path;
    }
    EXPECT_TRUE(service_.read_calls.empty());
}

TEST_F(HttpMigrationReads, DetailHasUpstreamFields) {
    auto& d = service_.next_detail;
    d.migration_id = id;
    d.backend = "postgresql";
    d.connection = "organization";
    d.version = "20250101120000";
    d.name = "create_users";
    d.table = "users";
    d.checksum = "v1:abc";
    d.up_sql = "CREATE TABLE users (id int);";
    d.down_sql = "DROP TABLE users;";
    bfm::core::dependency by_name;
    by_name.target = "create_orgs";
    by_name.connection = "core";
    by_name.requires_table = "orgs";
    bfm::core::dependency by_version;
    by_version.target = "20240101000000";
    by_version.target_type = bfm::core::dependency::kind::version;
    d.dependencies = {by_name, by_version};
    d.tags = {{"tier", "gold"}, {"expr", "a=b"}};
    d.state.connection = "organization";
    d.state.status = "applied";
    d.state.applied = true;
    d.state.applied_at = "2025-01-02T03:04:06.000Z";
    d.state.targets = {{"applied", 2}};

    auto res = get(base + id);
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    auto body = body_of(res);
    EXPECT_EQ(str(body.at("migration_id")), id);
    EXPECT_EQ(str(body.at("schema")), "");
    EXPECT_EQ(str(body.at("table")), "users");
    EXPECT_EQ(str(body.at("version")), "20250101120000");
    EXPECT_EQ(str(body.at("name")), "create_users");
    EXPECT_EQ(str(body.at("connection")), "organization");
    EXPECT_EQ(str(body.at("backend")), "postgresql");
    EXPECT_EQ(body.at("applied"), json::value(true));
    EXPECT_EQ(str(body.at("status")), "applied");
    EXPECT_EQ(str(body.at("applied_at")), "2025-01-02T03:04:06.000Z");
    EXPECT_EQ(str(body.at("up_sql")), "CREATE TABLE users (id int);");
    EXPECT_EQ(str(body.at("down_sql")), "DROP TABLE users;");
    EXPECT_EQ(str(body.at("dependencies")), R"(<["core:create_orgs","@20240101000000"]>)");
    EXPECT_EQ(str(body.at("structured_dependencies")),
              R"(<[{"connection":"core","schema":"","target":"create_orgs","target_type":"name",)"
              R"("requires_table":"orgs"},{"connection":"","schema":"",)"
              R"("target":"20240101000000","target_type":"version"}]>)");
    EXPECT_EQ(str(body.at("tags")), R"(<["tier=gold","expr=a=b"]>)");
    EXPECT_EQ(str(body.at("targets")), R"(<{"applied":2}>)");
    ASSERT_EQ(service_.read_calls.size(), 1u);
    EXPECT_EQ(service_.read_calls[0].endpoint, "detail");
    EXPECT_EQ(service_.read_calls[0].id, id);
}

TEST_F(HttpMigrationReads, DetailWithoutDownScriptOmitsIt) {
    service_.next_detail.migration_id = id;
    auto body = body_of(get(base + id));
    EXPECT_FALSE(body.contains("down_sql"));
    EXPECT_FALSE(body.contains("applied_at"));
    EXPECT_EQ(body.at("applied"), json::value(false));
    EXPECT_EQ(str(body.at("status")), "pending");
}

TEST_F(HttpMigrationReads, UnknownIdIs404InUpstreamShape) {
    service_.next_read_error = bfm::core::service_error{"migration_not_found", "migration not found"};
    for (const std::string suffix :
         {"", "/status", "/applied", "/history", "/executions", "/skipped"}) {
        auto res = get(base + "nope_1" + suffix);
        EXPECT_EQ(res.result(), http::status::not_found) << suffix;
        auto body = body_of(res);
        EXPECT_EQ(str(body.at("error")), "migration not found") << res.body();
        EXPECT_EQ(str(body.at("code")), "migration_not_found");
        EXPECT_EQ(str(body.at("details").at("migration_id")), "nope_1");
    }
}

TEST_F(HttpMigrationReads, IdsAreUrlDecoded) {
    service_.next_status.migration_id = "x";
    get(base + "cli_a_20250103000000_add%20user%2Bnotes_postgresql_org/status");
    get(base + "weird%2Fid/history");
    ASSERT_EQ(service_.read_calls.size(), 2u);
    EXPECT_EQ(service_.read_calls[0].id, "cli_a_20250103000000_add user+notes_postgresql_org");
    EXPECT_EQ(service_.read_calls[1].id, "weird/id");
    EXPECT_EQ(service_.read_calls[1].endpoint, "history");
}

TEST_F(HttpMigrationReads, StatusAfterRollbackIsNotApplied) {
    auto& st = service_.next_status;
    st.migration_id = id;
    st.state.connection = "organization";
    st.state.schema = "cli_a";
    st.state.status = "rolled_back";
    st.state.applied = false;
    st.state.targets = {{"rolled_back", 1}};
    auto res = get(base + id + "/status?schema=cli_a");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    auto body = body_of(res);
    EXPECT_EQ(str(body.at("migration_id")), id);
    EXPECT_EQ(str(body.at("status")), "rolled_back");
    EXPECT_EQ(body.at("applied"), json::value(false));
    EXPECT_FALSE(body.contains("applied_at"));
    EXPECT_FALSE(body.contains("error_message"));
    EXPECT_EQ(str(body.at("target_schema")), "cli_a");
    ASSERT_EQ(service_.read_calls.size(), 1u);
    EXPECT_EQ(service_.read_calls[0].query.schema, "cli_a");
}

TEST_F(HttpMigrationReads, FailedStatusCarriesTheError) {
    service_.next_status.migration_id = id;
    service_.next_status.state.status = "failed";
    service_.next_status.state.error_message = "ERROR 42P07: relation exists";
    auto body = body_of(get(base + id + "/status"));
    EXPECT_EQ(str(body.at("error_message")), "ERROR 42P07: relation exists");
    EXPECT_EQ(body.at("applied"), json::value(false));
}

TEST_F(HttpMigrationReads, AppliedIsPerTargetAndPaginated) {
    auto& a = service_.next_applied;
    a.migration_id = id;
    a.applied = false;
    a.targets = {state_row("cli_a", "applied"), state_row("cli_b", "failed")};
    a.total = 7;
    auto res = get(base + id + "/applied?connection=organization&limit=2&offset=4");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    auto body = body_of(res);
    EXPECT_EQ(body.at("applied"), json::value(false));
    EXPECT_EQ(body.at("total"), json::value(7));
    EXPECT_EQ(body.at("limit"), json::value(2));
    EXPECT_EQ(body.at("offset"), json::value(4));
    const auto& targets = body.at("targets").as_array();
    ASSERT_EQ(targets.size(), 2u);
    EXPECT_EQ(str(targets[0].at("schema")), "cli_a");
    EXPECT_EQ(targets[0].at("applied"), json::value(true));
    EXPECT_EQ(targets[1].at("applied"), json::value(false));
    EXPECT_EQ(str(targets[1].at("status")), "failed");
    const auto& q = service_.read_calls.at(0).query;
    EXPECT_EQ(q.connection, "organization");
    EXPECT_EQ(q.schema, "");
    EXPECT_EQ(q.limit, 2u);
    EXPECT_EQ(q.offset, 4u);
}

TEST_F(HttpMigrationReads, HistoryRowsKeepUpstreamNamesAndContextAsString) {
    auto& h = service_.next_history;
    h.migration_id = id;
    h.items = {history_row(9, "rollback", "rolled_back"), history_row(3, "up", "applied")};
    h.total = 12;
    auto res = get(base + id + "/history?limit=2&offset=0&schema=cli_a&action=up");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    auto body = body_of(res);
    EXPECT_EQ(str(body.at("migration_id")), id);
    EXPECT_EQ(body.at("total"), json::value(12));
    const auto& rows = body.at("history").as_array();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].at("id"), json::value(9));
    for (const char* field :
         {"migration_id", "schema", "table", "version", "connection", "backend", "applied_at",
          "status", "error_message", "executed_by", "execution_method", "execution_context"}) {
        EXPECT_TRUE(rows[0].as_object().contains(field)) << field;
    }
    EXPECT_TRUE(rows[0].at("execution_context").is_string());
    EXPECT_EQ(str(rows[0].at("applied_at")), "2025-01-02T03:04:05.100Z");
    EXPECT_EQ(str(rows[1].at("action")), "up");
    const auto& q = service_.read_calls.at(0).query;
    EXPECT_EQ(q.action, "up");
    EXPECT_EQ(q.schema, "cli_a");
}

TEST_F(HttpMigrationReads, ExecutionsAndRecentExecutions) {
    service_.next_executions.migration_id = id;
    service_.next_executions.items = {state_row("cli_b", "applied")};
    service_.next_executions.total = 1;
    auto one = body_of(get(base + id + "/executions"));
    EXPECT_EQ(str(one.at("migration_id")), id);
    EXPECT_EQ(str(one.at("executions").as_array().at(0).at("created_at")),
              "2025-01-02T03:04:05.000Z");
    EXPECT_EQ(one.at("limit"), json::value(100));

    service_.next_executions.migration_id.clear();
    auto recent = get(base + "executions/recent?limit=10");
    ASSERT_EQ(recent.result(), http::status::ok) << recent.body();
    auto body = body_of(recent);
    EXPECT_FALSE(body.contains("migration_id"));
    EXPECT_EQ(body.at("executions").as_array().size(), 1u);
    ASSERT_EQ(service_.read_calls.size(), 2u);
    EXPECT_EQ(service_.read_calls[1].endpoint, "recent_executions");
    EXPECT_EQ(service_.read_calls[1].query.limit, 10u);
}

TEST_F(HttpMigrationReads, SkippedAndRecentSkipped) {
    auto row = history_row(5, "skip", "skipped");
    row.skip_reason = "already applied";
    service_.next_skipped.migration_id = id;
    service_.next_skipped.items = {row};
    service_.next_skipped.total = 40;
    auto body = body_of(get(base + id + "/skipped?offset=39"));
    const auto& item = body.at("skipped").as_array().at(0);
    EXPECT_EQ(item.at("id"), json::value(5));
    EXPECT_EQ(str(item.at("reason")), "already applied");
    EXPECT_EQ(str(item.at("skipped_at")), "2025-01-02T03:04:05.000Z");
    EXPECT_TRUE(item.at("execution_context").is_string());
    EXPECT_EQ(body.at("total"), json::value(40));
    EXPECT_EQ(body.at("offset"), json::value(39));

    auto recent = get(base + "skipped/recent");
    ASSERT_EQ(recent.result(), http::status::ok) << recent.body();
    EXPECT_EQ(service_.read_calls.back().endpoint, "recent_skipped");
    EXPECT_EQ(service_.read_calls.back().id, "");
}

TEST_F(HttpMigrationReads, BadParametersAre400NamingThem) {
    expect_error(get(base + id + "/history?limit=0"), http::status::bad_request,
                 "invalid_parameter", "limit");
    expect_error(get(base + id + "/history?limit=1001"), http::status::bad_request,
                 "invalid_parameter", "limit");
    expect_error(get(base + id + "/executions?offset=x"), http::status::bad_request,
                 "invalid_parameter", "offset");
    expect_error(get(base + id + "/applied?schema=1-bad"), http::status::bad_request,
                 "invalid_parameter", "schema");
    expect_error(get(base + "executions/recent?limit=abc"), http::status::bad_request,
                 "invalid_parameter", "limit");
    expect_error(get(base + id + "?limit=5"), http::status::bad_request, "unknown_parameter",
                 "limit");
    expect_error(get(base + id + "/status?verbose=1"), http::status::bad_request,
                 "unknown_parameter", "verbose");
    expect_error(get(base + id + "/skipped?limit=1&limit=2"), http::status::bad_request,
                 "duplicate_parameter", "limit");
    expect_error(get(base + id + "/history?action=drop"), http::status::bad_request,
                 "invalid_parameter", "action");
    EXPECT_TRUE(service_.read_calls.empty());
}

TEST_F(HttpMigrationReads, BadIdsAre400) {
    expect_error(get(base + "a%0Ab"), http::status::bad_request, "invalid_migration_id");
    expect_error(get(base + std::string(600, 'x') + "/status"), http::status::bad_request,
                 "invalid_migration_id");
    EXPECT_TRUE(service_.read_calls.empty());
}

TEST_F(HttpMigrationReads, ServiceErrorsMapToStatusCodes) {
    service_.next_read_error = bfm::core::service_error{"schema_conflict", "schema differs"};
    expect_error(get(base + "cli_a_" + id + "/status?schema=cli_b"), http::status::bad_request,
                 "schema_conflict", "schema");
    service_.next_read_error = bfm::core::service_error{"state_unavailable", "state DB down"};
    expect_error(get(base + id + "/history"), http::status::service_unavailable,
                 "state_unavailable");
    expect_error(get(base + "skipped/recent"), http::status::service_unavailable,
                 "state_unavailable");
}

TEST_F(HttpMigrationReads, OtherMethodsAre405WithAllow) {
    for (const auto verb : {http::verb::post, http::verb::put, http::verb::delete_}) {
        for (const std::string& path : {base + id + "/status", base + id, base + "skipped/recent"}) {
            auto res = call(verb, path);
            EXPECT_EQ(res.result(), http::status::method_not_allowed) << path;
            EXPECT_EQ(res[http::field::allow], "GET") << path;
        }
    }
    EXPECT_TRUE(service_.read_calls.empty());
}

TEST_F(HttpMigrationReads, FixedRoutesStillWin) {
    // GET on a POST-only fixed route stays a 405 of that route, not the detail of "reindex".
    auto res = get("/api/v1/migrations/reindex");
    EXPECT_EQ(res.result(), http::status::method_not_allowed);
    EXPECT_EQ(res[http::field::allow], "POST");
    EXPECT_TRUE(service_.read_calls.empty());
    // And unknown sub-paths are 404.
    EXPECT_EQ(get(base + id + "/unknown").result(), http::status::not_found);
}

}  // namespace
