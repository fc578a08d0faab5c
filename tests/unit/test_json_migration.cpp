// JSON migrations: operation scripts and .meta.json sidecars, with element indexes and lines.

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>

#include "core/json_migration.hpp"
#include "core/json_source.hpp"

namespace bfm::core {
namespace {

using namespace std::chrono_literals;

const std::string up_file = "etcd/config/1_flags.up.json";
const std::string meta_file = "etcd/config/1_flags.meta.json";

std::string describe(const std::vector<load_error>& errors) {
    std::string out;
    for (const load_error& e : errors) out += "\n  " + e.to_string();
    return out;
}

std::string test_name(std::string label) {
    for (char& c : label) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return label;
}

TEST(JsonSource, SyntaxErrorsHaveLineAndColumn) {
    const auto p = parse_json_source("[\n  {\"key\": \"a\",}\n]");
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error_line, 2);
    EXPECT_NE(p.error.find("line 2, column 15"), std::string::npos) << p.error;

    const auto trailing = parse_json_source("[]\n\nx");
    ASSERT_FALSE(trailing.ok());
    EXPECT_EQ(trailing.error_line, 3);

    const auto truncated = parse_json_source("[\n{\"key\": ");
    ASSERT_FALSE(truncated.ok());
    EXPECT_EQ(truncated.error_line, 2);

    EXPECT_TRUE(parse_json_source("\xEF\xBB\xBF[]").ok());
}

TEST(JsonSource, LocatesMembersWithNestedAndEscapedContent) {
    const std::string text =
        "{\n  \"a\": \"x\\\"]}\",\n  \"b\": [1,\n    {\"c\": [2]}, \"]\"],\n\n  \"d\\u0041\": "
        "null\n}";
    ASSERT_TRUE(parse_json_source(text).ok());
    const auto members = locate_json_members(text);
    ASSERT_EQ(members.size(), 3u);
    EXPECT_EQ(members[0].key, "a");
    EXPECT_EQ(members[0].line, 2);
    EXPECT_EQ(members[1].key, "b");
    EXPECT_EQ(members[1].line, 3);
    EXPECT_EQ(members[2].key, "dA");
    EXPECT_EQ(members[2].line, 6);
    const auto items = locate_json_members(text, members[1].value_offset);
    ASSERT_EQ(items.size(), 3u);
    EXPECT_EQ(items[0].line, 3);
    EXPECT_EQ(items[1].line, 4);
    EXPECT_EQ(items[2].line, 4);
}

TEST(JsonOperations, ValidScripts) {
    for (const std::string& script : {
             std::string("[]"),
             std::string(R"([{"operation": "put", "key": "a/b", "value": "enabled"}])"),
             std::string(R"([{"key": "a", "value": {"nested": [1, 2]}}])"),
             std::string(R"([{"operation": "delete", "key": "a"},
                             {"operation": "delete", "key": "dir/", "prefix": true}])"),
             std::string(R"([{"operation": "put", "key": "{{.Schema}}/x", "value": "1"}])"),
         }) {
        EXPECT_TRUE(check_json_operations(script, up_file).empty())
            << script << describe(check_json_operations(script, up_file));
    }
}

struct operations_case {
    const char* label;
    std::string script;
    int line;
    std::string contains;
};

void PrintTo(const operations_case& c, std::ostream* os) {
    *os << c.label;
}

class JsonOperationsError : public testing::TestWithParam<operations_case> {};

TEST_P(JsonOperationsError, NamesIndexAndLine) {
    const auto errors = check_json_operations(GetParam().script, up_file);
    ASSERT_EQ(errors.size(), 1u) << describe(errors);
    EXPECT_EQ(errors[0].file, up_file);
    EXPECT_EQ(errors[0].line, GetParam().line) << describe(errors);
    EXPECT_NE(errors[0].message.find(GetParam().contains), std::string::npos) << errors[0].message;
}

const std::string first_ok = "[\n  {\"key\": \"ok\", \"value\": \"1\"},\n";  // lines 1-2

INSTANTIATE_TEST_SUITE_P(
    JsonOperations, JsonOperationsError,
    testing::Values(
        operations_case{"syntax", first_ok + "  {\"key\": \"a\" \"value\": \"1\"}\n]", 3,
                        "JSON syntax error at line 3"},
        operations_case{"empty file", "", 1, "JSON syntax error"},
        operations_case{"not an array", "{\"key\": \"a\"}", 1, "array of operations"},
        operations_case{"element not an object", first_ok + "  \"put a\"\n]", 3,
                        "operations[1]: must be an object"},
        operations_case{"unknown operation",
                        first_ok + "  {\"operation\": \"upsert\", \"key\": \"a\"}\n]", 3,
                        "operations[1]: \"operation\" must be \"put\" or \"delete\""},
        operations_case{"operation not a string",
                        first_ok + "  {\"operation\": 1, \"key\": \"a\", \"value\": \"v\"}\n]", 3,
                        "found a number"},
        operations_case{"missing key", first_ok + "  {\"value\": \"1\"}\n]", 3,
                        "operations[1]: \"key\" is required"},
        operations_case{"empty key", first_ok + "  {\"key\": \"\", \"value\": \"1\"}\n]", 3,
                        "non-empty string"},
        operations_case{"key not a string", first_ok + "  {\"key\": [\"a\"], \"value\": \"1\"}\n]",
                        3, "found an array"},
        operations_case{"put without value",
                        first_ok + "  {\"operation\": \"put\", \"key\": \"a\"}\n]", 3,
                        "\"value\" is required for put"},
        operations_case{"value a number", first_ok + "  {\"key\": \"a\",\n   \"value\": 3}\n]", 4,
                        "\"value\" must be a string or an object, found a number"},
        operations_case{
            "delete with value",
            first_ok + "  {\"operation\": \"delete\", \"key\": \"a\", \"value\": \"x\"}\n]", 3,
            "delete operation takes no \"value\""},
        operations_case{"prefix on put",
                        first_ok + "  {\"key\": \"a\", \"value\": \"x\", \"prefix\": true}\n]", 3,
                        "\"prefix\" is only for delete"},
        operations_case{
            "prefix not boolean",
            first_ok + "  {\"operation\": \"delete\", \"key\": \"a\",\n  \"prefix\": \"yes\"}\n]",
            4, "\"prefix\" must be true or false"},
        operations_case{"unknown field",
                        first_ok + "  {\"key\": \"a\", \"value\": \"x\",\n   \"ttl\": 30}\n]", 4,
                        "operations[1]: unknown field \"ttl\""},
        operations_case{"field twice",
                        first_ok + "  {\"key\": \"a\", \"value\": \"x\",\n   \"key\": \"b\"}\n]", 4,
                        "appears twice"}),
    [](const auto& p) { return test_name(p.param.label); });

TEST(JsonMeta, ReadsEveryKey) {
    const auto p = parse_json_meta(
        "{\n"
        "  \"schema\": \"/metadata/operations\",\n"                         // 2
        "  \"table\": \"flags\",\n"                                         // 3
        "  \"depends\": [\"bootstrap\",\n    \"core:@20250101000000\"],\n"  // 4-5
        "  \"depends_schema\": [\"core\"],\n"                               // 6
        "  \"tags\": {\"Tier\": \"gold\", \"expr\": \"a=b\"},\n"            // 7
        "  \"transaction\": \"off\",\n"                                     // 8
        "  \"timeout\": \"30s\"\n"                                          // 9
        "}\n",
        meta_file, "etcd");
    ASSERT_TRUE(p.errors.empty()) << describe(p.errors);
    const migration_header& h = p.metadata;
    EXPECT_EQ(h.file, meta_file);
    EXPECT_TRUE(h.schema_declared);
    EXPECT_EQ(h.schema, "/metadata/operations");
    EXPECT_EQ(h.schema_line, 2);
    EXPECT_EQ(h.table, "flags");
    ASSERT_EQ(h.dependencies.size(), 2u);
    EXPECT_EQ(h.dependencies[0].target, "bootstrap");
    EXPECT_EQ(h.dependencies[0].line, 4);
    EXPECT_EQ(h.dependencies[0].source_file, meta_file);
    EXPECT_EQ(h.dependencies[1].connection, "core");
    EXPECT_EQ(h.dependencies[1].target, "20250101000000");
    EXPECT_EQ(h.dependencies[1].target_type, dependency::kind::version);
    EXPECT_EQ(h.dependencies[1].line, 5);
    EXPECT_EQ(h.depends_schemas, (std::vector<std::string>{"core"}));
    ASSERT_EQ(h.tags.size(), 2u);
    EXPECT_EQ(h.tags[0].value, (tag{"tier", "gold"}));
    EXPECT_EQ(h.tags[1].value, (tag{"expr", "a=b"}));
    EXPECT_EQ(h.transactional, std::optional<bool>(false));
    EXPECT_EQ(h.timeout, std::optional<std::chrono::milliseconds>(30s));
}

TEST(JsonMeta, TagsAsArrayTransactionAsBooleanAndEmptyObject) {
    const auto p =
        parse_json_meta(R"({"tags": ["a=1", "b=x=y"], "transaction": true})", meta_file, "etcd");
    ASSERT_TRUE(p.errors.empty()) << describe(p.errors);
    ASSERT_EQ(p.metadata.tags.size(), 2u);
    EXPECT_EQ(p.metadata.tags[1].value, (tag{"b", "x=y"}));
    EXPECT_EQ(p.metadata.transactional, std::optional<bool>(true));

    const auto empty = parse_json_meta("{}", meta_file, "etcd");
    EXPECT_TRUE(empty.errors.empty());
    EXPECT_FALSE(empty.metadata.schema_declared);
}

struct meta_case {
    const char* label;
    std::string text;
    int line;
    std::string contains;
};

void PrintTo(const meta_case& c, std::ostream* os) {
    *os << c.label;
}

class JsonMetaError : public testing::TestWithParam<meta_case> {};

TEST_P(JsonMetaError, NamesKeyAndLine) {
    const auto p = parse_json_meta(GetParam().text, meta_file, "etcd");
    ASSERT_EQ(p.errors.size(), 1u) << describe(p.errors);
    EXPECT_EQ(p.errors[0].file, meta_file);
    EXPECT_EQ(p.errors[0].line, GetParam().line) << describe(p.errors);
    EXPECT_NE(p.errors[0].message.find(GetParam().contains), std::string::npos)
        << p.errors[0].message;
}

INSTANTIATE_TEST_SUITE_P(
    JsonMeta, JsonMetaError,
    testing::Values(
        meta_case{"syntax", "{\n\"schema\": \"a\"\n\"table\": \"t\"}", 3, "JSON syntax error"},
        meta_case{"not an object", "[]", 1, "is an object"},
        meta_case{"unknown key", "{\n\"schema\": \"a\",\n\"owner\": \"me\"}", 3,
                  "unknown key \"owner\""},
        meta_case{"hyphenated key", "{\"depends-schema\": [\"a\"]}", 1, "unknown key"},
        meta_case{"key twice", "{\n\"table\": \"a\",\n\"table\": \"a\"}", 3, "appears twice"},
        meta_case{"schema not a string", "{\"schema\": 1}", 1, "schema must be a string"},
        meta_case{"schema invalid", "{\"schema\": \"a b\"}", 1, "schema name"},
        meta_case{"bad key prefix", "{\"schema\": \"/a//b\"}", 1, "key prefix"},
        meta_case{"table with blank", "{\"table\": \"a b\"}", 1, "one non-empty table name"},
        meta_case{"depends not an array", "{\"depends\": \"a\"}", 1, "array of strings"},
        meta_case{"depends element malformed", "{\"depends\": [\"a\",\n \"core:@x\"]}", 2,
                  "depends[1]: dependency \"core:@x\""},
        meta_case{"depends element a number", "{\"depends\": [\n 1]}", 2,
                  "depends[0]: must be a string"},
        meta_case{"depends_schema invalid", "{\"depends_schema\": [\"9x\"]}", 1,
                  "depends_schema[0]"},
        meta_case{"tags malformed", "{\"tags\": [\"a=1\",\n\"gold\"]}", 2, "must be key=value"},
        meta_case{"tags duplicate key", "{\"tags\": {\"a\": \"1\",\n \"A\": \"2\"}}", 2,
                  "one value per tag key"},
        meta_case{"tags object value not string", "{\"tags\": {\"a\": 1}}", 1,
                  "tags.a must be a string"},
        meta_case{"tags object key with equals", "{\"tags\": {\"a=b\": \"1\"}}", 1, "contains '='"},
        meta_case{"tags a string", "{\"tags\": \"a=1\"}", 1, "tags must be an array"},
        meta_case{"transaction word", "{\"transaction\": \"maybe\"}", 1, "on or off"},
        meta_case{"transaction number", "{\"transaction\": 0}", 1, "found a number"},
        meta_case{"timeout invalid", "{\"timeout\": \"soon\"}", 1, "not a duration"},
        meta_case{"timeout a number", "{\"timeout\": 30}", 1, "timeout must be a string"}),
    [](const auto& p) { return test_name(p.param.label); });

}  // namespace
}  // namespace bfm::core
