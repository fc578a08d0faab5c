#include "core/sql_statements.hpp"

#include <cctype>

namespace bfm::core {
namespace {

bool is_ident_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_ident_char(char c) {
    return is_ident_start(c) || std::isdigit(static_cast<unsigned char>(c));
}

// The dollar-quote opening at `pos` ("$$" or "$tag$"), or empty when there is none there.
std::string_view dollar_tag(std::string_view s, std::size_t pos) {
    std::size_t end = pos + 1;
    if (end < s.size() && is_ident_start(s[end])) {
        while (end < s.size() && is_ident_char(s[end])) ++end;
    }
    if (end < s.size() && s[end] == '$') return s.substr(pos, end - pos + 1);
    return {};
}

// True when the piece holds something besides blanks and comments.
bool has_code(std::string_view piece) {
    std::size_t i = 0;
    while (i < piece.size()) {
        const char c = piece[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
        } else if (piece.substr(i, 2) == "--") {
            const auto eol = piece.find('\n', i);
            i = eol == std::string_view::npos ? piece.size() : eol + 1;
        } else if (piece.substr(i, 2) == "/*") {
            const auto close = piece.find("*/", i + 2);
            i = close == std::string_view::npos ? piece.size() : close + 2;
        } else {
            return true;
        }
    }
    return false;
}

}  // namespace

std::vector<sql_statement> split_sql_statements(std::string_view s) {
    std::vector<sql_statement> out;
    std::size_t start = 0;
    int start_line = 1;
    int line = 1;
    auto finish = [&](std::size_t end) {
        std::string_view piece = s.substr(start, end - start);
        if (!has_code(piece)) return;
        // Leading blanks are dropped so that the text starts at `first_line`: positions the
        // server reports inside the text then map to lines of the script.
        int first = start_line;
        std::size_t skip = 0;
        while (skip < piece.size() && std::isspace(static_cast<unsigned char>(piece[skip]))) {
            first += piece[skip] == '\n';
            ++skip;
        }
        out.push_back({std::string(piece.substr(skip)), first});
    };
    std::size_t i = 0;
    auto advance_to = [&](std::size_t target) {  // moves i, counting lines on the way
        for (; i < target && i < s.size(); ++i) line += s[i] == '\n';
    };
    while (i < s.size()) {
        const char c = s[i];
        if (c == ';') {
            finish(i);
            advance_to(i + 1);
            start = i;
            start_line = line;
        } else if (c == '-' && s.substr(i, 2) == "--") {
            const auto eol = s.find('\n', i);
            advance_to(eol == std::string_view::npos ? s.size() : eol);
        } else if (c == '/' && s.substr(i, 2) == "/*") {
            int depth = 0;
            do {  // block comments nest in PostgreSQL
                if (s.substr(i, 2) == "/*") {
                    ++depth;
                    advance_to(i + 2);
                } else if (s.substr(i, 2) == "*/") {
                    --depth;
                    advance_to(i + 2);
                } else {
                    advance_to(i + 1);
                }
            } while (depth > 0 && i < s.size());
        } else if (c == '\'' || c == '"') {
            // E'...' strings may escape the quote with a backslash; others double it.
            const bool backslash_escapes = c == '\'' && i > 0
                                           && (s[i - 1] == 'E' || s[i - 1] == 'e')
                                           && (i < 2 || !is_ident_char(s[i - 2]));
            advance_to(i + 1);
            while (i < s.size()) {
                if (backslash_escapes && s[i] == '\\') {
                    advance_to(i + 2);
                } else if (s[i] == c) {
                    if (i + 1 < s.size() && s[i + 1] == c) {
                        advance_to(i + 2);  // doubled quote
                    } else {
                        advance_to(i + 1);
                        break;
                    }
                } else {
                    advance_to(i + 1);
                }
            }
        } else if (c == '$' && (i == 0 || !is_ident_char(s[i - 1]))) {
            const auto tag = dollar_tag(s, i);
            if (tag.empty()) {
                advance_to(i + 1);  // a parameter like $1
            } else {
                const auto close = s.find(tag, i + tag.size());
                advance_to(close == std::string_view::npos ? s.size() : close + tag.size());
            }
        } else {
            advance_to(i + 1);
        }
    }
    finish(s.size());
    return out;
}

}  // namespace bfm::core
