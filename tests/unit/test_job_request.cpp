#include <gtest/gtest.h>

#include <cctype>
#include <functional>

#include "core/job_request.hpp"
#include "core/service.hpp"

namespace bfm::core {
namespace {

app_config guide_config() {
    app_config c;
    for (const char* name : {"core", "guard"}) {
        connection_config conn;
        conn.name = name;
        conn.backend = "postgresql";
        c.connections.push_back(conn);
    }
    return c;
}

normalise_result normalise(const raw_up_request& raw) {
    return normalise_request(raw, guide_config(), execution_origin{});
}

TEST(JobRequest, GuideCoreRequest) {
    raw_up_request raw;
    raw.target.backend = "postgres";
    raw.target.schema = "core";
    raw.target.tables = {"users"};
    raw.target.connection = "core";
    raw.target_version_text = "20250101120000";
    raw.connection = "core";
    raw.schema = "core";
    raw.dry_run = true;
    execution_origin origin{execution_method::cli, "alice", "{}"};
    const auto r = normalise_request(raw, guide_config(), origin);
    ASSERT_FALSE(r.error.has_value()) << r.error->message;
    ASSERT_TRUE(r.request.has_value());
    const job_request& j = *r.request;
    EXPECT_EQ(j.connection, "core");
    EXPECT_EQ(j.filter.connection, "core");
    EXPECT_EQ(j.filter.backend, "postgresql");
    EXPECT_EQ(j.filter.schema, "core");
    EXPECT_EQ(j.filter.tables, std::vector<std::string>{"users"});
    EXPECT_EQ(j.filter.version.version, "20250101120000");
    EXPECT_FALSE(j.filter.version.up_to);
    EXPECT_EQ(j.filter.version.number, 20250101120000ULL);
    EXPECT_EQ(j.schemas, std::vector<std::string>{"core"});
    EXPECT_TRUE(j.dry_run);
    EXPECT_FALSE(j.ignore_dependencies);
    EXPECT_EQ(j.origin.method, execution_method::cli);
    EXPECT_EQ(j.origin.executed_by, "alice");
}

TEST(JobRequest, ConnectionFromTargetAndEnvironment) {
    raw_up_request raw;
    raw.target.connection = "GUARD";
    raw.environment = "e1";
    const auto r = normalise(raw);
    ASSERT_TRUE(r.request.has_value()) << r.error->message;
    EXPECT_EQ(r.request->connection, "guard");
    EXPECT_EQ(r.request->filter.connection, "guard");
    EXPECT_EQ(r.request->schemas, std::vector<std::string>{"cli_e1"});
    EXPECT_TRUE(r.request->filter.version.version.empty());
}

TEST(JobRequest, SchemasAreDedupedInOrder) {
    raw_up_request raw;
    raw.connection = "core";
    raw.schema = "cli_b";
    raw.schemas = {"cli_a", "cli_b", "cli_a", "cli_c"};
    raw.environment = "b";
    const auto r = normalise(raw);
    ASSERT_TRUE(r.request.has_value()) << r.error->message;
    EXPECT_EQ(r.request->schemas, (std::vector<std::string>{"cli_b", "cli_a", "cli_c"}));
}

TEST(JobRequest, VersionUpTo) {
    raw_up_request raw;
    raw.connection = "core";
    raw.target_version_text = "<=20250101120000";
    const auto r = normalise(raw);
    ASSERT_TRUE(r.request.has_value()) << r.error->message;
    EXPECT_TRUE(r.request->filter.version.up_to);
    EXPECT_EQ(r.request->filter.version.version, "20250101120000");
    EXPECT_EQ(r.request->filter.version.number, 20250101120000ULL);
}

TEST(JobRequest, VersionFromTheTargetFilterWhenNoTextIsGiven) {
    raw_up_request raw;
    raw.connection = "core";
    raw.target.version.version = "42";
    raw.target.version.up_to = true;
    const auto r = normalise(raw);
    ASSERT_TRUE(r.request.has_value()) << r.error->message;
    EXPECT_TRUE(r.request->filter.version.up_to);
    EXPECT_EQ(r.request->filter.version.number, 42u);
}

TEST(JobRequest, UsesTheConfiguredTenantPrefix) {
    app_config config = guide_config();
    config.tenant_schema_prefix = "tenant_";
    raw_up_request raw;
    raw.connection = "core";
    raw.environment = "Prod_1";
    const auto r = normalise_request(raw, config, {});
    ASSERT_TRUE(r.request.has_value()) << r.error->message;
    EXPECT_EQ(r.request->schemas, std::vector<std::string>{"tenant_Prod_1"});
}

struct error_case {
    const char* label;
    std::function<void(raw_up_request&)> edit;
    std::string code;
    std::string field;
    std::string message;  // substring
};

// gtest prints parameters of failed tests with this.
void PrintTo(const error_case& c, std::ostream* os) {
    *os << c.label;
}

class JobRequestError : public testing::TestWithParam<error_case> {};

TEST_P(JobRequestError, NamesTheField) {
    raw_up_request raw;
    raw.connection = "core";
    GetParam().edit(raw);
    const auto r = normalise(raw);
    EXPECT_FALSE(r.request.has_value()) << GetParam().label;
    ASSERT_TRUE(r.error.has_value()) << GetParam().label;
    EXPECT_EQ(r.error->code, GetParam().code) << GetParam().label;
    EXPECT_EQ(r.error->field, GetParam().field) << GetParam().label;
    EXPECT_NE(r.error->message.find(GetParam().message), std::string::npos)
        << GetParam().label << ": " << r.error->message;
}

INSTANTIATE_TEST_SUITE_P(
    Errors, JobRequestError,
    testing::Values(
        error_case{"no connection", [](raw_up_request& r) { r.connection.clear(); },
                   "missing_field", "connection", "connection is required"},
        error_case{"unknown connection", [](raw_up_request& r) { r.connection = "x"; },
                   "unknown_connection", "connection",
                   "unknown connection \"x\" (configured: core, guard)"},
        error_case{"conflicting connections",
                   [](raw_up_request& r) { r.target.connection = "guard"; }, "conflicting_fields",
                   "target.connection", "\"guard\""},
        error_case{"backend of another connection",
                   [](raw_up_request& r) { r.target.backend = "etcd"; }, "invalid_value",
                   "target.backend", "does not match connection core"},
        error_case{"bad target schema", [](raw_up_request& r) { r.target.schema = "a\"b"; },
                   "invalid_schema", "target.schema", "schema name \"a\\\"b\" is invalid"},
        error_case{"bad version", [](raw_up_request& r) { r.target_version_text = "v1"; },
                   "invalid_version", "target.version", "\"v1\""},
        error_case{"bad up-to version", [](raw_up_request& r) { r.target_version_text = "<="; },
                   "invalid_version", "target.version", "\"<=\""},
        error_case{"version over 19 digits",
                   [](raw_up_request& r) { r.target_version_text = "12345678901234567890"; },
                   "invalid_version", "target.version", "is invalid"},
        error_case{"hostile schema", [](raw_up_request& r) { r.schema = "x; drop table y"; },
                   "invalid_schema", "schema", "schema name \"x; drop table y\" is invalid"},
        error_case{"quote in schemas",
                   [](raw_up_request& r) {
                       r.schemas = {"ok", "ok2", "a\"b"};
                   },
                   "invalid_schema", "schemas[2]", "\"a\\\"b\""},
        error_case{"empty schema in schemas", [](raw_up_request& r) { r.schemas = {""}; },
                   "invalid_schema", "schemas[0]", "schema name \"\" is invalid"},
        error_case{"leading digit", [](raw_up_request& r) { r.schemas = {"1abc"}; },
                   "invalid_schema", "schemas[0]", "\"1abc\""},
        error_case{"64 characters", [](raw_up_request& r) { r.schema = std::string(64, 'a'); },
                   "invalid_schema", "schema", "at most 63"},
        error_case{"environment with a dash", [](raw_up_request& r) { r.environment = "e-1"; },
                   "invalid_environment", "environment", "\"e-1\""},
        error_case{"environment too long",
                   [](raw_up_request& r) { r.environment = std::string(60, 'e'); },
                   "invalid_environment", "environment", "at most 63"},
        error_case{"schema and environment disagree",
                   [](raw_up_request& r) {
                       r.schema = "core";
                       r.environment = "e1";
                   },
                   "conflicting_fields", "environment", "\"cli_e1\""},
        error_case{"too many schemas", [](raw_up_request& r) { r.schemas.assign(10001, "cli_a"); },
                   "too_many_schemas", "schemas", "10000"}),
    [](const auto& p) {
        std::string name = p.param.label;
        for (char& c : name) {
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        }
        return name;
    });

TEST(JobRequest, TenThousandSchemasAreAccepted) {
    raw_up_request raw;
    raw.connection = "core";
    for (int i = 0; i < 10000; ++i) raw.schemas.push_back("cli_" + std::to_string(i));
    const auto r = normalise(raw);
    ASSERT_TRUE(r.request.has_value()) << r.error->message;
    EXPECT_EQ(r.request->schemas.size(), 10000u);
}

TEST(ExecutionMethod, Names) {
    EXPECT_EQ(to_string(execution_method::api), "api");
    EXPECT_EQ(to_string(execution_method::grpc), "grpc");
    EXPECT_EQ(to_string(execution_method::cli), "cli");
    EXPECT_EQ(to_string(execution_method::dashboard), "dashboard");
    EXPECT_EQ(to_string(execution_method::auto_migrate), "auto_migrate");
}

TEST(RunResult, OutcomesAndSuccess) {
    EXPECT_EQ(to_string(migration_outcome::applied), "applied");
    EXPECT_EQ(to_string(migration_outcome::skipped), "skipped");
    EXPECT_EQ(to_string(migration_outcome::failed), "failed");
    EXPECT_EQ(to_string(migration_outcome::would_apply), "would_apply");

    target_result good{"core", "core", {{"1_a", migration_outcome::applied, "", 3}}, "", {}};
    target_result skipped{"core", "cli_a", {{"1_a", migration_outcome::skipped, "", 0}}, "", {}};
    target_result failed{
        "core", "cli_b", {{"1_a", migration_outcome::failed, "42P07", 1}}, "", {}};
    target_result broken{"core", "cli_c", {}, "connection refused", {}};
    EXPECT_TRUE(good.ok());
    EXPECT_TRUE(skipped.ok());
    EXPECT_FALSE(failed.ok());
    EXPECT_FALSE(broken.ok());
    EXPECT_TRUE((run_result{{good, skipped}}.success()));
    EXPECT_FALSE((run_result{{good, failed}}.success()));
    EXPECT_FALSE((run_result{{broken}}.success()));
}

}  // namespace
}  // namespace bfm::core
