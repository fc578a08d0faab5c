#pragma once
// A tokenizer for Go source, enough to read upstream `.go` metadata stubs without regexes:
// comments (`//`, `/* */`) are skipped, interpreted string literals are decoded (\" \\ \n \t
// \xNN \NNN \uNNNN \UNNNNNNNN ...), raw `...` strings are taken as written (carriage returns
// dropped, as Go does), rune literals, numbers, identifiers and punctuation are tokens of their
// own. Go's automatic semicolons are not needed by the stub reader and are not produced.

#include <string>
#include <string_view>
#include <vector>

namespace bfm::core {

enum class go_token_kind {
    identifier,  // text: the identifier (keywords included)
    string,      // text: the decoded value of an interpreted or raw string literal
    rune,        // text: the literal as written, quotes included
    number,      // text: as written
    punct,       // text: one or more operator characters ("{", ":", "&", "...", "+=")
};

struct go_token {
    go_token_kind kind = go_token_kind::punct;
    std::string text;
    int line = 0;      // 1-based, where the token starts
    int column = 0;    // 1-based, in bytes
    bool raw = false;  // string tokens: written as a raw `...` literal

    bool is(go_token_kind k, std::string_view t) const { return kind == k && text == t; }
    bool is_punct(std::string_view t) const { return is(go_token_kind::punct, t); }
};

struct go_tokenize_result {
    std::vector<go_token> tokens;
    std::string error;  // empty on success; else the first problem, at error_line
    int error_line = 0;

    bool ok() const { return error.empty(); }
};

go_tokenize_result tokenize_go(std::string_view source);

}  // namespace bfm::core
