// The Go tokenizer behind convention D stubs: strings, escapes, raw strings, comments, lines.

#include <gtest/gtest.h>

#include <cctype>

#include "core/go_tokenizer.hpp"

namespace bfm::core {
namespace {

std::vector<std::string> texts(const go_tokenize_result& r) {
    std::vector<std::string> out;
    for (const go_token& t : r.tokens) out.push_back(t.text);
    return out;
}

TEST(GoTokenizer, IdentifiersPunctuationAndLines) {
    const auto r =
        tokenize_go("package core\n\nvar x = &migrations.MigrationScript{\n\tSchema: \"\",\n}\n");
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(texts(r),
              (std::vector<std::string>{"package", "core", "var", "x", "=", "&", "migrations", ".",
                                        "MigrationScript", "{", "Schema", ":", "", ",", "}"}));
    EXPECT_EQ(r.tokens[2].line, 3);
    EXPECT_EQ(r.tokens[10].line, 4);
    EXPECT_EQ(r.tokens[10].column, 2);
    EXPECT_EQ(r.tokens[12].kind, go_token_kind::string);
    EXPECT_EQ(r.tokens[14].line, 5);
}

struct escape_case {
    const char* label;
    std::string literal;
    std::string value;
};

void PrintTo(const escape_case& c, std::ostream* os) {
    *os << c.label;
}

class GoTokenizerString : public testing::TestWithParam<escape_case> {};

TEST_P(GoTokenizerString, DecodesTheLiteral) {
    const auto r = tokenize_go("x = " + GetParam().literal + "\n");
    ASSERT_TRUE(r.ok()) << r.error;
    ASSERT_EQ(r.tokens.size(), 3u);
    EXPECT_EQ(r.tokens[2].kind, go_token_kind::string);
    EXPECT_EQ(r.tokens[2].text, GetParam().value);
}

INSTANTIATE_TEST_SUITE_P(
    GoTokenizerEscapes, GoTokenizerString,
    testing::Values(escape_case{"plain", R"("core")", "core"}, escape_case{"empty", R"("")", ""},
                    escape_case{"quote and backslash", R"("a\"b\\c")", "a\"b\\c"},
                    escape_case{"newline and tab", R"("a\nb\tc")", "a\nb\tc"},
                    escape_case{"other single letters", R"("\a\b\f\r\v")", "\a\b\f\r\v"},
                    escape_case{"hex", R"("\x41\x7a")", "Az"},
                    escape_case{"octal", R"("\101\060")", "A0"},
                    escape_case{"unicode 4", R"("caf\u00e9")", "caf\xC3\xA9"},
                    escape_case{"unicode 8", R"("\U0001F600")", "\xF0\x9F\x98\x80"},
                    escape_case{"braces and comment markers inside", R"("{ // } /* ")",
                                "{ // } /* "},
                    escape_case{"raw", "`a\\n\"b\"`", "a\\n\"b\""},
                    escape_case{"raw multi-line drops CR", "`a\r\nb`", "a\nb"}),
    [](const auto& p) {
        std::string name = p.param.label;
        for (char& c : name) {
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        }
        return name;
    });

TEST(GoTokenizer, CommentsAreSkippedEvenWithQuotesAndBraces) {
    const auto r = tokenize_go(
        "// Schema: \"core\" {\n"
        "/* Schema: \"x\"\n   } \" ` */ a /* one-line */ b // tail \"\n"
        "c");
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(texts(r), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(r.tokens[0].line, 3);
    EXPECT_EQ(r.tokens[2].line, 4);
}

TEST(GoTokenizer, RawStringsSpanLinesAndKeepLineCount) {
    const auto r = tokenize_go("a `x\ny\nz` b");
    ASSERT_TRUE(r.ok()) << r.error;
    ASSERT_EQ(r.tokens.size(), 3u);
    EXPECT_TRUE(r.tokens[1].raw);
    EXPECT_EQ(r.tokens[1].line, 1);
    EXPECT_EQ(r.tokens[2].line, 3);
}

TEST(GoTokenizer, RunesNumbersAndOperators) {
    const auto r = tokenize_go("f('{', '\\'', 1.5e+3, 0x1F) ... := != &^=");
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(texts(r), (std::vector<std::string>{"f", "(", "'{'", ",", "'\\''", ",", "1.5e+3", ",",
                                                  "0x1F", ")", "...", ":=", "!=", "&^="}));
    EXPECT_EQ(r.tokens[2].kind, go_token_kind::rune);
    EXPECT_EQ(r.tokens[6].kind, go_token_kind::number);
}

struct bad_case {
    const char* label;
    std::string source;
    int line;
    std::string contains;
};

void PrintTo(const bad_case& c, std::ostream* os) {
    *os << c.label;
}

class GoTokenizerError : public testing::TestWithParam<bad_case> {};

TEST_P(GoTokenizerError, ReportsTheLine) {
    const auto r = tokenize_go(GetParam().source);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.tokens.empty());
    EXPECT_EQ(r.error_line, GetParam().line);
    EXPECT_NE(r.error.find(GetParam().contains), std::string::npos) << r.error;
}

INSTANTIATE_TEST_SUITE_P(
    GoTokenizerBad, GoTokenizerError,
    testing::Values(bad_case{"unterminated string", "a\nb = \"abc\nc", 2, "not closed"},
                    bad_case{"string at end of file", "a = \"abc", 1, "not closed"},
                    bad_case{"unterminated raw string", "a\n`abc\n", 2, "not closed"},
                    bad_case{"unterminated comment", "a\n\n/* x\n", 3, "not closed"},
                    bad_case{"unknown escape", "\n\"a\\q\"", 2, "unknown escape"},
                    bad_case{"single quote escape in string", "\"\\'\"", 1, "unknown escape"},
                    bad_case{"short hex escape", "\"\\x4\"", 1, "hexadecimal"},
                    bad_case{"surrogate", "\"\\uD800\"", 1, "Unicode"},
                    bad_case{"octal too large", "\"\\400\"", 1, "larger"},
                    bad_case{"empty rune", "''", 1, "empty rune"},
                    bad_case{"stray character", "a\n#b", 2, "unexpected character"}),
    [](const auto& p) {
        std::string name = p.param.label;
        for (char& c : name) {
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        }
        return name;
    });

}  // namespace
}  // namespace bfm::core
