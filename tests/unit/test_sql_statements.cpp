// Splitting scripts into statements for `transaction off` migrations.

#include <gtest/gtest.h>

#include "core/sql_statements.hpp"

namespace {

using bfm::core::split_sql_statements;

std::vector<std::string> texts(std::string_view script) {
    std::vector<std::string> out;
    for (const auto& s : split_sql_statements(script)) out.push_back(s.text);
    return out;
}

TEST(SqlStatements, SplitsAtTopLevelSemicolonsAndDropsEmptyPieces) {
    EXPECT_EQ(texts("SELECT 1; SELECT 2"), (std::vector<std::string>{"SELECT 1", "SELECT 2"}));
    EXPECT_EQ(texts("SELECT 1;;  ;\n"), std::vector<std::string>{"SELECT 1"});
    EXPECT_EQ(texts("SELECT 1; -- trailing comment\n/* and a block */"),
              std::vector<std::string>{"SELECT 1"});
    EXPECT_TRUE(texts("  \n-- nothing\n").empty());
}

TEST(SqlStatements, IgnoresSemicolonsInsideQuotesAndComments) {
    struct case_ {
        std::string script;
        std::size_t count;
    };
    const std::vector<case_> cases{
        {"SELECT 'a;b'; SELECT 2", 2},
        {"SELECT 'it''s;'; SELECT 2", 2},
        {"SELECT E'\\';'; SELECT 2", 2},
        {"SELECT \"odd;name\" FROM t; SELECT 2", 2},
        {"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT 2", 2},
        {"DO $body$ BEGIN PERFORM 1; END $body$; SELECT 2", 2},
        {"SELECT 1 -- not here;\n; SELECT 2", 2},
        {"SELECT /* a; /* nested; */ still; */ 1; SELECT 2", 2},
        {"PREPARE p AS SELECT $1; EXECUTE p(1)", 2},
        {"SELECT 'unterminated; SELECT 2", 1},
    };
    for (const auto& c : cases) EXPECT_EQ(texts(c.script).size(), c.count) << c.script;
}

TEST(SqlStatements, ReportsTheLineWhereEachStatementStarts) {
    const auto statements = split_sql_statements(
        "-- bfm:transaction off\n\nCREATE INDEX CONCURRENTLY a ON t (a);\n"
        "CREATE INDEX CONCURRENTLY b\n  ON t (b);\n");
    ASSERT_EQ(statements.size(), 2u);
    EXPECT_EQ(statements[0].first_line, 1);  // the piece starts with the header comment
    EXPECT_EQ(statements[1].first_line, 4);
    EXPECT_EQ(statements[1].text, "CREATE INDEX CONCURRENTLY b\n  ON t (b)");
}

}  // namespace
