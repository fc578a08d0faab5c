// Tags in target filters (SPEC 2, upstream reference §4.6): parsing the request side and
// matching migrations.

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "core/registry.hpp"
#include "core/target_filter.hpp"

namespace bfm::core {
namespace {

std::string safe_name(std::string name) {
    for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return name;
}

// --- parse_tag_filter -----------------------------------------------------------------------

struct parse_case {
    const char* label;
    std::vector<std::string> raw;
    std::vector<tag> expected;
    std::string error;  // empty: success expected
};

void PrintTo(const parse_case& c, std::ostream* os) {
    *os << c.label;
}

class TagFilterParse : public testing::TestWithParam<parse_case> {};

TEST_P(TagFilterParse, GivesTagsOrTheError) {
    const parse_case& c = GetParam();
    const tag_parse_result got = parse_tag_filter(c.raw);
    EXPECT_EQ(got.error, c.error);
    EXPECT_EQ(got.tags, c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    TagFilter, TagFilterParse,
    testing::Values(
        parse_case{"no tags", {}, {}, ""},
        parse_case{"one tag", {"tier=gold"}, {{"tier", "gold"}}, ""},
        parse_case{"several in order",
                   {"tier=gold", "region=eu"},
                   {{"tier", "gold"}, {"region", "eu"}},
                   ""},
        parse_case{"key and value trimmed", {"  tier \t=  gold \r\n"}, {{"tier", "gold"}}, ""},
        parse_case{"key lower-cased, value kept", {"Tier=Gold"}, {{"tier", "Gold"}}, ""},
        parse_case{"upper-case key", {"REGION=EU-West"}, {{"region", "EU-West"}}, ""},
        parse_case{"value containing =", {"expr=a=b=c"}, {{"expr", "a=b=c"}}, ""},
        parse_case{"value starting with =", {"k==v"}, {{"k", "=v"}}, ""},
        parse_case{"empty value", {"k="}, {{"k", ""}}, ""},
        parse_case{"spaces inside the value kept", {"note= a  b "}, {{"note", "a  b"}}, ""},
        parse_case{"multi-byte value", {"ort=Zürich"}, {{"ort", "Zürich"}}, ""},
        parse_case{"duplicate key, last wins",
                   {"tier=gold", "region=eu", "tier=silver"},
                   {{"tier", "silver"}, {"region", "eu"}},
                   ""},
        parse_case{"duplicate key in another case, last wins",
                   {"Tier=gold", "TIER=bronze"},
                   {{"tier", "bronze"}},
                   ""},
        parse_case{"empty tag", {""}, {}, "tags[0]: empty tag"},
        parse_case{"blank tag", {"a=b", " \t "}, {}, "tags[1]: empty tag"},
        parse_case{"no =", {"a=b", "c=d", "gold"}, {}, "tags[2]: tag must be key=value"},
        parse_case{"= first", {"=gold"}, {}, "tags[0]: tag must be key=value"},
        parse_case{
            "= first after spaces", {"a=b", "  =gold"}, {}, "tags[1]: tag must be key=value"},
        parse_case{"only =", {"="}, {}, "tags[0]: tag must be key=value"},
        parse_case{"first error wins", {"x", ""}, {}, "tags[0]: tag must be key=value"}),
    [](const auto& p) { return safe_name(p.param.label); });

// --- target_filter::matches with tags ----------------------------------------------------------

migration tagged(std::vector<tag> tags) {
    migration m;
    m.id = "20250101000000_x_postgresql_core";
    m.backend = "postgresql";
    m.connection = "core";
    m.version = "20250101000000";
    m.version_number = 20250101000000ULL;
    m.name = "x";
    m.tags = std::move(tags);
    return m;
}

struct match_case {
    const char* label;
    std::vector<tag> filter;
    std::vector<tag> migration_tags;
    bool matches;
};

void PrintTo(const match_case& c, std::ostream* os) {
    *os << c.label;
}

class TagFilterMatch : public testing::TestWithParam<match_case> {};

TEST_P(TagFilterMatch, RequiresEveryTag) {
    const match_case& c = GetParam();
    target_filter f;
    f.tags = c.filter;
    EXPECT_EQ(f.matches(tagged(c.migration_tags)), c.matches);
}

INSTANTIATE_TEST_SUITE_P(
    TagFilter, TagFilterMatch,
    testing::Values(
        match_case{"no filter, untagged", {}, {}, true},
        match_case{"no filter, tagged", {}, {{"tier", "gold"}}, true},
        match_case{"filter never matches untagged", {{"tier", "gold"}}, {}, false},
        match_case{"exact pair", {{"tier", "gold"}}, {{"tier", "gold"}}, true},
        match_case{
            "one of several", {{"region", "eu"}}, {{"tier", "gold"}, {"region", "eu"}}, true},
        match_case{"all required (AND)",
                   {{"tier", "gold"}, {"region", "eu"}},
                   {{"region", "eu"}, {"tier", "gold"}, {"team", "a"}},
                   true},
        match_case{"one missing", {{"tier", "gold"}, {"region", "eu"}}, {{"tier", "gold"}}, false},
        match_case{"other value", {{"tier", "gold"}}, {{"tier", "silver"}}, false},
        match_case{"value is case-sensitive", {{"tier", "gold"}}, {{"tier", "Gold"}}, false},
        match_case{"value is not a prefix", {{"tier", "gold"}}, {{"tier", "golden"}}, false},
        match_case{"key is case-insensitive", {{"TIER", "gold"}}, {{"Tier", "gold"}}, true},
        match_case{"value containing =", {{"expr", "a=b"}}, {{"expr", "a=b"}}, true},
        match_case{"value containing = differs", {{"expr", "a=b"}}, {{"expr", "a"}}, false},
        match_case{"empty value must be empty", {{"k", ""}}, {{"k", "v"}}, false},
        match_case{"empty value present", {{"k", ""}}, {{"k", ""}}, true},
        match_case{"a key twice on the migration: the last counts",
                   {{"tier", "silver"}},
                   {{"tier", "gold"}, {"tier", "silver"}},
                   true},
        match_case{"a key twice on the migration: the first does not",
                   {{"tier", "gold"}},
                   {{"tier", "gold"}, {"tier", "silver"}},
                   false}),
    [](const auto& p) { return safe_name(p.param.label); });

TEST(TagFilter, IsAndedWithTheOtherFields) {
    target_filter f;
    f.connection = "core";
    f.tags = {{"tier", "gold"}};
    migration m = tagged({{"tier", "gold"}});
    EXPECT_TRUE(f.matches(m));
    m.connection = "guard";
    EXPECT_FALSE(f.matches(m));
}

TEST(TagFilter, SelectsThroughTheRegistry) {
    migration a = tagged({{"example", "demo"}, {"tier", "optional"}});
    migration b = tagged({{"example", "demo"}});
    b.id = "20250102000000_y_postgresql_core";
    b.version = "20250102000000";
    b.version_number = 20250102000000ULL;
    b.name = "y";
    migration c = tagged({});
    c.id = "20250103000000_z_postgresql_core";
    c.version = "20250103000000";
    c.version_number = 20250103000000ULL;
    c.name = "z";
    const registry r({a, b, c});

    const tag_parse_result parsed = parse_tag_filter({"Example=demo", " tier = optional "});
    ASSERT_EQ(parsed.error, "");
    target_filter f;
    f.tags = parsed.tags;
    const std::vector<const migration*> got = r.select(f);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0]->id, "20250101000000_x_postgresql_core");

    f.tags = parse_tag_filter({"example=demo"}).tags;
    EXPECT_EQ(r.select(f).size(), 2u);
}

}  // namespace
}  // namespace bfm::core
