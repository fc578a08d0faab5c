#include "core/concurrent_index.hpp"

#include <cctype>
#include <string_view>

namespace bfm::core {
namespace {

// Reads words and identifiers of a statement, skipping blanks and comments.
class word_reader {
public:
    explicit word_reader(std::string_view text) : s_(text) {}

    // The next word lower-cased, or a quoted identifier as written (quotes removed, "" -> ").
    // Empty at the end or at punctuation.
    std::string next(bool* quoted = nullptr) {
        skip_blanks();
        if (quoted) *quoted = false;
        if (i_ >= s_.size()) return {};
        if (s_[i_] == '"') {
            if (quoted) *quoted = true;
            std::string out;
            for (++i_; i_ < s_.size(); ++i_) {
                if (s_[i_] == '"') {
                    if (i_ + 1 < s_.size() && s_[i_ + 1] == '"') {
                        out.push_back('"');
                        ++i_;
                    } else {
                        ++i_;
                        break;
                    }
                } else {
                    out.push_back(s_[i_]);
                }
            }
            return out;
        }
        std::string out;
        while (i_ < s_.size()
               && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_'
                   || s_[i_] == '$')) {
            out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(s_[i_]))));
            ++i_;
        }
        return out;
    }

    bool take(char c) {
        skip_blanks();
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }

private:
    void skip_blanks() {
        while (i_ < s_.size()) {
            if (std::isspace(static_cast<unsigned char>(s_[i_]))) {
                ++i_;
            } else if (s_.substr(i_, 2) == "--") {
                const auto eol = s_.find('\n', i_);
                i_ = eol == std::string_view::npos ? s_.size() : eol + 1;
            } else if (s_.substr(i_, 2) == "/*") {
                const auto close = s_.find("*/", i_ + 2);
                i_ = close == std::string_view::npos ? s_.size() : close + 2;
            } else {
                return;
            }
        }
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

}  // namespace

std::vector<std::string> concurrent_index_names(const std::vector<sql_statement>& statements) {
    std::vector<std::string> names;
    for (const auto& statement : statements) {
        word_reader r(statement.text);
        if (r.next() != "create") continue;
        std::string word = r.next();
        if (word == "unique") word = r.next();
        if (word != "index" || r.next() != "concurrently") continue;
        bool quoted = false;
        std::string name = r.next(&quoted);
        if (!quoted && name == "if") {  // IF NOT EXISTS
            if (r.next() != "not" || r.next() != "exists") continue;
            name = r.next(&quoted);
        }
        while (r.take('.')) name = r.next(&quoted);  // schema.index -> index
        if (!name.empty() && (quoted || name != "on")) names.push_back(name);
    }
    return names;
}

}  // namespace bfm::core
