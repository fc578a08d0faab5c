#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/checksum.hpp"
#include "core/loader.hpp"
#include "loader_test_support.hpp"

namespace bfm::core {
namespace {

namespace fs = std::filesystem;

// `r` must outlive the returned reference.
const migration& only(const load_result& r) {
    EXPECT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.migrations.size(), 1u) << describe(r);
    static const migration none;
    return r.migrations.empty() ? none : r.migrations.front();
}

TEST(LoadError, ToStringWithAndWithoutLine) {
    EXPECT_EQ((load_error{"postgresql/core/1_a.up.sql", 3, "bad"}.to_string()),
              "postgresql/core/1_a.up.sql:3: bad");
    EXPECT_EQ((load_error{"postgresql/core/1_a.up.sql", 0, "bad"}.to_string()),
              "postgresql/core/1_a.up.sql: bad");
}

TEST(Loader, ConventionAWithHeadersAndDown) {
    const std::string up = "-- bfm:schema core\nCREATE TABLE t (id int);\n";
    const auto r = load_migrations({
        {"postgresql/core/20250101120000_create_t.up.sql", up},
        {"postgresql/core/20250101120000_create_t.down.sql", "DROP TABLE t;\n"},
    });
    const migration& m = only(r);
    EXPECT_EQ(m.id, "20250101120000_create_t_postgresql_core");
    EXPECT_EQ(m.backend, "postgresql");
    EXPECT_EQ(m.connection, "core");
    EXPECT_EQ(m.version, "20250101120000");
    EXPECT_EQ(m.version_number, 20250101120000ULL);
    EXPECT_EQ(m.name, "create_t");
    EXPECT_EQ(m.schema, "core");
    EXPECT_EQ(m.table, "");
    EXPECT_FALSE(m.is_dynamic());
    EXPECT_EQ(m.convention, naming_convention::paired);
    EXPECT_EQ(m.up_sql, up);
    EXPECT_EQ(m.up_path, "postgresql/core/20250101120000_create_t.up.sql");
    EXPECT_EQ(m.down_sql, std::optional<std::string>("DROP TABLE t;\n"));
    EXPECT_EQ(m.down_path,
              std::optional<std::string>("postgresql/core/20250101120000_create_t.down.sql"));
    // printf -- '-- bfm:schema core\nCREATE TABLE t (id int);\n' | sha256sum
    EXPECT_EQ(m.checksum, "v1:e341d882b172d87cb03ab74329b045eabb0ccbd198524a4d6c9d77e508315734");
}

TEST(Loader, PostgresFolderIsPostgresqlAndDownIsOptional) {
    const auto r = load_migrations({
        {"postgres/guard/7_add_index.up.sql", "-- bfm:table users\nCREATE INDEX i ON users (id);"},
    });
    const migration& m = only(r);
    EXPECT_EQ(m.id, "7_add_index_postgresql_guard");
    EXPECT_EQ(m.backend, "postgresql");
    EXPECT_EQ(m.table, "users");
    EXPECT_TRUE(m.is_dynamic());
    EXPECT_FALSE(m.down_sql.has_value());
    EXPECT_FALSE(m.down_path.has_value());
}

TEST(Loader, ConventionBTakesSchemaAndTableFromTheName) {
    const auto r = load_migrations({
        {"postgresql/core/core_user_roles_20250101120000_add_role_index.sql",
         "-- bfm:schema core\n-- bfm:table user_roles\nCREATE INDEX x ON user_roles (role);\n"},
        {"postgresql/core/core_user_roles_20250101120000_add_role_index_down.sql", "DROP INDEX x;"},
    });
    const migration& m = only(r);
    EXPECT_EQ(m.id, "core_user_roles_20250101120000_add_role_index");
    EXPECT_EQ(m.schema, "core");
    EXPECT_EQ(m.table, "user_roles");
    EXPECT_EQ(m.version, "20250101120000");
    EXPECT_EQ(m.name, "add_role_index");
    EXPECT_EQ(m.convention, naming_convention::seed);
    EXPECT_EQ(m.down_path,
              std::optional<std::string>(
                  "postgresql/core/core_user_roles_20250101120000_add_role_index_down.sql"));
}

TEST(Loader, SubfoldersEtcdJsonAndIgnoredFiles) {
    const auto r = load_migrations({
        {"postgresql/core/2025/01/3_c.up.sql", "SELECT 3;"},
        {"etcd/config/1_init.up.json", "[]"},
        {"etcd/config/1_init.down.json", "[]"},
        {"etcd/config/1_init.meta.json", "{}"},
        {"README.md", "# docs"},
        {"postgresql/README", "notes"},
        {"postgresql/core/README.txt", "notes"},
        {"postgresql/core/notes.md", "notes"},
        {"postgresql/core/.9_hidden.up.sql", "SELECT 9;"},
        {".git/postgresql/core/8_x.up.sql", "SELECT 8;"},
        {"postgresql/core/helpers.go", "package migrations"},
        {"postgresql/core/3_c_test.go", "package migrations"},
        {"postgresql/core/schema.txt", "not a migration"},
        {"LICENSE", "text"},
        {"tools/lint/check.sh", "#!/bin/sh"},
        {"postgresql/core/readme_users_20250101120000_x.sql", "SELECT 1;"},
    });
    ASSERT_TRUE(r.ok()) << describe(r);
    ASSERT_EQ(r.migrations.size(), 3u);
    EXPECT_EQ(r.migrations[0].id, "1_init_etcd_config");
    EXPECT_EQ(r.migrations[0].down_sql, std::optional<std::string>("[]"));
    EXPECT_EQ(r.migrations[1].id, "3_c_postgresql_core");
    EXPECT_EQ(r.migrations[1].connection, "core");
    // Only README and README.* are documentation; a schema called "readme" is not.
    EXPECT_EQ(r.migrations[2].id, "readme_users_20250101120000_x");
}

TEST(Loader, SortsByNumericVersionThenId) {
    const auto r = load_migrations({
        {"postgresql/core/10_c.up.sql", "SELECT 10;"},
        {"postgresql/core/2_b.up.sql", "SELECT 2;"},
        {"postgresql/core/1_a.up.sql", "SELECT 1;"},
        {"postgresql/guard/2_b.up.sql", "SELECT 2;"},
    });
    ASSERT_TRUE(r.ok()) << describe(r);
    std::vector<std::string> ids;
    for (const migration& m : r.migrations) ids.push_back(m.id);
    EXPECT_EQ(ids, (std::vector<std::string>{"1_a_postgresql_core", "2_b_postgresql_core",
                                             "2_b_postgresql_guard", "10_c_postgresql_core"}));
}

struct header_case {
    const char* label;
    std::string up;
    std::string schema;
    std::string table;
};

// gtest prints parameters of failed tests with this.
void PrintTo(const header_case& c, std::ostream* os) {
    *os << c.label;
}

class LoaderHeader : public testing::TestWithParam<header_case> {};

TEST_P(LoaderHeader, ReadsOnlyTheLeadingComments) {
    const auto r = load_migrations({{"postgresql/core/1_a.up.sql", GetParam().up}});
    const migration& m = only(r);
    EXPECT_EQ(m.schema, GetParam().schema) << GetParam().label;
    EXPECT_EQ(m.table, GetParam().table) << GetParam().label;
}

INSTANTIATE_TEST_SUITE_P(
    LoaderHeaders, LoaderHeader,
    testing::Values(
        header_case{"none", "CREATE TABLE t ();", "", ""},
        header_case{"blank lines and comments between",
                    "\n-- a comment\n\n-- bfm:schema core\n   \n-- bfm:table users\nSELECT 1;",
                    "core", "users"},
        header_case{"crlf", "-- bfm:schema core\r\n-- bfm:table users  \r\nSELECT 1;\r\n", "core",
                    "users"},
        header_case{"lone cr", "-- bfm:schema core\r-- bfm:table users\rSELECT 1;", "core",
                    "users"},
        header_case{"utf8 bom", "\xEF\xBB\xBF-- bfm:schema core\nSELECT 1;", "core", ""},
        header_case{"stops at the first statement",
                    "-- bfm:table users\nSELECT 1;\n-- bfm:schema late\n-- bfm:xyz ignored", "",
                    "users"},
        header_case{"planner keys are accepted",
                    "-- bfm:depends core:create_orgs\n-- bfm:depends-schema core\n"
                    "-- bfm:tags tier=gold, region=eu\n-- bfm:transaction off\n"
                    "-- bfm:timeout 10m\n-- bfm-tags: a=b\n-- +migrate Up\n-- bfm:schema s\n"
                    "SELECT 1;",
                    "s", ""},
        header_case{"same value twice", "-- bfm:schema s\n-- bfm:schema s\nSELECT 1;", "s", ""}),
    [](const auto& p) {
        std::string name = p.param.label;
        for (char& c : name) {
            if (c == ' ') c = '_';
        }
        return name;
    });

struct expected_error {
    std::string file;
    int line;
    std::string contains;
};

struct error_case {
    const char* label;
    std::vector<source_file> files;
    std::vector<expected_error> errors;
};

// gtest prints parameters of failed tests with this.
void PrintTo(const error_case& c, std::ostream* os) {
    *os << c.label;
}

class LoaderError : public testing::TestWithParam<error_case> {};

TEST_P(LoaderError, ReportsFileLineAndReason) {
    const auto r = load_migrations(GetParam().files);
    EXPECT_TRUE(r.migrations.empty()) << GetParam().label;
    ASSERT_EQ(r.errors.size(), GetParam().errors.size()) << GetParam().label << describe(r);
    for (std::size_t i = 0; i < r.errors.size(); ++i) {
        const auto& want = GetParam().errors[i];
        EXPECT_EQ(r.errors[i].file, want.file) << GetParam().label;
        EXPECT_EQ(r.errors[i].line, want.line) << GetParam().label << describe(r);
        EXPECT_NE(r.errors[i].message.find(want.contains), std::string::npos)
            << GetParam().label << ": " << r.errors[i].message;
    }
}

const std::string conventions = "does not match a naming convention";

INSTANTIATE_TEST_SUITE_P(
    LoaderErrors, LoaderError,
    testing::Values(
        error_case{"sql directly under a backend",
                   {{"postgresql/x.sql", "SELECT 1;"}},
                   {{"postgresql/x.sql", 0, "must live under {backend}/{connection}/"}}},
        error_case{"sql at the root",
                   {{"1_a.up.sql", "SELECT 1;"}},
                   {{"1_a.up.sql", 0, "must live under {backend}/{connection}/"}}},
        error_case{"unknown backend reported once",
                   {{"mongodb/core/1_a.up.sql", ""}, {"mongodb/core/2_b.up.sql", ""}},
                   {{"mongodb/core/1_a.up.sql", 0, "unknown backend folder \"mongodb\""}}},
        error_case{"no convention",
                   {{"postgresql/core/create_users.sql", ""}},
                   {{"postgresql/core/create_users.sql", 0, conventions}}},
        error_case{"digits then letters",
                   {{"postgresql/core/1abc.sql", ""}},
                   {{"postgresql/core/1abc.sql", 0, conventions}}},
        error_case{"paired without underscore",
                   {{"postgresql/core/1abc.up.sql", ""}},
                   {{"postgresql/core/1abc.up.sql", 0, conventions}}},
        error_case{"paired without name",
                   {{"postgresql/core/1_.up.sql", ""}},
                   {{"postgresql/core/1_.up.sql", 0, conventions}}},
        error_case{"paired without version",
                   {{"postgresql/core/_a.down.sql", ""}},
                   {{"postgresql/core/_a.down.sql", 0, conventions}}},
        error_case{"version over 19 digits",
                   {{"postgresql/core/12345678901234567890_a.up.sql", ""}},
                   {{"postgresql/core/12345678901234567890_a.up.sql", 0, "more than 19 digits"}}},
        error_case{"paired down without up",
                   {{"postgresql/core/1_a.down.sql", "DROP TABLE a;"}},
                   {{"postgresql/core/1_a.down.sql", 0, "expected 1_a.up.sql"}}},
        error_case{"seed down without up",
                   {{"postgresql/core/core_users_20250101120000_x_down.sql", ""}},
                   {{"postgresql/core/core_users_20250101120000_x_down.sql", 0,
                     "expected core_users_20250101120000_x.sql"}}},
        error_case{"seed without table",
                   {{"postgresql/core/core_20250101120000_x.sql", ""}},
                   {{"postgresql/core/core_20250101120000_x.sql", 0, "{schema}_{table}_"}}},
        error_case{"seed without name",
                   {{"postgresql/core/core_users_20250101120000.sql", ""}},
                   {{"postgresql/core/core_users_20250101120000.sql", 0, "name"}}},
        error_case{"seed with invalid schema",
                   {{"postgresql/core/1x_users_20250101120000_a.sql", ""}},
                   {{"postgresql/core/1x_users_20250101120000_a.sql", 0, "schema name \"1x\""}}},
        error_case{"sql under etcd",
                   {{"etcd/config/1_a.up.sql", ""}},
                   {{"etcd/config/1_a.up.sql", 0, ".up.json"}}},
        error_case{"etcd json without convention",
                   {{"etcd/config/init.json", "[]"}},
                   {{"etcd/config/init.json", 0, ".up.json"}}},
        error_case{"unknown header key",
                   {{"postgresql/core/1_a.up.sql", "-- bfm:table t\n-- bfm:xyz 1\nSELECT 1;"}},
                   {{"postgresql/core/1_a.up.sql", 2, "unknown header key \"xyz\""}}},
        error_case{
            "hostile schema header",
            {{"postgresql/core/1_a.up.sql", "\n-- bfm:schema x; drop table y\nSELECT 1;"}},
            {{"postgresql/core/1_a.up.sql", 2, "schema name \"x; drop table y\" is invalid"}}},
        error_case{"empty schema header",
                   {{"postgresql/core/1_a.up.sql", "-- bfm:schema\n"}},
                   {{"postgresql/core/1_a.up.sql", 1, "needs a schema name"}}},
        error_case{"two table words",
                   {{"postgresql/core/1_a.up.sql", "-- bfm:table a b\n"}},
                   {{"postgresql/core/1_a.up.sql", 1, "one table name"}}},
        error_case{"contradicting schema headers",
                   {{"postgresql/core/1_a.up.sql", "-- bfm:schema a\n-- bfm:schema b\n"}},
                   {{"postgresql/core/1_a.up.sql", 2, "contradicts line 1"}}},
        error_case{"seed header disagrees with file name",
                   {{"postgresql/core/core_users_20250101120000_x.sql",
                     "-- note\n\n-- bfm:schema other\n-- bfm:table accounts\n"}},
                   {{"postgresql/core/core_users_20250101120000_x.sql", 3,
                     "disagrees with the schema in the file name"},
                    {"postgresql/core/core_users_20250101120000_x.sql", 4,
                     "disagrees with the table in the file name"}}},
        error_case{"duplicate id across postgres and postgresql folders",
                   {{"postgresql/core/1_a.up.sql", "SELECT 1;"},
                    {"postgres/core/1_a.up.sql", "SELECT 1;"}},
                   {{"postgresql/core/1_a.up.sql", 0, "also defined by postgres/core/1_a.up.sql"}}},
        error_case{"duplicate id in subfolders",
                   {{"postgresql/core/a/1_a.up.sql", ""}, {"postgresql/core/b/1_a.up.sql", ""}},
                   {{"postgresql/core/b/1_a.up.sql", 0,
                     "duplicate migration ID \"1_a_postgresql_core\""}}},
        error_case{
            "same version in one connection",
            {{"postgresql/core/1_a.up.sql", ""}, {"postgresql/core/001_b.up.sql", ""}},
            {{"postgresql/core/1_a.up.sql", 0, "also used by postgresql/core/001_b.up.sql"}}},
        error_case{"same file twice",
                   {{"postgresql/core/1_a.up.sql", ""}, {"postgresql/core/1_a.up.sql", ""}},
                   {{"postgresql/core/1_a.up.sql", 0, "same migration script"}}},
        error_case{"all errors collected in path order",
                   {{"postgresql/core/z.sql", ""},
                    {"postgresql/core/2_ok.up.sql", "SELECT 1;"},
                    {"postgresql/core/1_a.up.sql", "-- bfm:nope\n"},
                    {"postgresql/a.sql", ""}},
                   {{"postgresql/a.sql", 0, "must live under"},
                    {"postgresql/core/1_a.up.sql", 1, "unknown header key \"nope\""},
                    {"postgresql/core/z.sql", 0, conventions}}}),
    [](const auto& p) {
        std::string name = p.param.label;
        for (char& c : name) {
            if (c == ' ') c = '_';
        }
        return name;
    });

TEST(Loader, SameVersionInDifferentConnectionsIsFine) {
    const auto r =
        load_migrations({{"postgresql/core/1_a.up.sql", ""}, {"postgresql/guard/1_a.up.sql", ""}});
    EXPECT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.migrations.size(), 2u);
}

TEST(Loader, ChecksumIsOfTheUpScript) {
    const auto r = load_migrations({
        {"postgresql/core/1_a.up.sql", "CREATE TABLE users (id int);\r\n"},
        {"postgresql/core/1_a.down.sql", "DROP TABLE users;"},
    });
    const migration& m = only(r);
    EXPECT_EQ(m.checksum, "v1:537129faaa4be351bd58fa07b80cf56476785f89e597a6820328d2c49ac6ae05");
    EXPECT_EQ(m.up_sql, "CREATE TABLE users (id int);\r\n");  // kept raw
}

TEST(Loader, HeaderMetadataReachesTheMigration) {
    const auto r = load_migrations({{"postgresql/core/5_e.up.sql",
                                     "-- bfm:schema core\n"
                                     "-- bfm:depends create_orgs, logs:@3\n"
                                     "-- bfm:depends-schema audit\n"
                                     "-- bfm:tags Tier=gold, expr=a=b\n"
                                     "-- bfm-tags: region=eu\n"
                                     "-- bfm:transaction off\n"
                                     "-- bfm:timeout 90s\n"
                                     "CREATE INDEX CONCURRENTLY i ON t (c);\n"}});
    const migration& m = only(r);
    EXPECT_EQ(m.schema, "core");
    ASSERT_EQ(m.dependencies.size(), 2u);
    EXPECT_EQ(m.dependencies[0].target, "create_orgs");
    EXPECT_EQ(m.dependencies[0].target_type, dependency::kind::name);
    EXPECT_EQ(m.dependencies[0].line, 2);
    EXPECT_EQ(m.dependencies[0].source_file, "postgresql/core/5_e.up.sql");
    EXPECT_EQ(m.dependencies[1].connection, "logs");
    EXPECT_EQ(m.dependencies[1].target, "3");
    EXPECT_EQ(m.dependencies[1].target_type, dependency::kind::version);
    EXPECT_EQ(m.depends_schemas, (std::vector<std::string>{"audit"}));
    EXPECT_EQ(m.tags, (std::vector<tag>{{"tier", "gold"}, {"expr", "a=b"}, {"region", "eu"}}));
    EXPECT_FALSE(m.transactional);
    EXPECT_EQ(m.timeout, std::chrono::milliseconds(90000));
}

TEST(Loader, DefaultsWithoutMetadata) {
    const auto r = load_migrations({{"postgresql/core/5_e.up.sql", "SELECT 1;"}});
    const migration& m = only(r);
    EXPECT_TRUE(m.dependencies.empty());
    EXPECT_TRUE(m.depends_schemas.empty());
    EXPECT_TRUE(m.tags.empty());
    EXPECT_TRUE(m.transactional);
    EXPECT_EQ(m.timeout.count(), 0);
}

TEST(LoaderTemplate, UnknownVariablesInEveryScriptAreLoadErrors) {
    const auto r = load_migrations({
        {"postgresql/core/1_a.up.sql", "-- bfm:schema core\nSELECT * FROM {{.Tenant}}.t;\n"},
        {"postgresql/core/1_a.down.sql", "\n\nDROP TABLE {{ .Schema }}.t; {{.Nope}}\n"},
        {"postgresql/core/2_b.sql",
         "-- +migrate Up\nA;\nSELECT {{.Missing}};\n-- +migrate Down\n{{.Gone}}\n"},
        {"postgresql/core/3_c.up.sql", "SET search_path = {{.schema}}, {{.ENVIRONMENT}};"},
    });
    EXPECT_TRUE(r.migrations.empty());
    ASSERT_EQ(r.errors.size(), 4u) << describe(r);
    EXPECT_EQ(r.errors[0].file, "postgresql/core/1_a.down.sql");
    EXPECT_EQ(r.errors[0].line, 3);
    EXPECT_NE(r.errors[0].message.find("Nope"), std::string::npos) << r.errors[0].message;
    EXPECT_EQ(r.errors[1].file, "postgresql/core/1_a.up.sql");
    EXPECT_EQ(r.errors[1].line, 2);
    EXPECT_NE(r.errors[1].message.find("Tenant"), std::string::npos);
    // Convention C: lines count from the top of the file, not of the section.
    EXPECT_EQ(r.errors[2].file, "postgresql/core/2_b.sql");
    EXPECT_EQ(r.errors[2].line, 3);
    EXPECT_EQ(r.errors[3].file, "postgresql/core/2_b.sql");
    EXPECT_EQ(r.errors[3].line, 5);
}

class TempTree {
public:
    TempTree() {
        std::string pattern = (fs::temp_directory_path() / "bfm-loader-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        root_ = pattern;
    }
    ~TempTree() {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }
    TempTree(const TempTree&) = delete;
    TempTree& operator=(const TempTree&) = delete;

    void write(const std::string& relative, const std::string& content) const {
        const fs::path path = root_ / relative;
        fs::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << content;
    }
    const fs::path& root() const { return root_; }

private:
    fs::path root_;
};

TEST(LoaderDirectory, ReadsTheTreeRecursively) {
    TempTree tree;
    tree.write("postgresql/core/core_users_20250101120000_create_users.sql",
               "-- bfm:table users\nCREATE TABLE users (id int);\n");
    tree.write("postgresql/core/core_users_20250101120000_create_users_down.sql",
               "DROP TABLE users;\n");
    tree.write("postgres/guard/nested/deeper/2_add.up.sql", "-- bfm:schema guard\nSELECT 1;\n");
    tree.write(".git/objects/1_x.up.sql", "not a migration");
    tree.write("README.md", "# sfm");

    const auto r = load_migrations_from_directory(tree.root());
    ASSERT_TRUE(r.ok()) << describe(r);
    ASSERT_EQ(r.migrations.size(), 2u);
    EXPECT_EQ(r.migrations[0].id, "2_add_postgresql_guard");
    EXPECT_EQ(r.migrations[0].up_path, "postgres/guard/nested/deeper/2_add.up.sql");
    EXPECT_EQ(r.migrations[0].schema, "guard");
    EXPECT_EQ(r.migrations[1].id, "core_users_20250101120000_create_users");
    EXPECT_EQ(r.migrations[1].down_sql, std::optional<std::string>("DROP TABLE users;\n"));
    EXPECT_EQ(r.migrations[1].checksum,
              checksum_v1("-- bfm:table users\nCREATE TABLE users (id int);\n"));
}

TEST(LoaderDirectory, EveryConventionFromDisk) {
    TempTree tree;
    tree.write("postgresql/core/20240101000001_create_initial_tables.sql",
               "-- +migrate Up\nCREATE TABLE a (id int);\n-- +migrate Down\nDROP TABLE a;\n");
    tree.write("postgresql/core/20250115000000_bootstrap.up.sql", "CREATE TABLE b (id int);\n");
    tree.write("postgresql/core/20250115000000_bootstrap.go",
               "package core\n\nvar _ = &migrations.MigrationScript{\n\tSchema: \"core\",\n}\n");
    tree.write("postgresql/core/20250115000000_bootstrap_test.go", "package core\n");
    tree.write("etcd/config/3_flags.up.json", R"([{"key": "a", "value": "1"}])");
    tree.write("etcd/config/3_flags.meta.json", R"({"schema": "/config"})");

    const auto r = load_migrations_from_directory(tree.root());
    ASSERT_TRUE(r.ok()) << describe(r);
    ASSERT_EQ(r.migrations.size(), 3u);
    EXPECT_EQ(r.migrations[0].id, "3_flags_etcd_config");
    EXPECT_EQ(r.migrations[0].schema, "/config");
    EXPECT_EQ(r.migrations[1].convention, naming_convention::single_file);
    EXPECT_EQ(r.migrations[1].down_sql, std::optional<std::string>("DROP TABLE a;\n"));
    EXPECT_EQ(r.migrations[2].convention, naming_convention::upstream_stub);
    EXPECT_EQ(r.migrations[2].schema, "core");
}

TEST(LoaderDirectory, ErrorsUseRelativePaths) {
    TempTree tree;
    tree.write("postgresql/core/bad.sql", "SELECT 1;");
    const auto r = load_migrations_from_directory(tree.root());
    ASSERT_EQ(r.errors.size(), 1u) << describe(r);
    EXPECT_EQ(r.errors[0].file, "postgresql/core/bad.sql");
}

TEST(LoaderDirectory, MissingRootIsOneErrorNamingIt) {
    TempTree tree;
    const fs::path missing = tree.root() / "nope";
    const auto r = load_migrations_from_directory(missing);
    EXPECT_TRUE(r.migrations.empty());
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].file, missing.string());
    EXPECT_NE(r.errors[0].message.find("does not exist"), std::string::npos);
}

TEST(LoaderDirectory, EmptyTreeLoadsNothing) {
    TempTree tree;
    const auto r = load_migrations_from_directory(tree.root());
    EXPECT_TRUE(r.ok()) << describe(r);
    EXPECT_TRUE(r.migrations.empty());
}

}  // namespace
}  // namespace bfm::core
