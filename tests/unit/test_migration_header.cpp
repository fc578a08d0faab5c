// -- bfm: header lines (SPEC 1.2): every key, valid and malformed, with exact line numbers.

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>

#include "core/migration_header.hpp"
#include "core/tag_list.hpp"

namespace bfm::core {
namespace {

using namespace std::chrono_literals;

const std::string file = "postgresql/core/1_a.up.sql";

std::string describe(const header_parse& p) {
    std::string out;
    for (const load_error& e : p.errors) out += "\n  " + e.to_string();
    return out;
}

dependency dep(std::string connection, std::string target, dependency::kind kind, int line) {
    dependency d;
    d.connection = std::move(connection);
    d.target = std::move(target);
    d.target_type = kind;
    d.line = line;
    d.source_file = file;
    return d;
}

void expect_same(const std::vector<dependency>& got, const std::vector<dependency>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].connection, want[i].connection) << i;
        EXPECT_EQ(got[i].target, want[i].target) << i;
        EXPECT_EQ(got[i].target_type, want[i].target_type) << i;
        EXPECT_EQ(got[i].schema, "") << i;
        EXPECT_EQ(got[i].line, want[i].line) << i;
        EXPECT_EQ(got[i].source_file, want[i].source_file) << i;
    }
}

TEST(HeaderKeys, DependsAcceptsEveryFormCommaOrSpaceSeparatedAndRepeated) {
    const auto p = parse_migration_header(
        "-- bfm:depends a, core:b, @20250101000000, core:@2\n"
        "-- note\n"
        "-- bfm:depends   c d,e\n"
        "-- bfm:depends a\n"
        "SELECT 1;\n",
        file);
    ASSERT_TRUE(p.errors.empty()) << describe(p);
    expect_same(
        p.header.dependencies,
        {dep("", "a", dependency::kind::name, 1), dep("core", "b", dependency::kind::name, 1),
         dep("", "20250101000000", dependency::kind::version, 1),
         dep("core", "2", dependency::kind::version, 1), dep("", "c", dependency::kind::name, 3),
         dep("", "d", dependency::kind::name, 3), dep("", "e", dependency::kind::name, 3)});
}

TEST(HeaderKeys, DependsSchemaIsValidatedAndMerged) {
    const auto p = parse_migration_header(
        "-- bfm:depends-schema core\n-- bfm:depends-schema audit, core  billing\n", file);
    ASSERT_TRUE(p.errors.empty()) << describe(p);
    EXPECT_EQ(p.header.depends_schemas, (std::vector<std::string>{"core", "audit", "billing"}));
}

TEST(HeaderKeys, TagsFromBothFormsWithLines) {
    const auto p = parse_migration_header(
        "-- bfm:tags tier=gold, Region = eu-west \n"
        "\n"
        "-- BFM-TAGS: expr=a=b,tier=gold\n"
        "-- bfm:tags empty=\n",
        file);
    ASSERT_TRUE(p.errors.empty()) << describe(p);
    ASSERT_EQ(p.header.tags.size(), 4u);
    EXPECT_EQ(p.header.tags[0].value, (tag{"tier", "gold"}));
    EXPECT_EQ(p.header.tags[0].line, 1);
    EXPECT_EQ(p.header.tags[1].value, (tag{"region", "eu-west"}));
    EXPECT_EQ(p.header.tags[2].value, (tag{"expr", "a=b"}));
    EXPECT_EQ(p.header.tags[2].line, 3);
    EXPECT_EQ(p.header.tags[3].value, (tag{"empty", ""}));
}

TEST(HeaderKeys, TransactionAndTimeout) {
    const auto p = parse_migration_header(
        "-- bfm:transaction OFF\n-- bfm:timeout 1h30m\n-- bfm:transaction off\n", file);
    ASSERT_TRUE(p.errors.empty()) << describe(p);
    EXPECT_EQ(p.header.transactional, std::optional<bool>(false));
    EXPECT_EQ(p.header.transaction_line, 1);
    EXPECT_EQ(p.header.timeout, std::optional<std::chrono::milliseconds>(90min));
    EXPECT_EQ(p.header.timeout_line, 2);

    const auto on = parse_migration_header("-- bfm:transaction on\n", file);
    ASSERT_TRUE(on.errors.empty()) << describe(on);
    EXPECT_EQ(on.header.transactional, std::optional<bool>(true));

    const auto none = parse_migration_header("SELECT 1;\n", file);
    EXPECT_FALSE(none.header.transactional.has_value());
    EXPECT_FALSE(none.header.timeout.has_value());
    EXPECT_FALSE(none.header.schema_declared);
}

TEST(HeaderKeys, SchemaAndTableKeysAreCaseInsensitive) {
    const auto p = parse_migration_header("-- BFM:Schema core\n-- bfm:TABLE users\n", file);
    ASSERT_TRUE(p.errors.empty()) << describe(p);
    EXPECT_EQ(p.header.schema, "core");
    EXPECT_TRUE(p.header.schema_declared);
    EXPECT_EQ(p.header.table, "users");
    EXPECT_EQ(p.header.file, file);
}

TEST(HeaderKeys, PlainCommentsMentioningBfmAreNotHeaders) {
    const auto p = parse_migration_header(
        "-- bfm-managed table, see docs\n-- the bfm:schema line is below\n-- bfm-tags\n", file);
    // "-- bfm-tags" without a colon is an error; the other two are ordinary comments.
    ASSERT_EQ(p.errors.size(), 1u) << describe(p);
    EXPECT_EQ(p.errors[0].line, 3);
}

struct header_error_case {
    const char* label;
    std::string script;
    int line;
    std::string contains;
};

void PrintTo(const header_error_case& c, std::ostream* os) {
    *os << c.label;
}

class HeaderError : public testing::TestWithParam<header_error_case> {};

TEST_P(HeaderError, NamesTheLine) {
    const auto p = parse_migration_header(GetParam().script, file);
    ASSERT_EQ(p.errors.size(), 1u) << GetParam().label << describe(p);
    EXPECT_EQ(p.errors[0].file, file);
    EXPECT_EQ(p.errors[0].line, GetParam().line) << describe(p);
    EXPECT_NE(p.errors[0].message.find(GetParam().contains), std::string::npos)
        << p.errors[0].message;
}

const std::string pre = "-- migration notes\n\n";  // pushes the bad line to line 3

INSTANTIATE_TEST_SUITE_P(
    HeaderMalformed, HeaderError,
    testing::Values(
        header_error_case{"depends empty", pre + "-- bfm:depends\n", 3, "at least one"},
        header_error_case{"depends empty entry", pre + "-- bfm:depends a,,b\n", 3, "empty entry"},
        header_error_case{"depends trailing comma", pre + "-- bfm:depends a,\n", 3, "empty entry"},
        header_error_case{"depends empty connection", pre + "-- bfm:depends :a\n", 3,
                          "empty connection"},
        header_error_case{"depends empty name", pre + "-- bfm:depends core:\n", 3, "empty name"},
        header_error_case{"depends version not digits", pre + "-- bfm:depends @2025x\n", 3,
                          "must be digits"},
        header_error_case{"depends empty version", pre + "-- bfm:depends core:@\n", 3,
                          "must be digits"},
        header_error_case{"depends two colons", pre + "-- bfm:depends a:b:c\n", 3, "not allowed"},
        header_error_case{"depends bad connection", pre + "-- bfm:depends co/re:b\n", 3,
                          "connection \"co/re\""},
        header_error_case{"depends version too long",
                          pre + "-- bfm:depends @12345678901234567890\n", 3, "19 digits"},
        header_error_case{"depends-schema empty", pre + "-- bfm:depends-schema\n", 3,
                          "needs a schema name"},
        header_error_case{"depends-schema invalid", pre + "-- bfm:depends-schema 1core\n", 3,
                          "schema name \"1core\""},
        header_error_case{"depends-schema empty entry", pre + "-- bfm:depends-schema a,\n", 3,
                          "empty entry"},
        header_error_case{"tags empty", pre + "-- bfm:tags\n", 3, "needs key=value"},
        header_error_case{"tags without equals", pre + "-- bfm:tags gold\n", 3,
                          "must be key=value"},
        header_error_case{"tags empty key", pre + "-- bfm:tags =gold\n", 3, "empty key"},
        header_error_case{"tags empty entry", pre + "-- bfm:tags a=1,,b=2\n", 3, "empty tag"},
        header_error_case{"tags blank in key", pre + "-- bfm:tags my tier=gold\n", 3,
                          "contains blanks"},
        header_error_case{"upstream tags malformed", pre + "-- bfm-tags: tier\n", 3,
                          "must be key=value"},
        header_error_case{"upstream tags without colon", pre + "-- bfm-tags tier=gold\n", 3,
                          "-- bfm-tags:"},
        header_error_case{"duplicate tag key, other value",
                          pre + "-- bfm:tags tier=gold\n-- bfm-tags: TIER=silver\n", 4,
                          "at line 3"},
        header_error_case{"duplicate tag key in one line", pre + "-- bfm:tags a=1, a=2\n", 3,
                          "one value per tag key"},
        header_error_case{"transaction other word", pre + "-- bfm:transaction false\n", 3,
                          "on or off"},
        header_error_case{"transaction empty", pre + "-- bfm:transaction\n", 3, "on or off"},
        header_error_case{"transaction contradiction",
                          pre + "-- bfm:transaction off\n-- bfm:transaction on\n", 4,
                          "contradicts line 3"},
        header_error_case{"timeout invalid", pre + "-- bfm:timeout 10 minutes\n", 3,
                          "not a duration"},
        header_error_case{"timeout negative", pre + "-- bfm:timeout -5s\n", 3, "not a duration"},
        header_error_case{"timeout empty", pre + "-- bfm:timeout\n", 3, "not a duration"},
        header_error_case{"timeout zero", pre + "-- bfm:timeout 0s\n", 3, "positive"},
        header_error_case{"timeout contradiction", pre + "-- bfm:timeout 1m\n-- bfm:timeout 2m\n",
                          4, "contradicts line 3"},
        header_error_case{"unknown key", pre + "-- bfm:owner team-a\n", 3,
                          "unknown header key \"owner\""},
        header_error_case{"unknown upstream-style key", pre + "-- bfm-schema: core\n", 3,
                          "unknown header"},
        header_error_case{"crlf keeps line numbers", "-- a\r\n\r\n-- bfm:timeout x\r\n", 3,
                          "not a duration"}),
    [](const auto& p) {
        std::string name = p.param.label;
        for (char& c : name) {
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        }
        return name;
    });

TEST(HeaderTags, ParsesAtTheFirstEqualsLowersKeysTrims) {
    const auto t = parse_migration_tag("  Tier = gold=plus ");
    ASSERT_TRUE(t.ok()) << t.error;
    EXPECT_EQ(t.value, (tag{"tier", "gold=plus"}));
    EXPECT_EQ(parse_migration_tag("a==").value, (tag{"a", "="}));
    EXPECT_EQ(parse_migration_tag("MiXeD=VaLuE").value, (tag{"mixed", "VaLuE"}));
}

TEST(HeaderTags, MalformedTagsAreErrors) {
    EXPECT_NE(parse_migration_tag("").error.find("empty tag"), std::string::npos);
    EXPECT_NE(parse_migration_tag("   ").error.find("empty tag"), std::string::npos);
    EXPECT_NE(parse_migration_tag("novalue").error.find("key=value"), std::string::npos);
    EXPECT_NE(parse_migration_tag(" =x").error.find("empty key"), std::string::npos);
    EXPECT_NE(parse_migration_tag("a b=x").error.find("blanks"), std::string::npos);
}

TEST(HeaderTags, TagSetKeepsOneValuePerKey) {
    tag_set set;
    EXPECT_FALSE(set.add({"tier", "gold"}, {"a.go", 3}));
    EXPECT_FALSE(set.add({"region", "eu"}, {"a.go", 4}));
    EXPECT_FALSE(set.add({"tier", "gold"}, {"a.up.sql", 1}));  // same value: fine
    const auto conflict = set.add({"tier", "silver"}, {"a.up.sql", 2});
    ASSERT_TRUE(conflict.has_value());
    EXPECT_NE(conflict->find("a.go:3"), std::string::npos) << *conflict;
    EXPECT_EQ(set.tags(), (std::vector<tag>{{"tier", "gold"}, {"region", "eu"}}));
}

}  // namespace
}  // namespace bfm::core
