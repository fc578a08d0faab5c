// docs/openapi.json against the real `bfm serve` and real PostgreSQL: every documented
// operation is driven with good and bad requests (no token, a too-weak role, malformed JSON,
// unknown IDs, bad parameters); every answer's status must be documented for its operation and
// its body must validate against the documented schema. Every operation must have answered 2xx
// at least once (so every documented path is really served), and every route found in the
// router's sources must be documented (so the document cannot drift either way).

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "net/openapi_document.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/json_schema.hpp"
#include "support/pg_test_env.hpp"
#include "support/yaml_subset_reader.hpp"

namespace json = boost::json;
using bfm::test::http_reply;
using bfm::test::http_request;

namespace {

constexpr const char* admin_token = "e2e-openapi-admin-token-0123456789";
constexpr const char* operator_token = "e2e-openapi-operator-token-abcdef";
constexpr const char* viewer_token = "e2e-openapi-viewer-token-ghijkl";
constexpr const char* state_db = "bfm_e2e_openapi_state";
constexpr const char* app_db = "bfm_e2e_openapi_app";
constexpr const char* unknown_job = "00000000-0000-7000-8000-000000000000";
constexpr const char* unknown_migration = "no_such_migration_e2e";
const std::string sfm_path = std::string(BFM_SOURCE_DIR) + "/config/sfm";

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in) << path;
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool requires_token(const json::object& op) {
    // Not "public", nor /metrics' "viewer when BFM_METRICS_PUBLIC=off" (public by default).
    const std::string_view role = op.at("x-bfm-role").as_string();
    return role == "viewer" || role == "admin" || role.starts_with("operator");
}

struct seen_answers {
    bool success = false;       // a 2xx
    bool client_error = false;  // a 4xx
};

class OpenApiConformance : public ::testing::Test {
protected:
    void SetUp() override {
        doc =
            json::parse(read_file(std::string(BFM_SOURCE_DIR) + "/docs/openapi.json")).as_object();
        validator = std::make_unique<bfm::test::schema_validator>(doc);
        bfm::test::create_test_database(state_db);
        bfm::test::create_test_database(app_db);
        tokens_file = std::filesystem::temp_directory_path()
                      / ("bfm-e2e-openapi-tokens-" + std::to_string(::getpid()) + ".txt");
        std::ofstream(tokens_file)
            << "viewer " << viewer_token << "\noperator " << operator_token << "\n";
        ::chmod(tokens_file.c_str(), 0600);
    }

    void TearDown() override {
        if (HasFailure() && server) std::cerr << "---- bfm output ----\n" << server->output();
        std::filesystem::remove(tokens_file);
    }

    std::map<std::string, std::string> env() {
        const auto p = bfm::test::pg_params(state_db);
        std::map<std::string, std::string> e{
            {"BFM_HTTP_PORT", std::to_string(port)},
            {"BFM_HTTP_ADDRESS", "127.0.0.1"},
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

    const json::object* operation(const std::string& path, const std::string& method) const {
        const auto* item = doc.at("paths").as_object().if_contains(path);
        if (item == nullptr) return nullptr;
        const auto* op = item->as_object().if_contains(lower(method));
        return op == nullptr ? nullptr : &op->as_object();
    }

    const json::value& deref(const json::value& v) const {
        if (const auto* o = v.if_object(); o != nullptr && o->contains("$ref")) {
            return validator->resolve(std::string(o->at("$ref").as_string()));
        }
        return v;
    }

    void expect_valid(const json::value& instance, const json::value& schema,
                      const std::string& what) {
        const std::vector<std::string> errors = validator->validate(instance, schema);
        for (const auto& e : errors) ADD_FAILURE() << what << ": " << e;
    }

    // Every `event:`/`data:` frame of a finished event stream, data checked against the
    // documented schema for its event name.
    void check_events(const std::string& body, const json::object& events,
                      const std::string& what) {
        std::vector<std::string> names;
        std::size_t at = 0;
        while (at < body.size()) {
            std::size_t end = body.find("\n\n", at);
            if (end == std::string::npos) end = body.size();
            const std::string frame = body.substr(at, end - at);
            at = end + 2;
            std::string name = "message";
            std::string data;
            std::istringstream lines(frame);
            for (std::string l; std::getline(lines, l);) {
                if (l.rfind("event: ", 0) == 0) name = l.substr(7);
                if (l.rfind("data: ", 0) == 0) data += l.substr(6);
            }
            if (data.empty()) continue;  // a comment (keep-alive)
            names.push_back(name);
            const json::value* schema = events.if_contains(name);
            if (schema == nullptr) schema = &events.at("default");
            expect_valid(json::parse(data), *schema, what + " event " + name);
        }
        ASSERT_FALSE(names.empty()) << what << ": no events in " << body;
        EXPECT_EQ(names.front(), "snapshot") << what;
        EXPECT_EQ(names.back(), "job_finished") << what;
    }

    // Sends one request to `target` (an instance of the documented `path`) and checks the
    // answer against the document.
    http_reply call(const std::string& method, const std::string& path, const std::string& target,
                    const std::string& body = {}, const std::string& token = admin_token) {
        http_reply reply = http_request(port, method, target, body, token);
        const std::string what = method + " " + target + " -> " + std::to_string(reply.status);
        const json::object* op = operation(path, method);
        if (op == nullptr) {
            ADD_FAILURE() << method << " " << path << " is not documented";
            return reply;
        }
        if (reply.status == 404 && reply.body.find("\"not found: ") != std::string::npos) {
            ADD_FAILURE() << what << ": the route is not served: " << reply.body;
        }
        const json::object& responses = op->at("responses").as_object();
        const json::value* documented = responses.if_contains(std::to_string(reply.status));
        if (documented == nullptr) {
            ADD_FAILURE() << what << ": status not documented for " << method << " " << path
                          << "; body: " << reply.body.substr(0, 300);
            return reply;
        }
        seen_answers& seen = coverage[method + " " + path];
        seen.success = seen.success || (reply.status >= 200 && reply.status < 300);
        seen.client_error = seen.client_error || (reply.status >= 400 && reply.status < 500);
        const json::object& response = deref(*documented).as_object();
        const json::object& content = response.at("content").as_object();
        const std::string content_type = reply.headers["Content-Type"];
        if (const auto* media = content.if_contains("application/json")) {
            EXPECT_EQ(content_type.rfind("application/json", 0), 0u)
                << what << ": " << content_type;
            boost::system::error_code ec;
            const json::value parsed = json::parse(reply.body, ec);
            if (ec) {
                ADD_FAILURE() << what << ": not JSON: " << reply.body.substr(0, 300);
                return reply;
            }
            expect_valid(parsed, media->at("schema"), what);
        } else {
            EXPECT_EQ(content.size(), 1u) << what;
            const std::string media_type(content.begin()->key());
            EXPECT_EQ(content_type.rfind(media_type, 0), 0u) << what << ": " << content_type;
            if (const auto* events = response.if_contains("x-bfm-events")) {
                check_events(reply.body, events->as_object(), what);
            }
        }
        return reply;
    }

    http_reply expect_status(int status, const std::string& method, const std::string& path,
                             const std::string& target, const std::string& body = {},
                             const std::string& token = admin_token) {
        http_reply reply = call(method, path, target, body, token);
        EXPECT_EQ(reply.status, status) << method << " " << target << ": " << reply.body;
        return reply;
    }

    // `path` with its {id} filled in.
    std::string instance(const std::string& path, const std::string& migration_id,
                         const std::string& job_id) const {
        const std::size_t at = path.find("{id}");
        if (at == std::string::npos) return path;
        const std::string id = path.rfind("/api/v1/jobs/", 0) == 0 ? job_id : migration_id;
        return path.substr(0, at) + id + path.substr(at + 4);
    }

    json::object doc;
    std::unique_ptr<bfm::test::schema_validator> validator;
    std::map<std::string, seen_answers> coverage;
    std::filesystem::path tokens_file;
    unsigned short port = 0;
    std::unique_ptr<bfm::test::child_process> server;
};

TEST_F(OpenApiConformance, EveryOperationAnswersAsDocumented) {
    start();
    // The served documents are the file in docs/, as JSON and as YAML.
    auto served = expect_status(200, "GET", "/api/v1/openapi.json", "/api/v1/openapi.json", {}, {});
    EXPECT_EQ(json::parse(served.body), json::value(doc));
    auto yaml = expect_status(200, "GET", "/api/v1/openapi.yaml", "/api/v1/openapi.yaml", {}, {});
    EXPECT_EQ(bfm::test::read_yaml_subset(yaml.body), json::value(doc));
    for (const char* p : {"/health", "/api/v1/health", "/ready", "/metrics"}) {
        expect_status(200, "GET", p, p, {}, {});
    }

    // ---- good requests ----------------------------------------------------------------
    const std::string core = R"({"connection":"core"})";
    expect_status(200, "POST", "/api/v1/migrations/plan", "/api/v1/migrations/plan", core,
                  operator_token);
    expect_status(200, "POST", "/api/v1/migrations/up", "/api/v1/migrations/up", core,
                  operator_token);
    expect_status(200, "POST", "/api/v1/migrate", "/api/v1/migrate", R"({"connection":"guard"})",
                  operator_token);
    auto list = expect_status(200, "GET", "/api/v1/migrations",
                              "/api/v1/migrations?connection=core&limit=50", {}, viewer_token);
    std::string plans;  // a core migration nothing depends on
    const json::value listed = json::parse(list.body);
    for (const auto& item : listed.at("items").as_array()) {
        const std::string id(item.at("migration_id").as_string());
        if (id.find("plans") != std::string::npos) plans = id;
    }
    ASSERT_FALSE(plans.empty()) << list.body;
    for (const char* suffix : {"", "/status", "/applied", "/history", "/executions", "/skipped"}) {
        expect_status(200, "GET", std::string("/api/v1/migrations/{id}") + suffix,
                      "/api/v1/migrations/" + plans + suffix, {}, viewer_token);
    }
    for (const char* p :
         {"/api/v1/migrations/executions/recent", "/api/v1/migrations/skipped/recent"}) {
        expect_status(200, "GET", p, std::string(p) + "?limit=5", {}, viewer_token);
    }
    expect_status(200, "POST", "/api/v1/migrations/order-batch", "/api/v1/migrations/order-batch",
                  R"({"connection":"core","migration_ids":[")" + plans + "\"]}", operator_token);

    const std::string down = R"({"migration_id":")" + plans + "\"}";
    expect_status(200, "POST", "/api/v1/migrations/down", "/api/v1/migrations/down", down,
                  operator_token);
    expect_status(200, "POST", "/api/v1/migrations/up", "/api/v1/migrations/up", core,
                  operator_token);
    const std::string rollback = "/api/v1/migrations/" + plans + "/rollback";
    expect_status(200, "POST", "/api/v1/migrations/{id}/rollback", rollback, "", operator_token);
    // Applied nowhere now: upstream's 400 with success=false.
    expect_status(400, "POST", "/api/v1/migrations/{id}/rollback", rollback, "{}", operator_token);
    expect_status(200, "POST", "/api/v1/migrations/{id}/force",
                  "/api/v1/migrations/" + plans + "/force",
                  R"({"status":"applied","reason":"e2e openapi"})");
    expect_status(200, "POST", "/api/v1/migrations/repair", "/api/v1/migrations/repair",
                  R"({"connection":"core","reason":"e2e openapi"})");
    expect_status(200, "POST", "/api/v1/migrations/baseline", "/api/v1/migrations/baseline",
                  R"({"connection":"guard","reason":"e2e openapi","to_version":"20250101130000"})");
    expect_status(200, "POST", "/api/v1/migrations/reindex", "/api/v1/migrations/reindex", "");

    auto submitted = expect_status(
        202, "POST", "/api/v1/jobs", "/api/v1/jobs",
        R"({"kind":"up","connection":"organization","schemas":["cli_openapi_a","cli_openapi_b"]})",
        operator_token);
    const std::string job_id(json::parse(submitted.body).at("job_id").as_string());
    const std::string job = "/api/v1/jobs/" + job_id;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
        auto got = expect_status(200, "GET", "/api/v1/jobs/{id}", job, {}, viewer_token);
        const auto status = json::parse(got.body).at("status");
        if (status != "queued" && status != "running") break;
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << got.body;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    expect_status(200, "GET", "/api/v1/jobs", "/api/v1/jobs?limit=10", {}, viewer_token);
    expect_status(200, "GET", "/api/v1/jobs/{id}/targets", job + "/targets", {}, viewer_token);
    expect_status(200, "GET", "/api/v1/jobs/{id}/events", job + "/events", {}, viewer_token);
    expect_status(200, "POST", "/api/v1/jobs/{id}/cancel", job + "/cancel", {}, operator_token);
    expect_status(200, "GET", "/api/v1/targets", "/api/v1/targets?limit=10", {}, viewer_token);
    expect_status(200, "GET", "/api/v1/connections", "/api/v1/connections", {}, viewer_token);

    // ---- bad requests -------------------------------------------------------------------
    for (const auto& item : doc.at("paths").as_object()) {
        const std::string path(item.key());
        const std::string target = instance(path, plans, job_id);
        for (const auto& entry : item.value().as_object()) {
            const std::string method(entry.key() == "get" ? "GET" : "POST");
            const json::object& op = entry.value().as_object();
            if (!requires_token(op)) continue;
            expect_status(401, method, path, target, "{}", "");
            expect_status(401, method, path, target, "{}", "not-a-known-token");
            const std::string_view role = op.at("x-bfm-role").as_string();
            if (!role.starts_with("viewer")) {
                expect_status(403, method, path, target, "{}", viewer_token);
            }
            if (op.contains("requestBody")) {
                expect_status(400, method, path, target, "{\"connection\":", admin_token);
                expect_status(400, method, path, target, "[]", admin_token);
            }
        }
    }
    for (const char* suffix : {"", "/status", "/applied", "/history", "/executions", "/skipped"}) {
        expect_status(404, "GET", std::string("/api/v1/migrations/{id}") + suffix,
                      std::string("/api/v1/migrations/") + unknown_migration + suffix, {},
                      viewer_token);
        expect_status(400, "GET", std::string("/api/v1/migrations/{id}") + suffix,
                      "/api/v1/migrations/" + plans + suffix + "?nope=1", {}, viewer_token);
    }
    expect_status(404, "POST", "/api/v1/migrations/{id}/rollback",
                  std::string("/api/v1/migrations/") + unknown_migration + "/rollback", "{}",
                  operator_token);
    expect_status(404, "POST", "/api/v1/migrations/{id}/force",
                  std::string("/api/v1/migrations/") + unknown_migration + "/force",
                  R"({"status":"applied","reason":"e2e"})");
    expect_status(404, "POST", "/api/v1/migrations/down", "/api/v1/migrations/down",
                  std::string(R"({"migration_id":")") + unknown_migration + "\"}", operator_token);
    for (const char* p : {"/api/v1/migrations", "/api/v1/migrations/executions/recent",
                          "/api/v1/migrations/skipped/recent", "/api/v1/jobs", "/api/v1/targets"}) {
        expect_status(400, "GET", p, std::string(p) + "?limit=abc", {}, viewer_token);
    }
    expect_status(400, "GET", "/api/v1/targets", "/api/v1/targets?status=bogus", {}, viewer_token);
    expect_status(400, "GET", "/api/v1/targets", "/api/v1/targets?connection=nowhere", {},
                  viewer_token);
    expect_status(400, "POST", "/api/v1/migrations/reindex", "/api/v1/migrations/reindex",
                  R"({"sfm_path":"/etc"})");
    expect_status(400, "POST", "/api/v1/migrations/up", "/api/v1/migrations/up",
                  R"({"connection":"nowhere"})", operator_token);
    expect_status(400, "POST", "/api/v1/jobs", "/api/v1/jobs", R"({"kind":"sideways"})",
                  operator_token);
    expect_status(403, "POST", "/api/v1/jobs", "/api/v1/jobs",
                  R"({"kind":"repair","connection":"core","reason":"e2e"})", operator_token);
    for (const char* suffix : {"", "/targets", "/events"}) {
        expect_status(404, "GET", std::string("/api/v1/jobs/{id}") + suffix,
                      std::string("/api/v1/jobs/") + unknown_job + suffix, {}, viewer_token);
        expect_status(400, "GET", std::string("/api/v1/jobs/{id}") + suffix,
                      std::string("/api/v1/jobs/not-a-uuid") + suffix, {}, viewer_token);
    }
    expect_status(404, "POST", "/api/v1/jobs/{id}/cancel",
                  std::string("/api/v1/jobs/") + unknown_job + "/cancel", {}, operator_token);
    expect_status(400, "GET", "/api/v1/jobs/{id}/targets", job + "/targets?status=bogus", {},
                  viewer_token);

    // ---- coverage: every documented operation answered 2xx, and 4xx when it can -------------
    for (const auto& item : doc.at("paths").as_object()) {
        for (const auto& entry : item.value().as_object()) {
            const std::string key =
                (entry.key() == "get" ? "GET " : "POST ") + std::string(item.key());
            const seen_answers seen = coverage[key];
            EXPECT_TRUE(seen.success) << key << " never answered 2xx";
            if (requires_token(entry.value().as_object())) {
                EXPECT_TRUE(seen.client_error) << key << " never answered 4xx";
            }
        }
    }
}

// Every route in the router's sources is in the document, with its method.
TEST(OpenApiDrift, EveryRouteInTheSourcesIsDocumented) {
    const json::object doc = json::parse(bfm::net::openapi_json_text()).as_object();
    const json::object& paths = doc.at("paths").as_object();
    const std::string src = std::string(BFM_SOURCE_DIR) + "/src/net/";
    std::vector<std::pair<std::string, std::string>> routes;  // method, path
    auto scan = [&](const std::string& file, const std::string& pattern, auto&& add) {
        const std::string text = read_file(src + file);
        const std::regex re(pattern);
        std::size_t found = 0;
        for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) {
            add(*it);
            ++found;
        }
        return found;
    };
    EXPECT_GE(scan("router.cpp", R"re(\{"(/[^"]*)", http::verb::(\w+),)re",
                   [&](const std::smatch& m) { routes.emplace_back(m[2], m[1]); }),
              12u);
    EXPECT_GE(scan("migration_routes.cpp", R"re(\{http::verb::(\w+), (true|false), "([^"]*)")re",
                   [&](const std::smatch& m) {
                       const std::string suffix = m[3];
                       routes.emplace_back(m[1], m[2] == "true"
                                                     ? "/api/v1/migrations/{id}"
                                                           + (suffix.empty() ? "" : "/" + suffix)
                                                     : "/api/v1/migrations/" + suffix);
                   }),
              8u);
    EXPECT_GE(scan("revert_handlers.cpp", R"re(path == "(/api/v1/[^"]*)")re",
                   [&](const std::smatch& m) { routes.emplace_back("post", m[1]); }),
              3u);
    EXPECT_GE(scan("revert_handlers.cpp", R"re(action [!=]= "(\w+)")re",
                   [&](const std::smatch& m) {
                       routes.emplace_back("post", "/api/v1/migrations/{id}/" + m[1].str());
                   }),
              2u);
    EXPECT_GE(scan("job_routes.cpp", R"re(action == "(\w+)")re",
                   [&](const std::smatch& m) {
                       routes.emplace_back("", "/api/v1/jobs/{id}/" + m[1].str());
                   }),
              3u);
    EXPECT_GE(scan("openapi_routes.cpp", R"re(path [!=]= "(/api/v1/[^"]*)")re",
                   [&](const std::smatch& m) { routes.emplace_back("get", m[1]); }),
              2u);
    routes.emplace_back("get", "/api/v1/jobs");
    routes.emplace_back("post", "/api/v1/jobs");
    routes.emplace_back("get", "/api/v1/jobs/{id}");
    for (const auto& [method, path] : routes) {
        const auto* item = paths.if_contains(path);
        ASSERT_NE(item, nullptr) << path << " is served but not documented";
        if (!method.empty()) {
            EXPECT_TRUE(item->as_object().contains(lower(method)))
                << lower(method) << " " << path << " is served but not documented";
        }
    }
}

}  // namespace
