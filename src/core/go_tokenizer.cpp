#include "core/go_tokenizer.hpp"

#include <cstdint>

#include "core/text.hpp"

namespace bfm::core {

namespace {

bool is_letter(char c) {
    // Bytes of multi-byte UTF-8 sequences count as letters: Go identifiers may be Unicode.
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
           || static_cast<unsigned char>(c) >= 0x80;
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Go operators, longest first so that the longest match wins.
constexpr std::string_view operators[] = {"<<=", ">>=", "&^=", "...", "&&", "||", "<-", "++", "--",
                                          "==",  "!=",  "<=",  ">=",  ":=", "+=", "-=", "*=", "/=",
                                          "%=",  "&=",  "|=",  "^=",  "<<", ">>", "&^"};
constexpr std::string_view single_operators = "+-*/%&|^<>=!()[]{},;.:~";

class go_lexer {
public:
    explicit go_lexer(std::string_view source) : src_(source) {
        if (src_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
    }

    go_tokenize_result run() {
        while (result_.ok()) {
            skip_blanks_and_comments();
            if (!result_.ok() || pos_ >= src_.size()) break;
            lex_token();
        }
        if (!result_.ok()) result_.tokens.clear();
        return std::move(result_);
    }

private:
    char peek(std::size_t ahead = 0) const {
        return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
    }
    bool at_end() const { return pos_ >= src_.size(); }

    void advance() {
        if (src_[pos_] == '\n') {
            ++line_;
            line_begin_ = pos_ + 1;
        }
        ++pos_;
    }

    int column() const { return static_cast<int>(pos_ - line_begin_) + 1; }

    void fail(int line, std::string message) {
        if (!result_.ok()) return;
        result_.error = std::move(message);
        result_.error_line = line;
    }

    void skip_blanks_and_comments() {
        while (!at_end()) {
            const char c = peek();
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                advance();
            } else if (c == '/' && peek(1) == '/') {
                while (!at_end() && peek() != '\n') advance();
            } else if (c == '/' && peek(1) == '*') {
                const int start = line_;
                advance();
                advance();
                while (!at_end() && !(peek() == '*' && peek(1) == '/')) advance();
                if (at_end()) return fail(start, "comment /* is not closed");
                advance();
                advance();
            } else {
                return;
            }
        }
    }

    void lex_token() {
        go_token token;
        token.line = line_;
        token.column = column();
        const char c = peek();
        if (is_letter(c)) {
            const std::size_t start = pos_;
            while (!at_end() && (is_letter(peek()) || is_digit(peek()))) advance();
            token.kind = go_token_kind::identifier;
            token.text = std::string(src_.substr(start, pos_ - start));
        } else if (is_digit(c) || (c == '.' && is_digit(peek(1)))) {
            lex_number(token);
        } else if (c == '"') {
            lex_interpreted_string(token);
        } else if (c == '`') {
            lex_raw_string(token);
        } else if (c == '\'') {
            lex_rune(token);
        } else {
            lex_operator(token);
        }
        if (result_.ok()) result_.tokens.push_back(std::move(token));
    }

    void lex_number(go_token& token) {
        const std::size_t start = pos_;
        const bool hex = peek() == '0' && (peek(1) == 'x' || peek(1) == 'X');
        while (!at_end()) {
            const char c = peek();
            const char prev = pos_ > start ? src_[pos_ - 1] : '\0';
            const bool exponent_sign =
                (c == '+' || c == '-')
                && (((prev == 'e' || prev == 'E') && !hex) || prev == 'p' || prev == 'P');
            if (!(is_letter(c) || is_digit(c) || c == '.' || exponent_sign)) break;
            advance();
        }
        token.kind = go_token_kind::number;
        token.text = std::string(src_.substr(start, pos_ - start));
    }

    // After a backslash inside an interpreted string or rune; appends the decoded bytes.
    bool lex_escape(std::string& out, char quote) {
        const int line = line_;
        const char c = peek();
        if (at_end()) return false;
        auto simple = [&](char value) {
            out += value;
            advance();
            return true;
        };
        switch (c) {
            case 'a':
                return simple('\a');
            case 'b':
                return simple('\b');
            case 'f':
                return simple('\f');
            case 'n':
                return simple('\n');
            case 'r':
                return simple('\r');
            case 't':
                return simple('\t');
            case 'v':
                return simple('\v');
            case '\\':
                return simple('\\');
            default:
                break;
        }
        if (c == quote) return simple(quote);
        if (c == 'x' || c == 'u' || c == 'U') {
            const int digits = c == 'x' ? 2 : (c == 'u' ? 4 : 8);
            advance();
            std::uint32_t value = 0;
            for (int i = 0; i < digits; ++i) {
                const int v = hex_value(peek());
                if (v < 0 || at_end()) {
                    fail(line, std::string("escape \\") + c + " needs " + std::to_string(digits)
                                   + " hexadecimal digits");
                    return false;
                }
                value = value * 16 + static_cast<std::uint32_t>(v);
                advance();
            }
            if (c == 'x') {
                out += static_cast<char>(value);
            } else if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
                fail(line, "escape is not a valid Unicode code point");
                return false;
            } else {
                append_utf8(out, value);
            }
            return true;
        }
        if (c >= '0' && c <= '7') {
            std::uint32_t value = 0;
            for (int i = 0; i < 3; ++i) {
                const char d = peek();
                if (d < '0' || d > '7' || at_end()) {
                    fail(line, "octal escape needs 3 digits (\\000 to \\377)");
                    return false;
                }
                value = value * 8 + static_cast<std::uint32_t>(d - '0');
                advance();
            }
            if (value > 255) {
                fail(line, "octal escape is larger than \\377");
                return false;
            }
            out += static_cast<char>(value);
            return true;
        }
        fail(line, "unknown escape sequence \\" + std::string(1, c) + " in a "
                       + (quote == '"' ? "string" : "rune") + " literal");
        return false;
    }

    void lex_interpreted_string(go_token& token) {
        const int start = line_;
        advance();  // opening quote
        token.kind = go_token_kind::string;
        while (true) {
            if (at_end() || peek() == '\n') {
                return fail(start, "string literal is not closed on its line");
            }
            const char c = peek();
            if (c == '"') {
                advance();
                return;
            }
            if (c == '\\') {
                advance();
                if (!lex_escape(token.text, '"')) {
                    return fail(start, "string literal is not closed on its line");
                }
                continue;
            }
            token.text += c;
            advance();
        }
    }

    void lex_raw_string(go_token& token) {
        const int start = line_;
        advance();  // opening backquote
        token.kind = go_token_kind::string;
        token.raw = true;
        while (!at_end() && peek() != '`') {
            if (peek() != '\r') token.text += peek();
            advance();
        }
        if (at_end()) return fail(start, "raw string literal ` is not closed");
        advance();
    }

    void lex_rune(go_token& token) {
        const int start = line_;
        const std::size_t begin = pos_;
        advance();
        std::string value;
        while (true) {
            if (at_end() || peek() == '\n') return fail(start, "rune literal is not closed");
            if (peek() == '\'') {
                advance();
                break;
            }
            if (peek() == '\\') {
                advance();
                if (!lex_escape(value, '\'')) return fail(start, "rune literal is not closed");
                continue;
            }
            value += peek();
            advance();
        }
        if (value.empty()) return fail(start, "empty rune literal ''");
        token.kind = go_token_kind::rune;
        token.text = std::string(src_.substr(begin, pos_ - begin));
    }

    void lex_operator(go_token& token) {
        token.kind = go_token_kind::punct;
        const std::string_view rest = src_.substr(pos_);
        for (std::string_view op : operators) {
            if (rest.starts_with(op)) {
                token.text = std::string(op);
                for (std::size_t i = 0; i < op.size(); ++i) advance();
                return;
            }
        }
        const char c = peek();
        if (single_operators.find(c) == std::string_view::npos) {
            return fail(line_, "unexpected character " + quote_for_message(std::string(1, c))
                                   + " in Go source");
        }
        token.text = std::string(1, c);
        advance();
    }

    std::string_view src_;
    std::size_t pos_ = 0;
    int line_ = 1;
    std::size_t line_begin_ = 0;
    go_tokenize_result result_;
};

}  // namespace

go_tokenize_result tokenize_go(std::string_view source) {
    return go_lexer(source).run();
}

}  // namespace bfm::core
