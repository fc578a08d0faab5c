// Convention C: `{version}_{name}.sql` with -- +migrate Up / Down sections.

#include <gtest/gtest.h>

#include <cctype>

#include "core/checksum.hpp"
#include "core/loader.hpp"
#include "loader_test_support.hpp"

namespace bfm::core {
namespace {

const std::string path = "postgresql/core/20240101123456_create_users_table.sql";

// The dbackup README's example file.
const std::string dbackup_file =
    "-- +migrate Up\n"                              // 1
    "-- Description of what this migration does\n"  // 2
    "-- Created: 2024-01-01 12:34:56\n"             // 3
    "\n"                                            // 4
    "CREATE TABLE users (\n"                        // 5
    "    id SERIAL PRIMARY KEY,\n"                  // 6
    "    email VARCHAR(255) UNIQUE NOT NULL\n"      // 7
    ");\n"                                          // 8
    "\n"                                            // 9
    "-- +migrate Down\n"                            // 10
    "-- Rollback for: Description\n"                // 11
    "DROP TABLE users;\n";                          // 12

const std::string dbackup_up =
    "-- Description of what this migration does\n"
    "-- Created: 2024-01-01 12:34:56\n"
    "\n"
    "CREATE TABLE users (\n"
    "    id SERIAL PRIMARY KEY,\n"
    "    email VARCHAR(255) UNIQUE NOT NULL\n"
    ");\n"
    "\n";

TEST(LoaderSingleFile, DbackupFileLoadsWithBothSections) {
    const auto r = load_migrations({{path, dbackup_file}});
    ASSERT_TRUE(r.ok()) << describe(r);
    ASSERT_EQ(r.migrations.size(), 1u);
    const migration& m = r.migrations[0];
    EXPECT_EQ(m.id, "20240101123456_create_users_table_postgresql_core");
    EXPECT_EQ(m.version, "20240101123456");
    EXPECT_EQ(m.version_number, 20240101123456ULL);
    EXPECT_EQ(m.name, "create_users_table");
    EXPECT_EQ(m.convention, naming_convention::single_file);
    EXPECT_EQ(m.up_sql, dbackup_up);
    EXPECT_EQ(m.down_sql,
              std::optional<std::string>("-- Rollback for: Description\nDROP TABLE users;\n"));
    EXPECT_EQ(m.up_path, path);
    EXPECT_EQ(m.down_path, std::optional<std::string>(path));
    EXPECT_EQ(m.checksum, checksum_v1(dbackup_up));
    EXPECT_TRUE(m.is_dynamic());
    EXPECT_TRUE(m.transactional);
}

TEST(LoaderSingleFile, ChecksumIsOfTheUpSectionOnly) {
    const auto a = load_migrations({{path, "-- +migrate Up\nSELECT 1;\n-- +migrate Down\nA;\n"}});
    const auto b = load_migrations({{path, "-- +migrate Up\nSELECT 1;\n-- +migrate Down\nB;\n"}});
    const auto c = load_migrations({{path, "-- +migrate Up\nSELECT 2;\n-- +migrate Down\nA;\n"}});
    ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << describe(a) << describe(b) << describe(c);
    EXPECT_EQ(a.migrations[0].checksum, b.migrations[0].checksum);
    EXPECT_NE(a.migrations[0].checksum, c.migrations[0].checksum);
    EXPECT_EQ(a.migrations[0].checksum, checksum_v1("SELECT 1;\n"));
}

TEST(LoaderSingleFile, UpOnlyHasNoDownScript) {
    const auto r = load_migrations(
        {{"mysql/app/7_add_index.sql", "-- +MIGRATE UP\nCREATE INDEX i ON t (c);\n"}});
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.migrations[0].id, "7_add_index_mysql_app");
    EXPECT_EQ(r.migrations[0].up_sql, "CREATE INDEX i ON t (c);\n");
    EXPECT_FALSE(r.migrations[0].down_sql.has_value());
    EXPECT_FALSE(r.migrations[0].down_path.has_value());
}

TEST(LoaderSingleFile, HeadersBeforeTheMarkerAndAtTheTopOfTheUpSection) {
    const auto r = load_migrations({{path,
                                     "-- bfm:schema core\n"
                                     "-- +migrate Up\n"
                                     "-- bfm:table users\n"
                                     "-- bfm:tags tier=gold\n"
                                     "CREATE TABLE users (id int);\n"
                                     "-- bfm:depends ignored_after_sql\n"
                                     "-- +migrate Down\n"
                                     "-- bfm:timeout 5s\n"
                                     "DROP TABLE users;\n"}});
    ASSERT_TRUE(r.ok()) << describe(r);
    const migration& m = r.migrations[0];
    EXPECT_EQ(m.schema, "core");
    EXPECT_EQ(m.table, "users");
    EXPECT_EQ(m.tags, (std::vector<tag>{{"tier", "gold"}}));
    EXPECT_TRUE(m.dependencies.empty());
    EXPECT_EQ(m.timeout.count(), 0);  // header lines of the down section are not read
}

TEST(LoaderSingleFile, HeaderScanStopsAtTheDownMarkerOfACommentOnlyUpSection) {
    const auto r = load_migrations(
        {{path, "-- +migrate Up\n-- nothing yet\n-- +migrate Down\n-- bfm:schema core\n"}});
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_TRUE(r.migrations[0].is_dynamic());
}

TEST(LoaderSingleFile, StatementMarkersAreAcceptedAndKept) {
    const std::string text =
        "-- +migrate Up\n"
        "-- +migrate StatementBegin\n"
        "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;\n"
        "-- +migrate StatementEnd\n"
        "-- +migrate Down\n"
        "-- +migrate statementbegin\n"
        "DROP FUNCTION f();\n"
        "-- +migrate STATEMENTEND\n";
    const auto r = load_migrations({{path, text}});
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.migrations[0].up_sql,
              "-- +migrate StatementBegin\n"
              "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;\n"
              "-- +migrate StatementEnd\n");
}

TEST(LoaderSingleFile, NoTransactionOnTheUpMarkerAndTrailingWords) {
    const auto r = load_migrations(
        {{path,
          "-- +migrate Up notransaction\nCREATE INDEX CONCURRENTLY i ON t (c);\n"
          "-- +migrate Down   NoTransaction  -- and a note\nDROP INDEX CONCURRENTLY i;\n"}});
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_FALSE(r.migrations[0].transactional);

    const auto words =
        load_migrations({{path, "-- +migrate Up (created by dbackup)\nSELECT 1;\n"}});
    ASSERT_TRUE(words.ok()) << describe(words);
    EXPECT_TRUE(words.migrations[0].transactional);
}

TEST(LoaderSingleFile, CrlfAndByteOrderMark) {
    const auto r = load_migrations(
        {{path, "\xEF\xBB\xBF-- +migrate Up\r\nSELECT 1;\r\n-- +migrate Down\r\nSELECT 2;\r\n"}});
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.migrations[0].up_sql, "SELECT 1;\r\n");
    EXPECT_EQ(r.migrations[0].down_sql, std::optional<std::string>("SELECT 2;\r\n"));
}

TEST(LoaderSingleFile, NamesThatLookLikeConventionB) {
    // Digits first is always C: a schema name never starts with a digit.
    const auto r = load_migrations({
        {"postgresql/core/001_users_20250101120000_x.sql", "-- +migrate Up\nSELECT 1;\n"},
        {"postgresql/core/002_drop_old_down.sql", "-- +migrate Up\nSELECT 2;\n"},
        {"postgresql/core/core_users_20250101120000_create.sql", "SELECT 3;\n"},
    });
    ASSERT_TRUE(r.ok()) << describe(r);
    ASSERT_EQ(r.migrations.size(), 3u);
    EXPECT_EQ(r.migrations[0].id, "001_users_20250101120000_x_postgresql_core");
    EXPECT_EQ(r.migrations[0].convention, naming_convention::single_file);
    EXPECT_EQ(r.migrations[1].id, "002_drop_old_down_postgresql_core");
    EXPECT_EQ(r.migrations[1].name, "drop_old_down");
    EXPECT_EQ(r.migrations[2].convention, naming_convention::seed);
}

TEST(LoaderSingleFile, OrdersNumericallyWithOtherConventions) {
    const auto r = load_migrations({
        {"postgresql/core/10_c.sql", "-- +migrate Up\nSELECT 10;\n"},
        {"postgresql/core/9_b.up.sql", "SELECT 9;\n"},
        {"postgresql/core/0100_d.sql", "-- +migrate Up\nSELECT 100;\n"},
    });
    ASSERT_TRUE(r.ok()) << describe(r);
    ASSERT_EQ(r.migrations.size(), 3u);
    EXPECT_EQ(r.migrations[0].name, "b");
    EXPECT_EQ(r.migrations[1].name, "c");
    EXPECT_EQ(r.migrations[2].name, "d");
}

struct single_error_case {
    const char* label;
    std::string text;
    int line;
    std::string contains;
};

void PrintTo(const single_error_case& c, std::ostream* os) {
    *os << c.label;
}

class LoaderSingleFileError : public testing::TestWithParam<single_error_case> {};

TEST_P(LoaderSingleFileError, ReportsFileAndLine) {
    const auto r = load_migrations({{path, GetParam().text}});
    EXPECT_TRUE(r.migrations.empty());
    ASSERT_EQ(r.errors.size(), 1u) << describe(r);
    EXPECT_EQ(r.errors[0].file, path);
    EXPECT_EQ(r.errors[0].line, GetParam().line) << describe(r);
    EXPECT_NE(r.errors[0].message.find(GetParam().contains), std::string::npos)
        << r.errors[0].message;
}

INSTANTIATE_TEST_SUITE_P(
    LoaderSingleFile, LoaderSingleFileError,
    testing::Values(
        single_error_case{"no up marker", "CREATE TABLE t ();\n", 0, "needs a -- +migrate Up"},
        single_error_case{"empty file", "", 0, "needs a -- +migrate Up"},
        single_error_case{"only a down marker", "-- +migrate Down\nDROP TABLE t;\n", 0,
                          "needs a -- +migrate Up"},
        single_error_case{"down before up", "-- +migrate Down\n-- +migrate Up\nA;\n", 1,
                          "Down before -- +migrate Up"},
        single_error_case{"sql before up", "-- note\nSELECT 0;\n-- +migrate Up\nSELECT 1;\n", 2,
                          "SQL before -- +migrate Up"},
        single_error_case{"two up markers",
                          "-- +migrate Up\nSELECT 1;\n-- +migrate Up\nSELECT 2;\n", 3,
                          "second -- +migrate Up (the first is at line 1)"},
        single_error_case{"two down markers",
                          "-- +migrate Up\nA;\n-- +migrate Down\nB;\n-- +migrate Down\nC;\n", 5,
                          "second -- +migrate Down (the first is at line 3)"},
        single_error_case{"up after down",
                          "-- +migrate Up\nA;\n-- +migrate Down\nB;\n-- +migrate Up\n", 5,
                          "second -- +migrate Up"},
        single_error_case{"unknown marker", "-- +migrate Up\n-- +migrate Sideways\nA;\n", 2,
                          "unknown marker -- +migrate \"sideways\""},
        single_error_case{"marker without a word", "-- +migrate Up\n-- +migrate\nA;\n", 2,
                          "unknown marker"},
        single_error_case{"statement never closed",
                          "-- +migrate Up\n-- +migrate StatementBegin\nA;\n", 2, "never closed"},
        single_error_case{"statement open at down",
                          "-- +migrate Up\n-- +migrate StatementBegin\nA;\n-- +migrate Down\nB;\n",
                          2, "not closed before the -- +migrate Down at line 4"},
        single_error_case{"statement end without begin",
                          "-- +migrate Up\nA;\n-- +migrate StatementEnd\n", 3,
                          "StatementEnd without StatementBegin"},
        single_error_case{"nested statement begin",
                          "-- +migrate Up\n-- +migrate StatementBegin\n-- +migrate StatementBegin\n"
                          "-- +migrate StatementEnd\n",
                          3, "inside the statement opened at line 2"},
        single_error_case{"statement begin before up",
                          "-- +migrate StatementBegin\n-- +migrate Up\nA;\n", 1,
                          "StatementBegin before -- +migrate Up"},
        single_error_case{"notransaction only on down",
                          "-- +migrate Up\nA;\n-- +migrate Down notransaction\nB;\n", 3,
                          "put notransaction on the Up marker"},
        single_error_case{"notransaction contradicts header",
                          "-- +migrate Up notransaction\n-- bfm:transaction on\nA;\n", 2,
                          "transaction on disagrees with off declared at " + path + ":1"},
        single_error_case{"bad header in the up section",
                          "-- +migrate Up\n\n-- bfm:depends core:\nA;\n", 3,
                          "-- bfm:depends: dependency \"core:\" has an empty name"},
        single_error_case{"bad header before the marker", "-- bfm:schema 1x\n-- +migrate Up\nA;\n",
                          1, "schema name \"1x\""},
        single_error_case{"unknown header key", "-- +migrate Up\n-- bfm:owner me\nA;\n", 2,
                          "unknown header key"}),
    [](const auto& p) {
        std::string name = p.param.label;
        for (char& c : name) {
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        }
        return name;
    });

TEST(LoaderSingleFile, FileNameErrors) {
    const auto r = load_migrations({
        {"postgresql/core/1_.sql", "-- +migrate Up\n"},
        {"postgresql/core/12345678901234567890_x.sql", "-- +migrate Up\n"},
    });
    ASSERT_EQ(r.errors.size(), 2u) << describe(r);
    EXPECT_NE(r.errors[0].message.find("more than 19 digits"), std::string::npos);
    EXPECT_NE(r.errors[1].message.find("does not match a naming convention"), std::string::npos);
}

TEST(LoaderSingleFile, SameStemAsAPairIsADuplicateId) {
    const auto r = load_migrations({
        {"postgresql/core/1_a.sql", "-- +migrate Up\nSELECT 1;\n"},
        {"postgresql/core/1_a.up.sql", "SELECT 1;\n"},
    });
    ASSERT_EQ(r.errors.size(), 1u) << describe(r);
    EXPECT_NE(r.errors[0].message.find("duplicate migration ID \"1_a_postgresql_core\""),
              std::string::npos);
}

}  // namespace
}  // namespace bfm::core
