#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "core/config.hpp"

namespace bfm::core {
namespace {

using namespace std::chrono_literals;

std::string all_errors(const config_result& r) {
    std::string out;
    for (const auto& e : r.errors) out += "\n  " + e;
    return out;
}

env_map with_token(env_map env) {
    env.emplace("BFM_API_TOKEN", "admin-token");
    return env;
}

TEST(Config, DefaultsNeedOnlyTheToken) {
    const auto r = parse_config(with_token({}));
    ASSERT_TRUE(r.ok()) << all_errors(r);
    const app_config& c = r.config;
    EXPECT_EQ(c.api_token, "admin-token");
    EXPECT_EQ(c.http_port, 7070);
    EXPECT_EQ(c.grpc_port, 9090);
    EXPECT_EQ(c.http_address, "0.0.0.0");
    EXPECT_EQ(c.sfm_path, "./sfm");
    EXPECT_EQ(c.tenant_schema_prefix, "cli_");
    EXPECT_EQ(c.lock_timeout, 5s);
    EXPECT_EQ(c.statement_timeout, 0ms);
    EXPECT_EQ(c.connect_timeout, 5s);
    EXPECT_EQ(c.http_read_timeout, 30s);
    EXPECT_EQ(c.http_body_limit, 1024u * 1024u);
    EXPECT_EQ(c.http_max_connections, 1024u);
    EXPECT_EQ(c.log_level, "info");
    EXPECT_EQ(c.log_format, "text");
    EXPECT_EQ(c.state.backend, "postgresql");
    EXPECT_EQ(c.state.endpoint.describe(), "postgres@localhost:5432/migration_state");
    EXPECT_EQ(c.state.endpoint.sslmode, "prefer");
    EXPECT_EQ(c.state.schema, "public");
    EXPECT_TRUE(c.connections.empty());
}

TEST(Config, TokensFileAndMetricsAccess) {
    auto r = parse_config(with_token({}));
    EXPECT_EQ(r.config.api_tokens_file, "");
    EXPECT_TRUE(r.config.metrics_public);
    r = parse_config(
        with_token({{"BFM_API_TOKENS_FILE", "/run/secrets/bfm"}, {"BFM_METRICS_PUBLIC", "off"}}));
    ASSERT_TRUE(r.ok()) << all_errors(r);
    EXPECT_EQ(r.config.api_tokens_file, "/run/secrets/bfm");
    EXPECT_FALSE(r.config.metrics_public);
    r = parse_config(with_token({{"BFM_METRICS_PUBLIC", "maybe"}}));
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].find("BFM_METRICS_PUBLIC"), std::string::npos);
}

TEST(Config, TokenIsRequired) {
    const auto r = parse_config({});
    ASSERT_EQ(r.errors.size(), 1u) << all_errors(r);
    EXPECT_EQ(r.errors[0], "BFM_API_TOKEN is required");
    EXPECT_EQ(parse_config({{"BFM_API_TOKEN", ""}}).errors.size(), 1u);
}

// The original guide's example configuration.
TEST(Config, GuideConnections) {
    const auto r = parse_config(with_token({
        {"BFM_HTTP_PORT", "7071"},
        {"BFM_STATE_BACKEND", "postgres"},
        {"BFM_STATE_DB_HOST", "state.internal"},
        {"BFM_STATE_DB_PORT", "5433"},
        {"BFM_STATE_DB_USERNAME", "bfm"},
        {"BFM_STATE_DB_PASSWORD", "state-secret"},
        {"BFM_STATE_DB_NAME", "bfm_state"},
        {"BFM_STATE_SCHEMA", "bfm"},
        {"GUARD_BACKEND", "postgres"},
        {"GUARD_DB_NAME", "guard"},
        {"CORE_BACKEND", "postgresql"},
        {"CORE_DB_HOST", "db.internal"},
        {"CORE_DB_PORT", "6432"},
        {"CORE_DB_USERNAME", "app"},
        {"CORE_DB_PASSWORD", "s3cret"},
        {"CORE_DB_NAME", "core"},
        {"CORE_SCHEMA", "core"},
        {"CORE_MAX_CONNECTIONS", "8"},
        {"CORE_LEDGER", "off"},
        {"CORE_SSLMODE", "verify-full"},
    }));
    ASSERT_TRUE(r.ok()) << all_errors(r);
    const app_config& c = r.config;
    EXPECT_EQ(c.http_port, 7071);
    EXPECT_EQ(c.state.endpoint.describe(), "bfm@state.internal:5433/bfm_state");
    EXPECT_EQ(c.state.endpoint.password, "state-secret");
    EXPECT_EQ(c.state.schema, "bfm");
    ASSERT_EQ(c.connections.size(), 2u);
    const connection_config& core = c.connections[0];
    EXPECT_EQ(core.name, "core");
    EXPECT_EQ(core.env_prefix, "CORE");
    EXPECT_EQ(core.backend, "postgresql");
    EXPECT_EQ(core.endpoint.host, "db.internal");
    EXPECT_EQ(core.endpoint.port, 6432);
    EXPECT_EQ(core.endpoint.username, "app");
    EXPECT_EQ(core.endpoint.password, "s3cret");
    EXPECT_EQ(core.endpoint.database, "core");
    EXPECT_EQ(core.endpoint.sslmode, "verify-full");
    EXPECT_EQ(core.schema, "core");
    EXPECT_EQ(core.max_connections, 8);
    EXPECT_FALSE(core.ledger);
    const connection_config& guard = c.connections[1];
    EXPECT_EQ(guard.name, "guard");
    EXPECT_EQ(guard.backend, "postgresql");
    EXPECT_EQ(guard.endpoint.describe(), "postgres@localhost:5432/guard");
    EXPECT_EQ(guard.schema, "");
    EXPECT_EQ(guard.max_connections, 4);
    EXPECT_TRUE(guard.ledger);

    EXPECT_EQ(c.find_connection("core"), &c.connections[0]);
    EXPECT_EQ(c.find_connection("GUARD"), &c.connections[1]);
    EXPECT_EQ(c.find_connection("logs"), nullptr);
}

TEST(Config, DescribeNeverShowsThePassword) {
    db_endpoint e;
    e.host = "db";
    e.port = 5433;
    e.username = "app";
    e.password = "hunter2";
    e.database = "core";
    EXPECT_EQ(e.describe(), "app@db:5433/core");
    e.host = "::1";
    EXPECT_EQ(e.describe(), "app@[::1]:5433/core");
}

struct value_case {
    const char* variable;
    const char* value;
    std::function<bool(const app_config&)> check;
};

// gtest prints parameters of failed tests with this.
void PrintTo(const value_case& c, std::ostream* os) {
    *os << c.variable << "=" << c.value;
}

class ConfigValue : public testing::TestWithParam<value_case> {};

TEST_P(ConfigValue, Accepted) {
    const auto r = parse_config(with_token({{GetParam().variable, GetParam().value}}));
    ASSERT_TRUE(r.ok()) << GetParam().variable << all_errors(r);
    EXPECT_TRUE(GetParam().check(r.config)) << GetParam().variable << "=" << GetParam().value;
}

INSTANTIATE_TEST_SUITE_P(
    Values, ConfigValue,
    testing::Values(
        value_case{"BFM_HTTP_BODY_LIMIT", "512k",
                   [](const app_config& c) { return c.http_body_limit == 512u * 1024u; }},
        value_case{"BFM_HTTP_BODY_LIMIT", "4M",
                   [](const app_config& c) { return c.http_body_limit == 4u * 1024u * 1024u; }},
        value_case{"BFM_HTTP_BODY_LIMIT", "2048",
                   [](const app_config& c) { return c.http_body_limit == 2048u; }},
        value_case{"BFM_LOG_LEVEL", "DEBUG",
                   [](const app_config& c) { return c.log_level == "debug"; }},
        value_case{"BFM_LOG_FORMAT", "Json",
                   [](const app_config& c) { return c.log_format == "json"; }},
        value_case{"BFM_LOCK_TIMEOUT", "250ms",
                   [](const app_config& c) { return c.lock_timeout == 250ms; }},
        value_case{"BFM_STATEMENT_TIMEOUT", "10m",
                   [](const app_config& c) { return c.statement_timeout == 10min; }},
        value_case{"BFM_CONNECT_TIMEOUT", "3",
                   [](const app_config& c) { return c.connect_timeout == 3s; }},
        value_case{"BFM_TENANT_SCHEMA_PREFIX", "tenant_",
                   [](const app_config& c) { return c.tenant_schema_prefix == "tenant_"; }},
        value_case{"BFM_HTTP_ADDRESS", "127.0.0.1",
                   [](const app_config& c) { return c.http_address == "127.0.0.1"; }},
        value_case{"BFM_SFM_PATH", "/srv/sfm",
                   [](const app_config& c) { return c.sfm_path == "/srv/sfm"; }},
        value_case{"BFM_HTTP_PORT", "", [](const app_config& c) { return c.http_port == 7070; }},
        // Variables of other programs that happen to end in _BACKEND are not connections.
        value_case{"GDK_BACKEND", "x11", [](const app_config& c) { return c.connections.empty(); }},
        value_case{"core_BACKEND", "postgresql",
                   [](const app_config& c) { return c.connections.empty(); }}));

struct error_case {
    env_map env;           // BFM_API_TOKEN is added
    std::string expected;  // a substring of the only error
};

// gtest prints parameters of failed tests with this.
void PrintTo(const error_case& c, std::ostream* os) {
    *os << c.expected;
}

class ConfigError : public testing::TestWithParam<error_case> {};

TEST_P(ConfigError, NamesTheVariable) {
    const auto r = parse_config(with_token(GetParam().env));
    ASSERT_EQ(r.errors.size(), 1u) << all_errors(r);
    EXPECT_NE(r.errors[0].find(GetParam().expected), std::string::npos) << r.errors[0];
}

const env_map core_ok = {{"CORE_BACKEND", "postgresql"}, {"CORE_DB_NAME", "core"}};

env_map core_with(std::string key, std::string value) {
    env_map env = core_ok;
    env[std::move(key)] = std::move(value);
    return env;
}

INSTANTIATE_TEST_SUITE_P(
    Errors, ConfigError,
    testing::Values(
        error_case{{{"BFM_HTTP_PORT", "0"}}, "BFM_HTTP_PORT=0: expected a port number 1..65535"},
        error_case{{{"BFM_GRPC_PORT", "70000"}}, "BFM_GRPC_PORT=70000"},
        error_case{{{"BFM_HTTP_PORT", "80a"}}, "BFM_HTTP_PORT=80a"},
        error_case{{{"BFM_STATE_BACKEND", "mysql"}},
                   "BFM_STATE_BACKEND=mysql is not supported by this build yet (supported: "
                   "postgresql)"},
        error_case{{{"BFM_STATE_BACKEND", "oracle"}}, "BFM_STATE_BACKEND=oracle"},
        error_case{{{"BFM_STATE_DB_PORT", "-1"}}, "BFM_STATE_DB_PORT=-1"},
        error_case{{{"BFM_STATE_SCHEMA", "x; drop table y"}},
                   "BFM_STATE_SCHEMA: schema name \"x; drop table y\" is invalid"},
        error_case{{{"BFM_STATE_SSLMODE", "maybe"}}, "BFM_STATE_SSLMODE=maybe"},
        error_case{{{"CORE_BACKEND", "etcd"}, {"CORE_DB_NAME", "core"}},
                   "CORE_BACKEND=etcd: backend not supported by this build yet (supported: "
                   "postgresql)"},
        error_case{{{"CORE_BACKEND", "postgress"}, {"CORE_DB_NAME", "core"}},
                   "CORE_BACKEND=postgress: unknown backend"},
        error_case{{{"CORE_BACKEND", "postgresql"}}, "CORE_DB_NAME is required"},
        error_case{core_with("CORE_DB_PORT", "99999"), "CORE_DB_PORT=99999"},
        error_case{core_with("CORE_MAX_CONNECTIONS", "0"), "CORE_MAX_CONNECTIONS=0"},
        error_case{core_with("CORE_MAX_CONNECTIONS", "1001"), "CORE_MAX_CONNECTIONS=1001"},
        error_case{core_with("CORE_LEDGER", "maybe"), "CORE_LEDGER=maybe"},
        error_case{core_with("CORE_SCHEMA", "1abc"), "CORE_SCHEMA: schema name \"1abc\""},
        error_case{core_with("CORE_SCHEMA", "a\"b"), "CORE_SCHEMA: schema name \"a\\\"b\""},
        error_case{core_with("CORE_SSLMODE", "bogus"), "CORE_SSLMODE=bogus"},
        error_case{{{"BFM_LOCK_TIMEOUT", "-1s"}}, "BFM_LOCK_TIMEOUT=-1s"},
        error_case{{{"BFM_CONNECT_TIMEOUT", "0"}}, "BFM_CONNECT_TIMEOUT=0: must be greater than 0"},
        error_case{{{"BFM_HTTP_READ_TIMEOUT", "soon"}}, "BFM_HTTP_READ_TIMEOUT=soon"},
        error_case{{{"BFM_HTTP_BODY_LIMIT", "100"}}, "BFM_HTTP_BODY_LIMIT=100"},
        error_case{{{"BFM_HTTP_BODY_LIMIT", "2x"}}, "BFM_HTTP_BODY_LIMIT=2x"},
        error_case{{{"BFM_HTTP_MAX_CONNECTIONS", "0"}}, "BFM_HTTP_MAX_CONNECTIONS=0"},
        error_case{{{"BFM_TENANT_SCHEMA_PREFIX", "cli-"}}, "BFM_TENANT_SCHEMA_PREFIX=cli-"},
        error_case{{{"BFM_TENANT_SCHEMA_PREFIX", "9_"}}, "BFM_TENANT_SCHEMA_PREFIX=9_"},
        error_case{{{"BFM_LOG_LEVEL", "verbose"}}, "BFM_LOG_LEVEL=verbose"},
        error_case{{{"BFM_LOG_FORMAT", "xml"}}, "BFM_LOG_FORMAT=xml: expected one of text, json"},
        error_case{{{"BFM_HTTP_PORT", "1\n2"}}, "BFM_HTTP_PORT=\"1\\x0a2\""}));

TEST(Config, CollectsEveryError) {
    const auto r = parse_config({
        {"BFM_HTTP_PORT", "0"},
        {"BFM_LOG_LEVEL", "loud"},
        {"CORE_BACKEND", "postgresql"},
        {"CORE_DB_PASSWORD", "s3cret"},
        {"CORE_DB_PORT", "nope"},
    });
    ASSERT_EQ(r.errors.size(), 5u) << all_errors(r);
    const std::string text = all_errors(r);
    for (const char* variable :
         {"BFM_API_TOKEN", "BFM_HTTP_PORT", "BFM_LOG_LEVEL", "CORE_DB_NAME", "CORE_DB_PORT"}) {
        EXPECT_NE(text.find(variable), std::string::npos) << variable << text;
    }
    EXPECT_EQ(text.find("s3cret"), std::string::npos) << "password leaked:" << text;
}

struct duration_case {
    const char* text;
    std::optional<std::chrono::milliseconds> expected;
};

// gtest prints parameters of failed tests with this.
void PrintTo(const duration_case& c, std::ostream* os) {
    *os << c.text;
}

class Duration : public testing::TestWithParam<duration_case> {};

TEST_P(Duration, Parses) {
    EXPECT_EQ(parse_duration(GetParam().text), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Texts, Duration,
    testing::Values(duration_case{"250ms", 250ms}, duration_case{"5s", 5s},
                    duration_case{"10m", 10min}, duration_case{"1h", 1h},
                    duration_case{"1h30m", 90min}, duration_case{"7", 7s}, duration_case{"0", 0ms},
                    duration_case{" 5s ", 5s}, duration_case{"", std::nullopt},
                    duration_case{"-1", std::nullopt}, duration_case{"-5s", std::nullopt},
                    duration_case{"1.5s", std::nullopt}, duration_case{"5d", std::nullopt},
                    duration_case{"s", std::nullopt}, duration_case{"5 s", std::nullopt},
                    duration_case{"abc", std::nullopt},
                    duration_case{"99999999999999999999", std::nullopt},
                    duration_case{"9999999999999999h", std::nullopt}));

TEST(Dotenv, ParsesKeysCommentsExportAndQuotes) {
    std::vector<std::string> errors;
    const env_map env = parse_dotenv(
        "# comment\n"
        "\n"
        "BFM_API_TOKEN=abc\n"
        "export CORE_BACKEND=postgresql\r\n"
        "  CORE_DB_PASSWORD = 'p#ss word' \n"
        "CORE_DB_NAME=\"core \\\"db\\\"\" # trailing comment\n"
        "HASH=a#b # comment\n"
        "EMPTY=\n",
        "bfm.env", errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(env, (env_map{{"BFM_API_TOKEN", "abc"},
                            {"CORE_BACKEND", "postgresql"},
                            {"CORE_DB_PASSWORD", "p#ss word"},
                            {"CORE_DB_NAME", "core \"db\""},
                            {"HASH", "a#b"},
                            {"EMPTY", ""}}));
}

TEST(Dotenv, BadLinesNameFileAndLineWithoutTheSecret) {
    std::vector<std::string> errors;
    const env_map env = parse_dotenv(
        "GOOD=1\n"
        "this line has no equals sign secret1\n"
        "1BAD=2\n"
        "QUOTE=\"unterminated secret2\n"
        "SINGLE='x' junk\n",
        "conf/bfm.env", errors);
    EXPECT_EQ(env, (env_map{{"GOOD", "1"}}));
    ASSERT_EQ(errors.size(), 4u);
    EXPECT_EQ(errors[0], "conf/bfm.env:2: expected KEY=VALUE");
    EXPECT_EQ(errors[1], "conf/bfm.env:3: expected KEY=VALUE");
    EXPECT_EQ(errors[2], "conf/bfm.env:4: unterminated double-quoted value for QUOTE");
    EXPECT_EQ(errors[3], "conf/bfm.env:5: unexpected text after the closing quote for SINGLE");
}

TEST(ReadEnvironment, EnvironmentWinsOverTheConfigFile) {
    std::string dir = (std::filesystem::temp_directory_path() / "bfm-config-XXXXXX").string();
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    const std::string file = dir + "/bfm.env";
    std::ofstream(file) << "BFM_TEST_FROM_FILE=file\nBFM_TEST_BOTH=file\n";
    ::setenv("BFM_CONFIG", file.c_str(), 1);
    ::setenv("BFM_TEST_BOTH", "environment", 1);

    std::vector<std::string> errors;
    const env_map env = read_environment(errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(env.at("BFM_TEST_FROM_FILE"), "file");
    EXPECT_EQ(env.at("BFM_TEST_BOTH"), "environment");

    ::setenv("BFM_CONFIG", (dir + "/missing.env").c_str(), 1);
    errors.clear();
    read_environment(errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("BFM_CONFIG="), std::string::npos) << errors[0];

    ::unsetenv("BFM_CONFIG");
    ::unsetenv("BFM_TEST_BOTH");
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bfm::core
