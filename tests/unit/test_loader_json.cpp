// JSON migrations in the tree (etcd): scripts checked, .meta.json sidecars applied.

#include <gtest/gtest.h>

#include <cctype>

#include "core/loader.hpp"
#include "loader_test_support.hpp"

namespace bfm::core {
namespace {

const std::string base = "etcd/config/20250115000000_seed_flags";
const std::string put_flags =
    R"([{"operation": "put", "key": "solution/feature_flags/audit", "value": "enabled"}])";

TEST(LoaderJson, ScriptsAndSidecar) {
    const auto r = load_migrations({
        {base + ".up.json", put_flags},
        {base + ".down.json", R"([{"operation": "delete", "key": "solution/", "prefix": true}])"},
        {base + ".meta.json",
         R"({"schema": "/config/flags", "depends": ["core:bootstrap"], "tags": ["tier=gold"],
             "timeout": "10s", "transaction": "off", "depends_schema": ["core"],
             "table": "flags"})"},
    });
    ASSERT_TRUE(r.ok()) << describe(r);
    ASSERT_EQ(r.migrations.size(), 1u);
    const migration& m = r.migrations[0];
    EXPECT_EQ(m.id, "20250115000000_seed_flags_etcd_config");
    EXPECT_EQ(m.convention, naming_convention::paired);
    EXPECT_EQ(m.schema, "/config/flags");
    EXPECT_EQ(m.table, "flags");
    ASSERT_EQ(m.dependencies.size(), 1u);
    EXPECT_EQ(m.dependencies[0].connection, "core");
    EXPECT_EQ(m.dependencies[0].source_file, base + ".meta.json");
    EXPECT_EQ(m.dependencies[0].line, 1);
    EXPECT_EQ(m.tags, (std::vector<tag>{{"tier", "gold"}}));
    EXPECT_EQ(m.timeout, std::chrono::milliseconds(10000));
    EXPECT_FALSE(m.transactional);
    EXPECT_EQ(m.depends_schemas, (std::vector<std::string>{"core"}));
    EXPECT_EQ(m.up_sql, put_flags);
}

TEST(LoaderJson, WithoutSidecarTheMigrationIsDynamic) {
    const auto r = load_migrations({{base + ".up.json", put_flags}});
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_TRUE(r.migrations[0].is_dynamic());
    EXPECT_FALSE(r.migrations[0].down_sql.has_value());
}

using json_case = load_error_case;

class LoaderJsonError : public testing::TestWithParam<json_case> {};

TEST_P(LoaderJsonError, ReportsFileAndLine) {
    expect_single_load_error(GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    LoaderJson, LoaderJsonError,
    testing::Values(
        json_case{"up script not json",
                  {{base + ".up.json", "[\n{\"key\": 'a'}\n]"}},
                  base + ".up.json",
                  2,
                  "JSON syntax error at line 2, column 9"},
        json_case{"down script checked too",
                  {{base + ".up.json", put_flags},
                   {base + ".down.json", "[\n  {\"operation\": \"remove\", \"key\": \"a\"}\n]"}},
                  base + ".down.json",
                  2,
                  "operations[0]: \"operation\" must be"},
        json_case{"sidecar without up file",
                  {{base + ".meta.json", "{}"}},
                  base + ".meta.json",
                  0,
                  ".meta.json sidecar without an up script (expected "
                  "20250115000000_seed_flags.up.json"},
        json_case{"sidecar unknown key",
                  {{base + ".up.json", put_flags}, {base + ".meta.json", "{\n\"owner\": \"me\"}"}},
                  base + ".meta.json",
                  2,
                  "unknown key \"owner\""},
        json_case{"sidecar with a bad name",
                  {{"etcd/config/flags.meta.json", "{}"}},
                  "etcd/config/flags.meta.json",
                  0,
                  "does not match a naming convention"},
        json_case{"sidecar schema conflicts with stub",
                  {{base + ".up.json", put_flags},
                   {base + ".meta.json", "{\"schema\": \"core\"}"},
                   {base + ".go",
                    "package config\nvar _ = migrations.MigrationScript{\n"
                    "Schema: \"\",\n}\n"}},
                  base + ".meta.json",
                  1,
                  "schema \"core\" disagrees with \"\" (dynamic) declared at " + base + ".go:3"},
        json_case{"json under a sql backend",
                  {{"postgresql/core/1_a.up.json", "[]"}},
                  "postgresql/core/1_a.up.json",
                  0,
                  "JSON migrations and .meta.json sidecars are for etcd"},
        json_case{
            "sidecar under a sql backend",
            {{"postgresql/core/1_a.up.sql", "SELECT 1;"}, {"postgresql/core/1_a.meta.json", "{}"}},
            "postgresql/core/1_a.meta.json",
            0,
            "for etcd"},
        json_case{"template error in a json script",
                  {{base + ".up.json", "[\n{\"key\": \"{{.Tenant}}/a\", \"value\": \"1\"}\n]"}},
                  base + ".up.json",
                  2,
                  "Tenant"}),
    [](const auto& p) {
        std::string name = p.param.label;
        for (char& c : name) {
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        }
        return name;
    });

}  // namespace
}  // namespace bfm::core
