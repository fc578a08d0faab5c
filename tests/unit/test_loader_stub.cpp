// Convention D: upstream `.go` stubs beside `.up.sql`/`.up.json` files, merged with headers.

#include <gtest/gtest.h>

#include <cctype>

#include "core/loader.hpp"
#include "loader_test_support.hpp"

namespace bfm::core {
namespace {

const std::string dir = "postgresql/core/";
const std::string stem = "20250115000000_bootstrap_solution";

// An upstream-generated stub: gofmt-aligned fields, `Schema: ""` commented "Dynamic".
std::string stub(const std::string& schema_line, const std::string& extra = "") {
    return "//go:build ignore\n"                                                         // 1
           "\n"                                                                          // 2
           "package core\n"                                                              // 3
           "\n"                                                                          // 4
           "import \"github.com/toolsascode/bfm/api/migrations\"\n"                      // 5
           "\n"                                                                          // 6
           "func init() {\n"                                                             // 7
           "\tmigrations.GlobalRegistry.Register(&migrations.MigrationScript{\n"        // 8
           "\t\t" + schema_line + "\n"                                                   // 9
           "\t\tVersion:                \"20250115000000\",\n"                          // 10
           "\t\tName:                   \"bootstrap_solution\",\n"                      // 11
           "\t\tUpSQL:                  upSQL,\n"                                       // 12
           "\t\tDownSQL:                downSQL,\n"                                     // 13
           + extra +                                                                     // 14...
           "\t})\n"
           "}\n";
}

const std::string dynamic_schema = "Schema:                 \"\", // Dynamic";

TEST(LoaderStub, GofmtAlignedDynamicStubWithStructuredSchemaStaysDynamic) {
    const auto r = load_migrations({
        {dir + stem + ".go",
         stub(dynamic_schema,
              "\t\tDependencies:           []string{\"create_orgs\"},\n"                    // 14
              "\t\tStructuredDependencies: []migrations.Dependency{\n"                      // 15
              "\t\t\t{Connection: \"core\", Schema: \"core\", Target: \"create_orgs\"},\n"  // 16
              "\t\t},\n"
              "\t\tTags: []string{\"example=demo\", \"tier=optional\"},\n")},  // 18
        {dir + stem + ".up.sql", "-- bfm-tags: example=demo, tier=optional\nCREATE TABLE x ();\n"},
        {dir + stem + ".down.sql", "DROP TABLE x;\n"},
    });
    ASSERT_TRUE(r.ok()) << describe(r);
    ASSERT_EQ(r.migrations.size(), 1u);
    const migration& m = r.migrations[0];
    EXPECT_EQ(m.id, stem + "_postgresql_core");
    EXPECT_EQ(m.convention, naming_convention::upstream_stub);
    EXPECT_TRUE(m.is_dynamic());
    ASSERT_EQ(m.dependencies.size(), 2u);
    EXPECT_EQ(m.dependencies[0].target, "create_orgs");
    EXPECT_EQ(m.dependencies[0].connection, "");
    EXPECT_EQ(m.dependencies[0].line, 14);
    EXPECT_EQ(m.dependencies[0].source_file, dir + stem + ".go");
    EXPECT_EQ(m.dependencies[1].schema, "core");
    EXPECT_EQ(m.dependencies[1].line, 16);
    EXPECT_EQ(m.tags, (std::vector<tag>{{"example", "demo"}, {"tier", "optional"}}));
    EXPECT_EQ(m.down_sql, std::optional<std::string>("DROP TABLE x;\n"));
}

TEST(LoaderStub, StubAndHeaderAreMerged) {
    const auto r = load_migrations({
        {dir + stem + ".go", stub("Schema: \"core\",",
                                  "\t\tDependencies: []string{\"a\"},\n"
                                  "\t\tTags: []string{\"tier=gold\"},\n")},
        {dir + stem + ".up.sql",
         "-- bfm:schema core\n-- bfm:table users\n-- bfm:depends a, logs:b\n"
         "-- bfm:tags region=eu, tier=gold\n-- bfm:transaction off\n-- bfm:timeout 2m\n"
         "-- bfm:depends-schema audit\nSELECT 1;\n"},
    });
    ASSERT_TRUE(r.ok()) << describe(r);
    const migration& m = r.migrations[0];
    EXPECT_EQ(m.schema, "core");
    EXPECT_EQ(m.table, "users");
    ASSERT_EQ(m.dependencies.size(), 2u);  // "a" from both sources counts once
    EXPECT_EQ(m.dependencies[0].source_file, dir + stem + ".go");
    EXPECT_EQ(m.dependencies[1].connection, "logs");
    EXPECT_EQ(m.dependencies[1].source_file, dir + stem + ".up.sql");
    EXPECT_EQ(m.dependencies[1].line, 3);
    EXPECT_EQ(m.tags, (std::vector<tag>{{"tier", "gold"}, {"region", "eu"}}));
    EXPECT_FALSE(m.transactional);
    EXPECT_EQ(m.timeout, std::chrono::milliseconds(120000));
    EXPECT_EQ(m.depends_schemas, (std::vector<std::string>{"audit"}));
}

TEST(LoaderStub, TestFilesAndHelpersAreNotStubs) {
    const auto r = load_migrations({
        {dir + stem + ".up.sql", "SELECT 1;\n"},
        {dir + stem + "_test.go", "package core\n"},
        {dir + "helpers.go", "package core\n"},
        {dir + "1abc.go", "package core\n"},
    });
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.migrations[0].convention, naming_convention::paired);
}

TEST(LoaderStub, EtcdStubWithAbsolutePrefixAndJsonScripts) {
    const std::string etcd = "etcd/metadata/20250115000000_seed_feature_flags";
    const auto r = load_migrations({
        {etcd + ".go",
         "package metadata\n"
         "var _ = migrations.MigrationScript{\n"
         "\tSchema:       \"/metadata/operations\", // Dynamic (the comment is wrong)\n"
         "\tDependencies: []string{\"bootstrap_solution\"},\n"
         "\tStructuredDependencies: []migrations.Dependency{\n"
         "\t\t{Connection: \"core\", Schema: \"core\", Target: \"bootstrap_solution\", "
         "TargetType: \"name\"},\n"
         "\t},\n"
         "}\n"},
        {etcd + ".up.json",
         R"([{"operation": "put", "key": "solution/feature_flags/zero_downtime",
              "value": "enabled"}])"},
        {etcd + ".down.json",
         R"([{"operation": "delete", "key": "solution/feature_flags/zero_downtime"}])"},
    });
    ASSERT_TRUE(r.ok()) << describe(r);
    const migration& m = r.migrations[0];
    EXPECT_EQ(m.id, "20250115000000_seed_feature_flags_etcd_metadata");
    EXPECT_EQ(m.schema, "/metadata/operations");
    EXPECT_EQ(m.convention, naming_convention::upstream_stub);
    EXPECT_EQ(m.dependencies.size(), 2u);
}

using stub_case = load_error_case;

class LoaderStubError : public testing::TestWithParam<stub_case> {};

TEST_P(LoaderStubError, ReportsFileAndLine) {
    expect_single_load_error(GetParam());
}

const std::string go = dir + stem + ".go";
const std::string up = dir + stem + ".up.sql";

INSTANTIATE_TEST_SUITE_P(
    LoaderStub, LoaderStubError,
    testing::Values(
        stub_case{"stub without up file",
                  {{go, stub(dynamic_schema)}},
                  go,
                  0,
                  "upstream .go stub without an up script (expected " + stem + ".up.sql"},
        stub_case{"stub beside a single-file migration",
                  {{go, stub(dynamic_schema)}, {dir + stem + ".sql", "-- +migrate Up\nA;\n"}},
                  go,
                  0,
                  "without an up script"},
        stub_case{"stub without a MigrationScript literal",
                  {{go, "package core\n\nfunc init() {}\n"}, {up, "SELECT 1;"}},
                  go,
                  0,
                  "no MigrationScript composite literal"},
        stub_case{"schema from a constant",
                  {{go, stub("Schema: coreSchema,")}, {up, "SELECT 1;"}},
                  go,
                  9,
                  "Schema must be a string literal"},
        stub_case{"dynamic stub, fixed header",
                  {{go, stub(dynamic_schema)}, {up, "-- bfm:schema core\nSELECT 1;"}},
                  up,
                  1,
                  "schema \"core\" disagrees with \"\" (dynamic) declared at " + go + ":9"},
        stub_case{"fixed stub, other header",
                  {{go, stub("Schema: \"core\",")}, {up, "\n-- bfm:schema audit\nSELECT 1;"}},
                  up,
                  2,
                  "schema \"audit\" disagrees with \"core\""},
        stub_case{"tag conflict between stub and header",
                  {{go, stub(dynamic_schema, "\t\tTags: []string{\"tier=gold\"},\n")},
                   {up, "-- bfm-tags: tier=silver\nSELECT 1;"}},
                  up,
                  1,
                  "tag \"tier\" is \"silver\" here but \"gold\" at " + go + ":14"},
        stub_case{"stub for a version over 19 digits",
                  {{dir + "12345678901234567890_x.go", "package core"}},
                  dir + "12345678901234567890_x.go",
                  0,
                  "more than 19 digits"},
        stub_case{"two stubs for one migration? same file twice",
                  {{go, stub(dynamic_schema)}, {go, stub(dynamic_schema)}, {up, "SELECT 1;"}},
                  go,
                  0,
                  "same migration script"}),
    [](const auto& p) {
        std::string name = p.param.label;
        for (char& c : name) {
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        }
        return name;
    });

}  // namespace
}  // namespace bfm::core
