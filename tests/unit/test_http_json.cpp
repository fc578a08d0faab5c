// Pure JSON mapping of the HTTP layer: request bodies -> raw_up_request, run results and list
// pages -> JSON, query strings -> list_query.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "net/list_query_params.hpp"
#include "net/list_response_json.hpp"
#include "net/migrate_request_json.hpp"
#include "net/migrate_response_json.hpp"

namespace {

namespace json = boost::json;
using bfm::net::migrate_body_kind;
using bfm::net::parse_migrate_body;

bfm::net::body_error expect_error(std::string_view body,
                                  migrate_body_kind kind = migrate_body_kind::migrations_up) {
    auto result = parse_migrate_body(body, kind);
    EXPECT_FALSE(result.request.has_value()) << body;
    if (!result.error) {
        ADD_FAILURE() << "no error for " << body;
        return {};
    }
    return *result.error;
}

bfm::core::raw_up_request expect_ok(std::string_view body,
                                    migrate_body_kind kind = migrate_body_kind::migrations_up) {
    auto result = parse_migrate_body(body, kind);
    EXPECT_FALSE(result.error.has_value()) << body << ": " << result.error->message;
    return result.request.value_or(bfm::core::raw_up_request{});
}

// ---- request bodies ---------------------------------------------------------------------

TEST(HttpJson, FullUpBodyIsDecoded) {
    auto raw = expect_ok(R"({
        "target": {"backend": "postgresql", "schema": "core", "tables": ["users", "orgs"],
                   "version": "<=20250101120000", "connection": "core"},
        "connection": "core", "schemas": ["cli_a", "cli_b"], "schema": "core",
        "environment": "dev", "dry_run": true, "ignore_dependencies": true})");
    EXPECT_EQ(raw.target.backend, "postgresql");
    EXPECT_EQ(raw.target.schema, "core");
    EXPECT_EQ(raw.target.tables, (std::vector<std::string>{"users", "orgs"}));
    EXPECT_EQ(raw.target_version_text, "<=20250101120000");
    EXPECT_EQ(raw.target.connection, "core");
    EXPECT_EQ(raw.connection, "core");
    EXPECT_EQ(raw.schemas, (std::vector<std::string>{"cli_a", "cli_b"}));
    EXPECT_EQ(raw.schema, "core");
    EXPECT_EQ(raw.environment, "dev");
    EXPECT_TRUE(raw.dry_run);
    EXPECT_TRUE(raw.ignore_dependencies);
}

TEST(HttpJson, NullsAreAbsent) {
    auto raw = expect_ok(R"({"target": null, "connection": "core", "schemas": null,
        "schema": null, "schema_name": null, "environment": null, "dry_run": null,
        "ignore_dependencies": null})");
    EXPECT_EQ(raw.connection, "core");
    EXPECT_TRUE(raw.schema.empty());
    EXPECT_TRUE(raw.schemas.empty());
    EXPECT_FALSE(raw.dry_run);
    auto raw2 = expect_ok(R"({"target": {"backend": null, "schema": null, "tables": null,
        "version": null, "connection": null}})");
    EXPECT_TRUE(raw2.target.backend.empty());
    EXPECT_TRUE(raw2.target_version_text.empty());
}

TEST(HttpJson, SchemaNameIsAnAliasOfSchema) {
    EXPECT_EQ(expect_ok(R"({"connection":"core","schema_name":"cli_x"})").schema, "cli_x");
    EXPECT_EQ(expect_ok(R"({"connection":"core","schema":"a","schema_name":"a"})").schema, "a");
    auto e = expect_error(R"({"connection":"core","schema":"a","schema_name":"b"})");
    EXPECT_EQ(e.code, "conflicting_fields");
    EXPECT_EQ(e.field, "schema_name");
}

TEST(HttpJson, MalformedJsonNamesTheOffset) {
    auto e = expect_error(R"({"connection": "core",})");
    EXPECT_EQ(e.code, "malformed_json");
    EXPECT_EQ(e.message.rfind("malformed JSON: ", 0), 0u) << e.message;
    EXPECT_NE(e.message.find("at offset 22"), std::string::npos) << e.message;

    EXPECT_EQ(expect_error("").code, "malformed_json");
    EXPECT_EQ(expect_error(R"({"connection": "core")").code, "malformed_json");
    EXPECT_EQ(expect_error(R"({} {})").code, "malformed_json");
    EXPECT_EQ(expect_error("{'a': 1}").code, "malformed_json");
}

TEST(HttpJson, BodyMustBeAnObject) {
    for (std::string_view body : {"[]", "\"core\"", "42", "null", "true"}) {
        auto e = expect_error(body);
        EXPECT_EQ(e.code, "invalid_body") << body;
        EXPECT_EQ(e.message, "request body must be a JSON object");
    }
}

struct type_case {
    std::string body;
    std::string field;
    std::string expected;  // "a string", ...
};

TEST(HttpJson, WrongTypesAreRejectedNamingTheField) {
    const std::vector<type_case> cases = {
        {R"({"connection": 1})", "connection", "a string"},
        {R"({"connection": ["core"]})", "connection", "a string"},
        {R"({"schema": true})", "schema", "a string"},
        {R"({"schema_name": {}})", "schema_name", "a string"},
        {R"({"environment": 7})", "environment", "a string"},
        {R"({"dry_run": "true"})", "dry_run", "a boolean"},
        {R"({"dry_run": 1})", "dry_run", "a boolean"},
        {R"({"ignore_dependencies": "yes"})", "ignore_dependencies", "a boolean"},
        {R"({"schemas": "cli_a"})", "schemas", "an array of strings"},
        {R"({"schemas": ["cli_a", 2]})", "schemas[1]", "a string"},
        {R"({"schemas": ["cli_a", null]})", "schemas[1]", "a string"},
        {R"({"target": "core"})", "target", "an object"},
        {R"({"target": []})", "target", "an object"},
        {R"({"target": {"backend": 1}})", "target.backend", "a string"},
        {R"({"target": {"schema": false}})", "target.schema", "a string"},
        {R"({"target": {"tables": "users"}})", "target.tables", "an array of strings"},
        {R"({"target": {"tables": [1]}})", "target.tables[0]", "a string"},
        {R"({"target": {"version": 20250101120000}})", "target.version", "a string"},
        {R"({"target": {"connection": {}}})", "target.connection", "a string"},
    };
    for (const auto& c : cases) {
        auto e = expect_error(c.body);
        EXPECT_EQ(e.code, "invalid_type") << c.body;
        EXPECT_EQ(e.field, c.field) << c.body;
        EXPECT_EQ(e.message, "field \"" + c.field + "\" must be " + c.expected) << c.body;
    }
}

TEST(HttpJson, UnknownFieldsAreRejected) {
    auto e = expect_error(R"({"connection": "core", "dryrun": true})");
    EXPECT_EQ(e.code, "unknown_field");
    EXPECT_EQ(e.field, "dryrun");
    EXPECT_EQ(e.message, "unknown field \"dryrun\"");

    auto nested = expect_error(R"({"target": {"connection": "core", "tabels": []}})");
    EXPECT_EQ(nested.code, "unknown_field");
    EXPECT_EQ(nested.field, "target.tabels");
}

TEST(HttpJson, TargetTagsAndPlannerFlagsAreDecoded) {
    auto raw = expect_ok(
        R"({"connection": "core", "target": {"tags": ["tier=gold", "Region=eu=west"]},)"
        R"( "allow_modified": true, "strict_order": true})");
    EXPECT_EQ(raw.tags, (std::vector<std::string>{"tier=gold", "Region=eu=west"}));
    EXPECT_TRUE(raw.allow_modified);
    EXPECT_TRUE(raw.strict_order);
    auto e = expect_error(R"({"connection": "core", "target": {"tags": "tier=gold"}})");
    EXPECT_EQ(e.code, "invalid_type");
    EXPECT_EQ(e.field, "target.tags");
    auto e2 = expect_error(R"({"connection": "core", "strict_order": 1})");
    EXPECT_EQ(e2.field, "strict_order");
}

TEST(HttpJson, PlanBodyTakesTheUpFields) {
    auto raw = expect_ok(R"({"connection": "core", "schemas": ["a"], "ignore_dependencies": true})",
                         migrate_body_kind::plan);
    EXPECT_EQ(raw.schemas, std::vector<std::string>{"a"});
    EXPECT_TRUE(raw.ignore_dependencies);
}

TEST(HttpJson, MigrateBodyHasNoSchemasOrIgnoreDependencies) {
    auto e =
        expect_error(R"({"connection": "core", "schemas": ["a"]})", migrate_body_kind::migrate);
    EXPECT_EQ(e.code, "unknown_field");
    EXPECT_EQ(e.field, "schemas");
    auto e2 = expect_error(R"({"connection": "core", "ignore_dependencies": true})",
                           migrate_body_kind::migrate);
    EXPECT_EQ(e2.field, "ignore_dependencies");
    // ...but the guide's fields are accepted.
    auto raw = expect_ok(R"({"connection": "core", "schema": "core", "environment": "x",
                             "dry_run": false, "schema_name": "core"})",
                         migrate_body_kind::migrate);
    EXPECT_EQ(raw.schema, "core");
}

// ---- run results ------------------------------------------------------------------------

bfm::core::migration_result mr(std::string id, bfm::core::migration_outcome o,
                               std::string error = {}) {
    bfm::core::migration_result r;
    r.migration_id = std::move(id);
    r.outcome = o;
    r.error = std::move(error);
    return r;
}

TEST(HttpJson, SuccessfulRunIs200WithPlainIds) {
    using bfm::core::migration_outcome;
    bfm::core::run_result run;
    bfm::core::target_result t;
    t.connection = "core";
    t.schema = "core";
    t.migrations = {mr("core_users_20250101120000_create_users", migration_outcome::applied),
                    mr("core_orgs_20250101120001_create_orgs", migration_outcome::skipped)};
    run.targets.push_back(t);
    auto reply = bfm::net::migrate_reply(run);
    EXPECT_EQ(reply.status, boost::beast::http::status::ok);
    const auto& body = reply.body.as_object();
    EXPECT_EQ(body.at("success"), true);
    EXPECT_EQ(json::serialize(body.at("applied")), R"(["core_users_20250101120000_create_users"])");
    EXPECT_EQ(json::serialize(body.at("skipped")), R"(["core_orgs_20250101120001_create_orgs"])");
    EXPECT_EQ(json::serialize(body.at("errors")), "[]");
    const auto& target = body.at("targets").as_array().at(0).as_object();
    EXPECT_EQ(target.at("connection"), "core");
    EXPECT_EQ(target.at("schema"), "core");
    EXPECT_EQ(target.at("failed").as_array().size(), 0u);
}

TEST(HttpJson, FailedTargetIs206WithErrors) {
    using bfm::core::migration_outcome;
    bfm::core::run_result run;
    bfm::core::target_result ok;
    ok.connection = "organization";
    ok.schema = "cli_a";
    ok.migrations = {mr("m1", migration_outcome::applied), mr("m2", migration_outcome::applied)};
    bfm::core::target_result failed;
    failed.connection = "organization";
    failed.schema = "cli_b";
    failed.migrations = {mr("m1", migration_outcome::applied),
                         mr("m2", migration_outcome::failed, "42P07: relation exists")};
    bfm::core::target_result broken;
    broken.connection = "organization";
    broken.schema = "cli_c";
    broken.error = "connection refused";
    run.targets = {ok, failed, broken};

    auto reply = bfm::net::migrate_reply(run);
    EXPECT_EQ(reply.status, boost::beast::http::status::partial_content);
    const auto& body = reply.body.as_object();
    EXPECT_EQ(body.at("success"), false);
    EXPECT_EQ(json::serialize(body.at("applied")), R"(["m1","m2","m1"])");
    EXPECT_EQ(json::serialize(body.at("errors")),
              R"(["organization/cli_b: m2: 42P07: relation exists",)"
              R"("organization/cli_c: connection refused"])");
    const auto& targets = body.at("targets").as_array();
    ASSERT_EQ(targets.size(), 3u);
    EXPECT_EQ(json::serialize(targets[1].at("failed")), R"(["m2"])");
    EXPECT_EQ(json::serialize(targets[1].at("applied")), R"(["m1"])");
    EXPECT_EQ(targets[2].at("errors").as_array().size(), 1u);
}

TEST(HttpJson, DryRunAppliedIdsCarrySuffix) {
    using bfm::core::migration_outcome;
    bfm::core::run_result run;
    bfm::core::target_result t;
    t.connection = "core";
    t.schema = "core";
    t.migrations = {mr("m1", migration_outcome::would_apply), mr("m0", migration_outcome::skipped)};
    run.targets.push_back(t);
    auto reply = bfm::net::migrate_reply(run);
    EXPECT_EQ(reply.status, boost::beast::http::status::ok);
    EXPECT_EQ(json::serialize(reply.body.at("applied")), R"j(["m1 (dry-run)"])j");
    EXPECT_EQ(json::serialize(reply.body.at("skipped")), R"(["m0"])");
}

TEST(HttpJson, EmptyRunHasEmptyArraysNotNull) {
    auto reply = bfm::net::migrate_reply(bfm::core::run_result{});
    EXPECT_EQ(json::serialize(reply.body),
              R"({"success":true,"applied":[],"skipped":[],"errors":[],"targets":[]})");
}

// ---- list query -------------------------------------------------------------------------

bfm::net::list_query_result parse_query(std::string_view target) {
    auto url = boost::urls::parse_origin_form(target);
    EXPECT_TRUE(url.has_value()) << target;
    return bfm::net::parse_list_query(url->params());
}

TEST(HttpJson, ListQueryDefaults) {
    auto r = parse_query("/api/v1/migrations");
    ASSERT_TRUE(r.query);
    EXPECT_EQ(r.query->limit, 100u);
    EXPECT_EQ(r.query->offset, 0u);
    EXPECT_TRUE(r.query->schema.empty());
}

TEST(HttpJson, ListQueryAllParameters) {
    auto r = parse_query(
        "/api/v1/migrations?schema=cli_a%2Ccli_b&table=users&connection=core&backend=postgresql"
        "&status=failed&version=20250101120000&limit=1000&offset=20");
    ASSERT_TRUE(r.query) << r.error->message;
    EXPECT_EQ(r.query->schema, "cli_a,cli_b");
    EXPECT_EQ(r.query->table, "users");
    EXPECT_EQ(r.query->connection, "core");
    EXPECT_EQ(r.query->backend, "postgresql");
    EXPECT_EQ(r.query->status, "failed");
    EXPECT_EQ(r.query->version, "20250101120000");
    EXPECT_EQ(r.query->limit, 1000u);
    EXPECT_EQ(r.query->offset, 20u);
}

TEST(HttpJson, ListQueryRejectsBadValues) {
    struct bad {
        std::string target;
        std::string code;
        std::string parameter;
    };
    const std::vector<bad> cases = {
        {"/x?status=done", "invalid_parameter", "status"},
        {"/x?status=", "invalid_parameter", "status"},
        {"/x?limit=abc", "invalid_parameter", "limit"},
        {"/x?limit=0", "invalid_parameter", "limit"},
        {"/x?limit=1001", "invalid_parameter", "limit"},
        {"/x?limit=-5", "invalid_parameter", "limit"},
        {"/x?limit=10abc", "invalid_parameter", "limit"},
        {"/x?limit=", "invalid_parameter", "limit"},
        {"/x?limit=99999999999999999999999", "invalid_parameter", "limit"},
        {"/x?offset=-1", "invalid_parameter", "offset"},
        {"/x?offset=1.5", "invalid_parameter", "offset"},
        {"/x?page=2", "unknown_parameter", "page"},
        {"/x?limit=5&limit=6", "duplicate_parameter", "limit"},
    };
    for (const auto& c : cases) {
        auto r = parse_query(c.target);
        EXPECT_FALSE(r.query) << c.target;
        ASSERT_TRUE(r.error) << c.target;
        EXPECT_EQ(r.error->code, c.code) << c.target;
        EXPECT_EQ(r.error->parameter, c.parameter) << c.target;
        EXPECT_NE(r.error->message.find(c.parameter), std::string::npos) << r.error->message;
    }
}

TEST(HttpJson, ListReplyItems) {
    bfm::core::list_page page;
    bfm::core::migration_row applied;
    applied.migration_id = "core_users_20250101120000_create_users";
    applied.schema = "core";
    applied.table = "users";
    applied.version = "20250101120000";
    applied.name = "create_users";
    applied.connection = "core";
    applied.backend = "postgresql";
    applied.status = "applied";
    applied.applied_at = "2025-01-01T12:00:00Z";
    applied.checksum = "v1:abc";
    applied.execution_ms = 12;
    bfm::core::migration_row pending = applied;
    pending.status = "pending";
    pending.applied_at.clear();
    bfm::core::migration_row failed = pending;
    failed.status = "failed";
    failed.error_message = "boom";
    page.items = {applied, pending, failed};
    page.total = 42;
    bfm::core::list_query q;
    q.limit = 3;
    q.offset = 6;

    auto reply = bfm::net::list_reply(page, q);
    EXPECT_EQ(reply.status, boost::beast::http::status::ok);
    const auto& body = reply.body.as_object();
    EXPECT_EQ(body.at("total"), 42);
    EXPECT_EQ(body.at("limit"), 3);
    EXPECT_EQ(body.at("offset"), 6);
    const auto& items = body.at("items").as_array();
    ASSERT_EQ(items.size(), 3u);
    const auto& a = items[0].as_object();
    EXPECT_EQ(a.at("migration_id"), "core_users_20250101120000_create_users");
    EXPECT_EQ(a.at("applied"), true);
    EXPECT_EQ(a.at("applied_at"), "2025-01-01T12:00:00Z");
    EXPECT_EQ(a.at("checksum"), "v1:abc");
    EXPECT_EQ(a.at("execution_ms"), 12);
    EXPECT_FALSE(a.contains("error_message"));
    const auto& p = items[1].as_object();
    EXPECT_EQ(p.at("applied"), false);
    EXPECT_FALSE(p.contains("applied_at"));
    EXPECT_EQ(items[2].at("error_message"), "boom");
}

}  // namespace
