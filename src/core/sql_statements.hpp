#pragma once
// Splits a PostgreSQL script into statements at top-level semicolons, so migrations that must
// run outside a transaction (`-- bfm:transaction off`: CREATE INDEX CONCURRENTLY...) can be sent
// one statement at a time. Quotes ('...', E'...', "..."), dollar quotes ($tag$...$tag$), line
// comments and nested block comments are honoured; pieces holding only blanks and comments are
// dropped.

#include <string>
#include <string_view>
#include <vector>

namespace bfm::core {

struct sql_statement {
    std::string text;    // without the terminating ';'
    int first_line = 1;  // 1-based line of the script where the piece starts
};

std::vector<sql_statement> split_sql_statements(std::string_view script);

}  // namespace bfm::core
