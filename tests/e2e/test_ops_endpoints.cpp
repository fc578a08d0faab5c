// The real `bfm serve` with real PostgreSQL: roles from a tokens file, /ready, /metrics after a
// migration, /api/v1/connections (healthy and unreachable, no secrets) and /api/v1/targets
// (counts, filters, pagination, 10,000 tenants).

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "core/loader.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/pg_test_env.hpp"

namespace json = boost::json;
using bfm::test::exec_sql;
using bfm::test::http_request;

namespace {

constexpr const char* admin_token = "e2e-ops-admin-token-0123456789";
constexpr const char* viewer_token = "e2e-ops-viewer-token-abcdef";
constexpr const char* operator_token = "e2e-ops-operator-token-ghijkl";
constexpr const char* state_db = "bfm_e2e_ops_state";
constexpr const char* app_db = "bfm_e2e_ops_app";
constexpr const char* core_password = "core-password-must-stay-secret";
constexpr const char* broken_password = "broken-password-must-stay-secret";
const std::string sfm_path = std::string(BFM_SOURCE_DIR) + "/config/sfm";

std::vector<std::string> example_ids(const std::string& connection) {
    auto loaded = bfm::core::load_migrations_from_directory(sfm_path);
    EXPECT_TRUE(loaded.ok());
    std::vector<std::string> ids;
    for (const auto& m : loaded.migrations) {
        if (m.connection == connection) ids.push_back(m.id);
    }
    return ids;
}

// The value of one sample line (`name{labels} value`), or -1 when absent.
double sample(const std::string& text, const std::string& series) {
    const std::string prefix = series + " ";
    std::size_t at = 0;
    while ((at = text.find(prefix, at)) != std::string::npos) {
        if (at == 0 || text[at - 1] == '\n') {
            const std::size_t end = text.find('\n', at);
            return std::stod(text.substr(at + prefix.size(), end - at - prefix.size()));
        }
        at += prefix.size();
    }
    return -1;
}

class OpsEndpoints : public ::testing::Test {
protected:
    void SetUp() override {
        bfm::test::create_test_database(state_db);
        bfm::test::create_test_database(app_db);
        tokens_file = std::filesystem::temp_directory_path()
                      / ("bfm-e2e-tokens-" + std::to_string(::getpid()) + ".txt");
        write_tokens(std::string("# e2e roles\nviewer ") + viewer_token + "\noperator "
                     + operator_token + "\n");
    }

    void TearDown() override {
        if (HasFailure() && server) std::cerr << "---- bfm output ----\n" << server->output();
        std::filesystem::remove(tokens_file);
    }

    void write_tokens(const std::string& text) {
        std::ofstream(tokens_file) << text;
        ::chmod(tokens_file.c_str(), 0600);
    }

    std::map<std::string, std::string> env() {
        const auto p = bfm::test::pg_params(state_db);
        std::map<std::string, std::string> e{
            {"BFM_HTTP_PORT", std::to_string(port)},
            {"BFM_HTTP_ADDRESS", "127.0.0.1"},
            {"BFM_GRPC_PORT", std::to_string(bfm::test::free_port())},
            {"BFM_API_TOKEN", admin_token},
            {"BFM_API_TOKENS_FILE", tokens_file.string()},
            {"BFM_SFM_PATH", sfm_path},
            {"BFM_STATE_DB_HOST", p.host},
            {"BFM_STATE_DB_PORT", std::to_string(p.port)},
            {"BFM_STATE_DB_USERNAME", p.user},
            {"BFM_STATE_DB_NAME", state_db},
            {"BFM_CONNECT_TIMEOUT", "1s"},
        };
        for (const std::string conn : {"CORE", "GUARD", "ORGANIZATION"}) {
            e[conn + "_BACKEND"] = "postgresql";
            e[conn + "_DB_HOST"] = p.host;
            e[conn + "_DB_PORT"] = std::to_string(p.port);
            e[conn + "_DB_USERNAME"] = p.user;
            e[conn + "_DB_NAME"] = app_db;
        }
        // Loopback authentication is `trust`: the password is sent and ignored.
        e["CORE_DB_PASSWORD"] = core_password;
        // A connection nobody listens on (no migrations: it only shows in /connections).
        e["BROKEN_BACKEND"] = "postgresql";
        e["BROKEN_DB_HOST"] = "127.0.0.1";
        e["BROKEN_DB_PORT"] = std::to_string(bfm::test::free_port());
        e["BROKEN_DB_NAME"] = "nowhere";
        e["BROKEN_DB_PASSWORD"] = broken_password;
        return e;
    }

    void start() {
        port = bfm::test::free_port();
        server = std::make_unique<bfm::test::child_process>(
            std::vector<std::string>{BFM_BINARY_PATH, "serve"}, env());
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (std::chrono::steady_clock::now() < deadline) {
            ASSERT_TRUE(server->running()) << "bfm exited:\n" << server->output();
            try {
                if (http_request(port, "GET", "/health").status == 200) return;
            } catch (const std::exception&) {
                // not listening yet
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        FAIL() << "bfm did not become healthy:\n" << server->output();
    }

    json::object get_json(const std::string& target, const std::string& token = viewer_token,
                          int expected = 200) {
        auto reply = http_request(port, "GET", target, {}, token);
        EXPECT_EQ(reply.status, expected) << target << ": " << reply.body;
        return json::parse(reply.body).as_object();
    }

    void migrate_tenants(const std::vector<std::string>& schemas) {
        json::array list;
        for (const auto& s : schemas) list.emplace_back(s);
        const std::string body = json::serialize(
            json::object{{"connection", "organization"}, {"schemas", std::move(list)}});
        auto reply = http_request(port, "POST", "/api/v1/migrations/up", body, operator_token);
        ASSERT_EQ(reply.status, 200) << reply.body;
    }

    std::filesystem::path tokens_file;
    unsigned short port = 0;
    std::unique_ptr<bfm::test::child_process> server;
};

TEST_F(OpsEndpoints, RolesFromTheTokensFile) {
    start();
    const std::string job = R"({"connection":"organization","schemas":["cli_roles"]})";
    auto denied = http_request(port, "POST", "/api/v1/jobs", job, viewer_token);
    EXPECT_EQ(denied.status, 403) << denied.body;
    EXPECT_NE(denied.body.find("forbidden"), std::string::npos);
    EXPECT_EQ(http_request(port, "POST", "/api/v1/jobs", job, "no-such-token").status, 401);
    EXPECT_EQ(http_request(port, "POST", "/api/v1/jobs", job).status, 401);
    auto accepted = http_request(port, "POST", "/api/v1/jobs", job, operator_token);
    EXPECT_EQ(accepted.status, 202) << accepted.body;
    // The viewer may read the job the operator submitted.
    const std::string status_url = std::string(json::parse(accepted.body).at("status_url").as_string());
    EXPECT_EQ(http_request(port, "GET", status_url, {}, viewer_token).status, 200);

    EXPECT_EQ(http_request(port, "POST", "/api/v1/migrations/reindex", "", viewer_token).status,
              403);
    EXPECT_EQ(http_request(port, "POST", "/api/v1/migrations/reindex", "", operator_token).status,
              403);
    auto reindex = http_request(port, "POST", "/api/v1/migrations/reindex", "", admin_token);
    EXPECT_EQ(reindex.status, 200) << reindex.body;
    // No token reaches the logs.
    const std::string out = server->output();
    for (const char* t : {admin_token, viewer_token, operator_token}) {
        EXPECT_EQ(out.find(t), std::string::npos) << t;
    }
}

TEST_F(OpsEndpoints, ABadTokensFileStopsStartUpNamingTheLine) {
    write_tokens("viewer fine-token-1\nsuperuser some-secret-token\n");
    port = bfm::test::free_port();
    server = std::make_unique<bfm::test::child_process>(
        std::vector<std::string>{BFM_BINARY_PATH, "serve"}, env());
    EXPECT_EQ(server->wait(std::chrono::seconds(10)), 2);
    const std::string out = server->output();
    EXPECT_NE(out.find(tokens_file.string() + ":2: unknown role 'superuser'"), std::string::npos)
        << out;
    EXPECT_EQ(out.find("some-secret-token"), std::string::npos) << out;
}

TEST_F(OpsEndpoints, ReadyAndMetricsAfterAMigration) {
    start();
    auto ready = http_request(port, "GET", "/ready");
    ASSERT_EQ(ready.status, 200) << ready.body;
    EXPECT_EQ(json::parse(ready.body).at("status"), "ready");

    auto before = http_request(port, "GET", "/metrics");
    ASSERT_EQ(before.status, 200);
    EXPECT_NE(before.headers["Content-Type"].find("text/plain; version=0.0.4"), std::string::npos);
    const double applied_before = sample(before.body, "bfm_migrations_total{outcome=\"applied\"}");
    EXPECT_EQ(applied_before, 0) << before.body;

    migrate_tenants({"cli_m1", "cli_m2"});
    migrate_tenants({"cli_m1"});  // all skipped
    const auto per_tenant = static_cast<double>(example_ids("organization").size());

    auto after = http_request(port, "GET", "/metrics");
    ASSERT_EQ(after.status, 200);
    const std::string& m = after.body;
    EXPECT_EQ(sample(m, "bfm_migrations_total{outcome=\"applied\"}"), 2 * per_tenant) << m;
    EXPECT_EQ(sample(m, "bfm_migrations_total{outcome=\"skipped\"}"), per_tenant) << m;
    EXPECT_EQ(sample(m, "bfm_migrations_total{outcome=\"failed\"}"), 0) << m;
    EXPECT_EQ(sample(m, "bfm_migration_duration_seconds_count{outcome=\"applied\"}"),
              2 * per_tenant);
    EXPECT_GE(sample(m, "bfm_lock_wait_seconds_count"), 2);
    EXPECT_EQ(sample(m, "bfm_http_requests_total{route=\"/api/v1/migrations/up\",method=\"POST\","
                        "code=\"200\"}"),
              2)
        << m;
    EXPECT_GE(sample(m, "bfm_http_request_duration_seconds_count{route=\"/api/v1/migrations/up\","
                        "method=\"POST\"}"),
              2);
    EXPECT_GE(sample(m, "bfm_jobs{status=\"succeeded\"}"), 1) << m;
    EXPECT_EQ(sample(m, "bfm_state_up"), 1);
    EXPECT_EQ(sample(m, "bfm_retries_total"), 0);
}

TEST_F(OpsEndpoints, ConnectionsShowHealthWithoutSecrets) {
    start();
    auto reply = http_request(port, "GET", "/api/v1/connections", {}, viewer_token);
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.body.find(core_password), std::string::npos);
    EXPECT_EQ(reply.body.find(broken_password), std::string::npos);
    EXPECT_EQ(reply.body.find("password"), std::string::npos) << reply.body;
    EXPECT_EQ(reply.body.find(admin_token), std::string::npos);
    const auto body = json::parse(reply.body).as_object();
    EXPECT_EQ(body.at("total"), 4);
    std::map<std::string, json::object> by_name;
    for (const auto& item : body.at("items").as_array()) {
        by_name[std::string(item.at("name").as_string())] = item.as_object();
    }
    ASSERT_EQ(by_name.count("core"), 1u);
    ASSERT_EQ(by_name.count("broken"), 1u);
    const auto& core = by_name["core"];
    EXPECT_EQ(core.at("healthy"), true) << reply.body;
    EXPECT_EQ(core.at("backend"), "postgresql");
    EXPECT_EQ(core.at("database"), app_db);
    EXPECT_TRUE(core.at("error").is_null());
    EXPECT_GE(core.at("latency_ms").to_number<double>(), 0);
    const auto& broken = by_name["broken"];
    EXPECT_EQ(broken.at("healthy"), false);
    ASSERT_TRUE(broken.at("error").is_string());
    EXPECT_FALSE(broken.at("error").as_string().empty());
    EXPECT_EQ(http_request(port, "GET", "/api/v1/connections").status, 401);
    EXPECT_EQ(server->output().find(core_password), std::string::npos);
}

TEST_F(OpsEndpoints, TargetsCountFilterAndPaginate) {
    start();
    const auto ids = example_ids("organization");
    ASSERT_GE(ids.size(), 2u);
    const auto n = static_cast<std::int64_t>(ids.size());
    migrate_tenants({"cli_a", "cli_b", "cli_c"});
    // cli_d gets the first migration only.
    auto partial = http_request(
        port, "POST", "/api/v1/migrate",
        R"({"target":{"connection":"organization","version":")" + ids[0].substr(0, 14)
            + R"("},"connection":"organization","schema":"cli_d"})",
        operator_token);
    ASSERT_EQ(partial.status, 200) << partial.body;
    // cli_b: a file changed after it was applied; cli_c: the last migration failed.
    exec_sql(state_db, "UPDATE bfm_migrations SET checksum = 'v1:changed' WHERE schema = 'cli_b'"
                       " AND migration_id = '" + ids[0] + "'");
    exec_sql(state_db, "UPDATE bfm_migrations SET status = 'failed' WHERE schema = 'cli_c'"
                       " AND migration_id = '" + ids.back() + "'");

    auto all = get_json("/api/v1/targets?connection=organization");
    EXPECT_EQ(all.at("total"), 4);
    std::map<std::string, json::object> rows;
    for (const auto& item : all.at("items").as_array()) {
        rows[std::string(item.at("schema").as_string())] = item.as_object();
    }
    ASSERT_EQ(rows.size(), 4u) << json::serialize(all);
    EXPECT_EQ(rows["cli_a"].at("applied"), n);
    EXPECT_EQ(rows["cli_a"].at("pending"), 0);
    EXPECT_EQ(rows["cli_a"].at("status"), "ok");
    EXPECT_TRUE(rows["cli_a"].at("last_applied_at").is_string());
    EXPECT_EQ(rows["cli_b"].at("modified"), 1);
    EXPECT_EQ(rows["cli_b"].at("status"), "modified");
    EXPECT_EQ(rows["cli_c"].at("failed"), 1);
    EXPECT_EQ(rows["cli_c"].at("applied"), n - 1);
    EXPECT_EQ(rows["cli_c"].at("pending"), 1);
    EXPECT_EQ(rows["cli_c"].at("status"), "failed");
    EXPECT_EQ(rows["cli_d"].at("applied"), 1);
    EXPECT_EQ(rows["cli_d"].at("pending"), n - 1);
    EXPECT_EQ(rows["cli_d"].at("status"), "pending");

    auto schemas_of = [&](const std::string& query) {
        std::vector<std::string> out;
        const json::object page = get_json("/api/v1/targets?" + query);
        for (const auto& item : page.at("items").as_array()) {
            out.emplace_back(item.at("schema").as_string());
        }
        return out;
    };
    using v = std::vector<std::string>;
    EXPECT_EQ(schemas_of("status=failed"), v({"cli_c"}));
    EXPECT_EQ(schemas_of("status=modified"), v({"cli_b"}));
    EXPECT_EQ(schemas_of("status=pending&connection=organization"), v({"cli_c", "cli_d"}));
    EXPECT_EQ(schemas_of("status=ok&schema=cli_*"), v({"cli_a"}));
    EXPECT_EQ(schemas_of("schema=cli_c"), v({"cli_c"}));
    EXPECT_EQ(schemas_of("schema=cli_*&limit=2"), v({"cli_a", "cli_b"}));
    EXPECT_EQ(schemas_of("schema=cli_*&limit=2&offset=2"), v({"cli_c", "cli_d"}));
    auto past_end = get_json("/api/v1/targets?schema=cli_*&offset=10");
    EXPECT_TRUE(past_end.at("items").as_array().empty());
    EXPECT_EQ(past_end.at("total"), 4);
    get_json("/api/v1/targets?status=nope", viewer_token, 400);
    get_json("/api/v1/targets?connection=nope", viewer_token, 400);
}

TEST_F(OpsEndpoints, TargetsOfTenThousandTenantsStayFast) {
    start();
    // 10,000 tenants x 12 migrations of state, written directly (running them is the
    // benchmark's job); the registry knows the example migrations only, so most are unknown.
    exec_sql(state_db,
             "INSERT INTO bfm_migrations (migration_id, connection, schema, version, name, backend,"
             " status, checksum, applied_at)"
             " SELECT 'm' || m || '_x_postgresql_organization', 'organization',"
             " 'cli_t' || lpad(t::text, 5, '0'), m::text, 'x', 'postgresql',"
             " CASE WHEN t % 100 = 0 AND m = 12 THEN 'failed' ELSE 'applied' END, 'v1:abc', now()"
             " FROM generate_series(1, 10000) t, generate_series(1, 12) m");
    exec_sql(state_db, "ANALYZE bfm_migrations");
    double best = 1e9;
    json::object page;
    for (int i = 0; i < 3; ++i) {
        const auto started = std::chrono::steady_clock::now();
        auto reply = http_request(port, "GET", "/api/v1/targets?status=failed&limit=1000", {},
                                  viewer_token);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        ASSERT_EQ(reply.status, 200) << reply.body;
        page = json::parse(reply.body).as_object();
        best = std::min(best, seconds);
    }
    std::cout << "GET /api/v1/targets over 10,000 tenants x 12: " << best * 1000 << " ms\n";
    EXPECT_EQ(page.at("total"), 100);
    EXPECT_LT(best, 1.0);
    auto all = get_json("/api/v1/targets?limit=1");
    EXPECT_EQ(all.at("total"), 10000);
}

}  // namespace
