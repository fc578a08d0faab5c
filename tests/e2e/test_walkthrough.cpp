// The real `bfm serve` process, real HTTP, real PostgreSQL: the original guide's walkthrough
// (seed 001, "Running Migrations") with the example migrations shipped in config/sfm.

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/loader.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/pg_test_env.hpp"

namespace json = boost::json;
using bfm::test::exec_sql;
using bfm::test::http_request;

namespace {

constexpr const char* token = "e2e-secret-token-0123456789";
constexpr const char* state_db = "bfm_e2e_state";
constexpr const char* app_db = "bfm_e2e_app";
const std::string sfm_path = std::string(BFM_SOURCE_DIR) + "/config/sfm";

// The three request bodies of the guide, verbatim.
constexpr const char* core_body = R"({
    "target": {
      "backend": "postgresql",
      "schema": "core",
      "connection": "core"
    },
    "connection": "core",
    "schema": "core"
  })";
constexpr const char* guard_body = R"({
    "target": {
      "backend": "postgresql",
      "schema": "guard",
      "connection": "guard"
    },
    "connection": "guard",
    "schema": "guard"
  })";
constexpr const char* environment_body = R"({
    "target": {
      "backend": "postgresql",
      "connection": "organization"
    },
    "connection": "organization",
    "schema": "cli_environment_id_here",
    "environment": "environment_id_here"
  })";

std::map<std::string, std::string> server_env(unsigned short port) {
    const auto p = bfm::test::pg_params(state_db);
    std::map<std::string, std::string> env{
        {"BFM_HTTP_PORT", std::to_string(port)},
        {"BFM_GRPC_PORT", std::to_string(bfm::test::free_port())},
        {"BFM_HTTP_ADDRESS", "127.0.0.1"},
        {"BFM_API_TOKEN", token},
        {"BFM_SFM_PATH", sfm_path},
        {"BFM_STATE_DB_HOST", p.host},
        {"BFM_STATE_DB_PORT", std::to_string(p.port)},
        {"BFM_STATE_DB_USERNAME", p.user},
        {"BFM_STATE_DB_PASSWORD", "state-password-must-not-be-logged"},
        {"BFM_STATE_DB_NAME", state_db},
        {"BFM_HTTP_READ_TIMEOUT", "1s"},
    };
    for (const std::string conn : {"CORE", "GUARD", "ORGANIZATION"}) {
        env[conn + "_BACKEND"] = "postgresql";
        env[conn + "_DB_HOST"] = p.host;
        env[conn + "_DB_PORT"] = std::to_string(p.port);
        env[conn + "_DB_USERNAME"] = p.user;
        env[conn + "_DB_NAME"] = app_db;
    }
    return env;
}

// Migration IDs of one connection in version order, from the shipped example tree.
std::vector<std::string> example_ids(const std::string& connection) {
    auto loaded = bfm::core::load_migrations_from_directory(sfm_path);
    EXPECT_TRUE(loaded.ok());
    std::vector<std::string> ids;
    for (const auto& m : loaded.migrations) {
        if (m.connection == connection) ids.push_back(m.id);
    }
    return ids;
}

std::vector<std::string> strings(const json::value& v) {
    std::vector<std::string> out;
    for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
    return out;
}

class Walkthrough : public ::testing::Test {
protected:
    void SetUp() override {
        bfm::test::create_test_database(state_db);
        bfm::test::create_test_database(app_db);
        port = bfm::test::free_port();
        server = std::make_unique<bfm::test::child_process>(
            std::vector<std::string>{BFM_BINARY_PATH, "serve"}, server_env(port));
        wait_until_healthy();
    }

    void TearDown() override {
        if (HasFailure()) std::cerr << "---- bfm output ----\n" << server->output() << "\n";
    }

    void wait_until_healthy() {
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

    json::object migrate(const char* body, int expected_status = 200) {
        auto reply = http_request(port, "POST", "/api/v1/migrate", body, token);
        EXPECT_EQ(reply.status, expected_status) << reply.body;
        return json::parse(reply.body).as_object();
    }

    std::string history_count() { return exec_sql(state_db, "SELECT count(*) FROM bfm_history"); }

    unsigned short port = 0;
    std::unique_ptr<bfm::test::child_process> server;
};

TEST_F(Walkthrough, TheGuidesThreeCallsApplyThenSkip) {
    struct step {
        const char* body;
        std::string connection;
        std::string schema;
    };
    const std::vector<step> steps{{core_body, "core", "core"},
                                  {guard_body, "guard", "guard"},
                                  {environment_body, "organization", "cli_environment_id_here"}};
    for (const auto& s : steps) {
        const auto expected = example_ids(s.connection);
        ASSERT_FALSE(expected.empty()) << "no example migrations for " << s.connection;
        auto first = migrate(s.body);
        EXPECT_EQ(first.at("success"), true);
        EXPECT_EQ(strings(first.at("applied")), expected);
        EXPECT_TRUE(first.at("skipped").as_array().empty());
        EXPECT_TRUE(first.at("errors").as_array().empty());
        EXPECT_NE(exec_sql(app_db,
                           "SELECT count(*) FROM pg_tables WHERE schemaname = '" + s.schema + "'"),
                  "0");

        auto again = migrate(s.body);
        EXPECT_EQ(again.at("success"), true);
        EXPECT_TRUE(again.at("applied").as_array().empty());
        EXPECT_EQ(strings(again.at("skipped")), expected);
    }
    // The guide's verification query works on bfm_migrations as documented.
    EXPECT_EQ(exec_sql(state_db,
                       "SELECT count(*) FROM (SELECT * FROM bfm_migrations"
                       " ORDER BY applied_at DESC) m WHERE status = 'applied'"),
              std::to_string(example_ids("core").size() + example_ids("guard").size()
                             + example_ids("organization").size()));
    // Secrets stay out of the logs.
    EXPECT_EQ(server->output().find("state-password-must-not-be-logged"), std::string::npos);
    EXPECT_EQ(server->output().find(token), std::string::npos);
}

TEST_F(Walkthrough, UpEndpointFansOutToSchemasAndListShowsPerTargetState) {
    auto reply =
        http_request(port, "POST", "/api/v1/migrations/up",
                     R"({"connection":"organization","schemas":["cli_a","cli_b_eu"]})", token);
    ASSERT_EQ(reply.status, 200) << reply.body;
    auto body = json::parse(reply.body).as_object();
    EXPECT_EQ(body.at("targets").as_array().size(), 2u);
    const auto per_target = example_ids("organization").size();
    EXPECT_EQ(body.at("applied").as_array().size(), 2 * per_target);

    auto list = http_request(port, "GET",
                             "/api/v1/migrations?connection=organization&schema=cli_b_eu&limit=100",
                             {}, token);
    ASSERT_EQ(list.status, 200) << list.body;
    auto items = json::parse(list.body).at("items").as_array();
    ASSERT_EQ(items.size(), per_target);
    for (const auto& item : items) {
        EXPECT_EQ(item.at("schema"), "cli_b_eu");
        EXPECT_EQ(item.at("status"), "applied");
        EXPECT_EQ(item.at("applied"), true);
    }
}

TEST_F(Walkthrough, BadRequestsAreRefusedAndRunNothing) {
    const auto before = history_count();
    struct bad {
        std::string body;
        int status;
        std::string mentions;
    };
    const std::vector<bad> cases{
        {R"({"connection":"core",)", 400, "malformed JSON"},
        {R"({"connection":"core","dry_run":"yes"})", 400, "dry_run"},
        {R"({"connection":"nope"})", 400, "nope"},
        {R"({"schema":"core"})", 400, "connection"},
        {R"({"connection":"organization","schema":"x; drop table y"})", 400, "x; drop table y"},
        {R"({"connection":"organization","schema":"a\"b"})", 400, "schema"},
        {R"({"connection":"organization","environment":"dev'--"})", 400, "environment"},
        {"[1,2,3]", 400, "object"},
    };
    for (const auto& c : cases) {
        auto reply = http_request(port, "POST", "/api/v1/migrate", c.body, token);
        EXPECT_EQ(reply.status, c.status) << c.body << " -> " << reply.body;
        auto parsed = json::parse(reply.body).as_object();
        const std::string error(parsed.at("error").as_string());
        EXPECT_NE(error.find(c.mentions), std::string::npos) << c.body << " -> " << error;
    }
    EXPECT_EQ(http_request(port, "POST", "/api/v1/migrate", core_body).status, 401);
    EXPECT_EQ(http_request(port, "POST", "/api/v1/migrate", core_body, "wrong-token").status, 401);
    EXPECT_EQ(history_count(), before);
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'x%'"), "0");
}

TEST_F(Walkthrough, DryRunReportsWithoutApplying) {
    auto reply = http_request(port, "POST", "/api/v1/migrations/up",
                              R"({"connection":"core","dry_run":true})", token);
    ASSERT_EQ(reply.status, 200) << reply.body;
    auto applied = strings(json::parse(reply.body).at("applied"));
    ASSERT_EQ(applied.size(), example_ids("core").size());
    for (const auto& a : applied) EXPECT_NE(a.find("(dry-run)"), std::string::npos) << a;
    EXPECT_EQ(history_count(), "0");
}

TEST_F(Walkthrough, ClosesAConnectionThatSendsTooSlowly) {
    namespace asio = boost::asio;
    asio::io_context ioc;
    asio::ip::tcp::socket socket(ioc);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    const std::string partial = "POST /api/v1/migrate HTTP/1.1\r\nHost: x\r\n";
    asio::write(socket, asio::buffer(partial));
    const auto start = std::chrono::steady_clock::now();
    char buffer[512];
    boost::system::error_code ec;
    // Reads whatever the server says (maybe nothing) until it closes the connection.
    while (!ec) socket.read_some(asio::buffer(buffer), ec);
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, std::chrono::milliseconds(800));
    EXPECT_LT(waited, std::chrono::seconds(5));
    // The server is still serving others.
    EXPECT_EQ(http_request(port, "GET", "/health").status, 200);
}

TEST_F(Walkthrough, PlanShowsRenderedStepsAndWritesNothing) {
    auto reply = http_request(port, "POST", "/api/v1/migrations/plan",
                              R"({"connection":"organization","environment":"staging"})", token);
    ASSERT_EQ(reply.status, 200) << reply.body;
    auto body = json::parse(reply.body).as_object();
    EXPECT_EQ(body.at("ok"), true);
    const auto& target = body.at("targets").at(0).as_object();
    EXPECT_EQ(target.at("schema"), "cli_staging");
    const auto& steps = target.at("steps").as_array();
    ASSERT_EQ(steps.size(), example_ids("organization").size());
    for (const auto& step : steps) {
        EXPECT_EQ(step.at("action"), "run");
        EXPECT_FALSE(step.at("sql").as_string().empty());
    }
    EXPECT_EQ(history_count(), "0");
    EXPECT_EQ(exec_sql(app_db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'cli_staging'"),
              "0");
}

TEST_F(Walkthrough, OrderBatchAndReindexOverHttp) {
    const auto core_ids = example_ids("core");
    ASSERT_GE(core_ids.size(), 2u);
    json::array reversed;
    for (auto it = core_ids.rbegin(); it != core_ids.rend(); ++it) reversed.emplace_back(*it);
    auto ordered = http_request(
        port, "POST", "/api/v1/migrations/order-batch",
        json::serialize(json::object{{"connection", "core"}, {"migration_ids", reversed}}), token);
    ASSERT_EQ(ordered.status, 200) << ordered.body;
    EXPECT_EQ(strings(json::parse(ordered.body).at("ordered_migration_ids")), core_ids);

    auto reindex = http_request(port, "POST", "/api/v1/migrations/reindex", "", token);
    ASSERT_EQ(reindex.status, 200) << reindex.body;
    auto report = json::parse(reindex.body).as_object();
    EXPECT_TRUE(report.at("added").as_array().empty());
    EXPECT_EQ(report.at("total").as_int64(),
              static_cast<std::int64_t>(example_ids("core").size() + example_ids("guard").size()
                                        + example_ids("organization").size()));
    auto outside =
        http_request(port, "POST", "/api/v1/migrations/reindex", R"({"sfm_path":"/etc"})", token);
    EXPECT_EQ(outside.status, 400) << outside.body;
    EXPECT_EQ(http_request(port, "POST", "/api/v1/migrations/reindex", "").status, 401);
}

TEST_F(Walkthrough, SighupReloadsTheRegistry) {
    ::kill(server->pid(), SIGHUP);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (server->output().find("reindex:") == std::string::npos
           && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_NE(server->output().find("reindex: 0 added, 0 removed, 0 updated"), std::string::npos)
        << server->output();
    EXPECT_TRUE(server->running());
    EXPECT_EQ(http_request(port, "GET", "/health").status, 200);
}

TEST_F(Walkthrough, StopsCleanlyOnSigterm) {
    EXPECT_EQ(server->stop(SIGTERM), 0) << server->output();
}

TEST(ServeConfiguration, RefusesToStartWithoutAnApiToken) {
    auto env = server_env(bfm::test::free_port());
    env.erase("BFM_API_TOKEN");
    bfm::test::child_process server({BFM_BINARY_PATH, "serve"}, env);
    EXPECT_EQ(server.wait(std::chrono::seconds(10)), 2);
    EXPECT_NE(server.output().find("BFM_API_TOKEN"), std::string::npos) << server.output();
}

TEST(ServeConfiguration, ReportsEveryInvalidVariableByName) {
    auto env = server_env(bfm::test::free_port());
    env["BFM_HTTP_PORT"] = "70000";
    env["CORE_DB_PORT"] = "abc";
    bfm::test::child_process server({BFM_BINARY_PATH, "serve"}, env);
    EXPECT_EQ(server.wait(std::chrono::seconds(10)), 2);
    EXPECT_NE(server.output().find("BFM_HTTP_PORT"), std::string::npos) << server.output();
    EXPECT_NE(server.output().find("CORE_DB_PORT"), std::string::npos) << server.output();
}

TEST(ServeConfiguration, TheExamplesBinaryServesItsEmbeddedTreeWithoutSfmPath) {
    bfm::test::create_test_database(state_db);
    const auto port = bfm::test::free_port();
    auto env = server_env(port);
    env.erase("BFM_SFM_PATH");
    bfm::test::child_process server({BFM_EXAMPLES_BINARY_PATH, "serve"}, env);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::string body;
    while (std::chrono::steady_clock::now() < deadline && server.running()) {
        try {
            auto reply = http_request(port, "GET", "/health");
            if (reply.status == 200) {
                body = reply.body;
                break;
            }
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_FALSE(body.empty()) << server.output();
    const auto expected = example_ids("core").size() + example_ids("guard").size()
                          + example_ids("organization").size();
    EXPECT_EQ(json::parse(body).at("checks").at("migrations_loaded").as_string(),
              std::to_string(expected));
    EXPECT_NE(server.output().find("the embedded tree"), std::string::npos) << server.output();
}

TEST(ServeConfiguration, TheReloadWatcherPicksUpANewFile) {
    namespace fs = std::filesystem;
    bfm::test::create_test_database(state_db);
    const fs::path tree = fs::temp_directory_path() / ("bfm-watch-" + std::to_string(::getpid()));
    fs::remove_all(tree);
    fs::copy(sfm_path, tree, fs::copy_options::recursive);
    const auto port = bfm::test::free_port();
    auto env = server_env(port);
    env["BFM_SFM_PATH"] = tree.string();
    env["BFM_RELOAD_INTERVAL"] = "200ms";
    bfm::test::child_process server({BFM_BINARY_PATH, "serve"}, env);
    auto loaded = [&]() -> std::string {
        try {
            auto reply = http_request(port, "GET", "/health");
            if (reply.status != 200) return "";
            return std::string(
                json::parse(reply.body).at("checks").at("migrations_loaded").as_string());
        } catch (const std::exception&) {
            return "";
        }
    };
    const auto wait_for = [&](const std::string& value) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
        while (loaded() != value && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return loaded() == value;
    };
    const auto before = example_ids("core").size() + example_ids("guard").size()
                        + example_ids("organization").size();
    ASSERT_TRUE(wait_for(std::to_string(before))) << server.output();
    std::ofstream(tree / "postgresql/organization/20990101000000_later.up.sql")
        << "CREATE TABLE later (id int);\n";
    EXPECT_TRUE(wait_for(std::to_string(before + 1))) << server.output();
    fs::remove_all(tree);
}

TEST(ServeConfiguration, VersionPrintsTheVersion) {
    bfm::test::child_process version({BFM_BINARY_PATH, "version"}, {});
    EXPECT_EQ(version.wait(std::chrono::seconds(10)), 0);
    EXPECT_EQ(version.output(), std::string("bfm ") + BFM_VERSION + "\n");
}

}  // namespace
