// Fan-out fields of a request (SPEC 4): environments[] and schema_selector.

#include <gtest/gtest.h>

#include "core/job_request.hpp"
#include "net/migrate_request_json.hpp"

namespace bfm::core {
namespace {

app_config tenant_config() {
    app_config c;
    connection_config conn;
    conn.name = "organization";
    conn.backend = "postgresql";
    c.connections.push_back(conn);
    return c;
}

TEST(FanoutRequest, EnvironmentsBecomeTenantSchemasAfterTheExplicitOnes) {
    raw_up_request raw;
    raw.connection = "organization";
    raw.schemas = {"cli_b"};
    raw.environments = {"a", "b", "eu_1"};
    auto r = normalise_request(raw, tenant_config(), {});
    ASSERT_TRUE(r.request) << r.error->message;
    EXPECT_EQ(r.request->schemas, (std::vector<std::string>{"cli_b", "cli_a", "cli_eu_1"}));
}

TEST(FanoutRequest, AHostileEnvironmentIsRefusedNamingItsIndex) {
    raw_up_request raw;
    raw.connection = "organization";
    raw.environments = {"ok", "x; drop table y"};
    auto r = normalise_request(raw, tenant_config(), {});
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->field, "environments[1]");
    EXPECT_EQ(r.error->code, "invalid_environment");
}

TEST(FanoutRequest, SchemaSelectorIsKeptForDiscoveryAtRunTime) {
    raw_up_request raw;
    raw.connection = "organization";
    raw.schema_selector_like = "cli_%";
    auto r = normalise_request(raw, tenant_config(), {});
    ASSERT_TRUE(r.request) << r.error->message;
    EXPECT_EQ(r.request->schema_selector_like, "cli_%");
    EXPECT_TRUE(r.request->schemas.empty());
    raw.schema_selector_like = std::string(200, '%');
    EXPECT_TRUE(normalise_request(raw, tenant_config(), {}).error);
}

TEST(FanoutRequest, JsonBodyCarriesEnvironmentsAndSelector) {
    auto parsed = net::parse_migrate_body(
        R"({"connection":"organization","environments":["a","b"],"schema_selector":{"like":"cli_%"}})",
        net::migrate_body_kind::migrations_up);
    ASSERT_TRUE(parsed.request) << parsed.error->message;
    EXPECT_EQ(parsed.request->environments, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(parsed.request->schema_selector_like, "cli_%");

    auto typo = net::parse_migrate_body(R"({"connection":"o","schema_selector":{"ilike":"x"}})",
                                        net::migrate_body_kind::migrations_up);
    ASSERT_TRUE(typo.error);
    EXPECT_EQ(typo.error->field, "schema_selector.ilike");
    auto wrong = net::parse_migrate_body(R"({"connection":"o","schema_selector":"cli_%"})",
                                         net::migrate_body_kind::migrations_up);
    ASSERT_TRUE(wrong.error);
    EXPECT_EQ(wrong.error->code, "invalid_type");
    auto guide = net::parse_migrate_body(R"({"connection":"o","environments":["a"]})",
                                         net::migrate_body_kind::migrate);
    EXPECT_TRUE(guide.error) << "the guide's /migrate body has no environments[]";
}

}  // namespace
}  // namespace bfm::core
