// The e2e OpenAPI test's validator (tests/support/json_schema.*) must be able to fail: each
// keyword it claims to check rejects a wrong instance.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "support/json_schema.hpp"

namespace {

namespace json = boost::json;

const json::object doc = json::parse(R"({
  "components": {"schemas": {
    "Err": {"type": "object", "additionalProperties": false, "required": ["error", "code"],
            "properties": {"error": {"type": "string"}, "code": {"type": "string"},
                           "details": {"type": "object"}}},
    "Nested": {"type": "object", "required": ["error"], "additionalProperties": false,
               "properties": {"error": {"type": "object", "required": ["code"],
                                        "properties": {"code": {"type": "string"}}}}},
    "Page": {"type": "object", "required": ["items", "total"],
             "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                            "total": {"type": "integer", "minimum": 0}}},
    "Item": {"type": "object", "required": ["id", "state"],
             "properties": {"id": {"type": "string"},
                            "state": {"type": "string", "enum": ["ok", "failed"]},
                            "error": {"type": "string", "nullable": true},
                            "ratio": {"type": "number", "maximum": 1}}},
    "Counts": {"type": "object", "additionalProperties": {"type": "integer"}},
    "Either": {"oneOf": [{"$ref": "#/components/schemas/Err"}, {"$ref": "#/components/schemas/Nested"}]}
  }}})")
                             .as_object();

std::vector<std::string> check(std::string_view instance, std::string_view name) {
    bfm::test::schema_validator v(doc);
    return v.validate(
        json::parse(instance),
        json::value(json::object{{"$ref", "#/components/schemas/" + std::string(name)}}));
}

bool mentions(const std::vector<std::string>& errors, std::string_view what) {
    for (const auto& e : errors) {
        if (e.find(what) != std::string::npos) return true;
    }
    return false;
}

TEST(JsonSchemaValidator, AcceptsValidInstances) {
    EXPECT_EQ(check(R"({"error": "x", "code": "bad"})", "Err"), std::vector<std::string>{});
    EXPECT_EQ(check(R"({"items": [{"id": "a", "state": "ok", "error": null, "ratio": 0.5}],
                        "total": 1, "extra": true})",
                    "Page"),
              std::vector<std::string>{});
    EXPECT_EQ(check(R"({"a": 1, "b": 2})", "Counts"), std::vector<std::string>{});
    EXPECT_EQ(check(R"({"error": {"code": "x"}})", "Either"), std::vector<std::string>{});
}

TEST(JsonSchemaValidator, RejectsEachKindOfViolation) {
    EXPECT_TRUE(mentions(check(R"({"error": "x"})", "Err"), "$: required property \"code\""));
    EXPECT_TRUE(mentions(check(R"({"error": "x", "code": "c", "more": 1})", "Err"),
                         "$.more: property not allowed"));
    EXPECT_TRUE(mentions(check(R"({"error": 1, "code": "c"})", "Err"), "$.error: expected string"));
    EXPECT_TRUE(mentions(check(R"([])", "Err"), "$: expected object"));
    EXPECT_TRUE(mentions(check(R"({"items": [{"id": "a", "state": "weird"}], "total": 1})", "Page"),
                         "$.items[0].state: \"weird\" is not one of"));
    EXPECT_TRUE(mentions(check(R"({"items": [{"id": null, "state": "ok"}], "total": 1})", "Page"),
                         "$.items[0].id: null where the schema is not nullable"));
    EXPECT_TRUE(mentions(check(R"({"items": [], "total": 1.5})", "Page"), "expected integer"));
    EXPECT_TRUE(mentions(check(R"({"items": [], "total": -1})", "Page"), "below the minimum"));
    EXPECT_TRUE(mentions(
        check(R"({"items": [{"id": "a", "state": "ok", "ratio": 2}], "total": 1})", "Page"),
        "above the maximum"));
    EXPECT_TRUE(mentions(check(R"({"items": {}, "total": 1})", "Page"), "$.items: expected array"));
    EXPECT_TRUE(mentions(check(R"({"a": "1"})", "Counts"), "$.a: expected integer"));
    EXPECT_TRUE(mentions(check(R"({"error": 5})", "Either"), "matches 0 of the oneOf"));
}

TEST(JsonSchemaValidator, ReportsUnsupportedKeywordsAndBadRefs) {
    bfm::test::schema_validator v(doc);
    EXPECT_TRUE(mentions(v.validate(json::value(1), json::parse(R"({"anyOf": []})")),
                         "unsupported schema keyword \"anyOf\""));
    EXPECT_THROW(v.validate(json::value(1), json::parse(R"({"$ref": "#/components/schemas/No"})")),
                 std::invalid_argument);
    EXPECT_THROW(v.resolve("http://elsewhere/x"), std::invalid_argument);
}

}  // namespace
