#include "core/migrate_sections.hpp"

#include "core/source_lines.hpp"
#include "core/text.hpp"

namespace bfm::core {

namespace {

struct marker {
    std::string directive;  // lower-cased: up, down, statementbegin, statementend, or other
    std::string_view rest;  // words after the directive
};

std::optional<marker> read_marker(std::string_view line) {
    line = trim(line);
    if (!line.starts_with("--")) return std::nullopt;
    std::string_view rest = trim(line.substr(2));
    static constexpr std::string_view keyword = "+migrate";
    if (rest.size() < keyword.size() || to_lower_ascii(rest.substr(0, keyword.size())) != keyword) {
        return std::nullopt;
    }
    rest.remove_prefix(keyword.size());
    if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') return std::nullopt;
    rest = trim(rest);
    const std::size_t word_end = rest.find_first_of(" \t");
    marker m;
    m.directive = to_lower_ascii(rest.substr(0, word_end));
    m.rest = word_end == std::string_view::npos ? std::string_view{} : trim(rest.substr(word_end));
    return m;
}

bool has_no_transaction(std::string_view words) {
    while (!words.empty()) {
        const std::size_t end = words.find_first_of(" \t");
        if (to_lower_ascii(words.substr(0, end)) == "notransaction") return true;
        if (end == std::string_view::npos) break;
        words = trim(words.substr(end));
    }
    return false;
}

class section_splitter {
public:
    section_splitter(std::string_view text, const std::string& file) : text_(text), file_(file) {}

    migrate_sections run() {
        source_line_reader lines(text_);
        source_line line;
        while (lines.next(line)) {
            if (const auto m = read_marker(line.text)) {
                on_marker(*m, line);
            } else if (state_ == state::before_up && !reported_sql_before_up_) {
                const std::string_view t = trim(line.text);
                if (!t.empty() && !t.starts_with("--")) {
                    reported_sql_before_up_ = true;
                    error(line.number,
                          "SQL before -- +migrate Up belongs to neither script (put it after the "
                          "Up marker)");
                }
            }
        }
        if (statement_open_line_ != 0) {
            error(statement_open_line_,
                  "-- +migrate StatementBegin is never closed by "
                  "-- +migrate StatementEnd");
        }
        if (state_ == state::before_up) {
            // Without an Up marker nothing else in the file can be placed: one error says so.
            r_.errors.clear();
            error(0,
                  "a single-file migration ({version}_{name}.sql) needs a -- +migrate Up line "
                  "before its up script (and optionally -- +migrate Down before the down "
                  "script)");
            return std::move(r_);
        }
        const std::size_t up_end = down_marker_begin_ == npos ? text_.size() : down_marker_begin_;
        r_.up = text_.substr(up_begin_, up_end - up_begin_);
        r_.header_region = text_.substr(0, up_end);
        if (down_marker_begin_ != npos) r_.down = text_.substr(down_begin_);
        return std::move(r_);
    }

private:
    enum class state { before_up, in_up, in_down };
    static constexpr std::size_t npos = std::string_view::npos;

    void on_marker(const marker& m, const source_line& line) {
        if (m.directive == "up") {
            if (state_ != state::before_up) {
                return error(line.number, "a second -- +migrate Up (the first is at line "
                                              + std::to_string(up_marker_line_) + ")");
            }
            state_ = state::in_up;
            up_marker_line_ = line.number;
            up_begin_ = line.next;
            r_.up_first_line = line.number + 1;
            if (has_no_transaction(m.rest)) r_.no_transaction_line = line.number;
        } else if (m.directive == "down") {
            if (state_ == state::before_up) {
                return error(line.number, "-- +migrate Down before -- +migrate Up");
            }
            if (state_ == state::in_down) {
                return error(line.number, "a second -- +migrate Down (the first is at line "
                                              + std::to_string(down_marker_line_) + ")");
            }
            close_statement_at_section_end(line.number);
            state_ = state::in_down;
            down_marker_line_ = line.number;
            down_marker_begin_ = line.begin;
            down_begin_ = line.next;
            r_.down_first_line = line.number + 1;
            if (has_no_transaction(m.rest) && r_.no_transaction_line == 0) {
                error(line.number,
                      "notransaction on the Down marker only: transaction mode is per migration, "
                      "put notransaction on the Up marker (or use -- bfm:transaction off)");
            }
        } else if (m.directive == "statementbegin") {
            if (state_ == state::before_up) {
                return error(line.number, "-- +migrate StatementBegin before -- +migrate Up");
            }
            if (statement_open_line_ != 0) {
                return error(line.number,
                             "-- +migrate StatementBegin inside the statement "
                             "opened at line "
                                 + std::to_string(statement_open_line_));
            }
            statement_open_line_ = line.number;
        } else if (m.directive == "statementend") {
            if (statement_open_line_ == 0) {
                return error(line.number, "-- +migrate StatementEnd without StatementBegin");
            }
            statement_open_line_ = 0;
        } else {
            error(line.number, "unknown marker -- +migrate " + quote_for_message(m.directive)
                                   + " (known: Up, Down, StatementBegin, StatementEnd)");
        }
    }

    void close_statement_at_section_end(int line) {
        if (statement_open_line_ == 0) return;
        error(statement_open_line_,
              "-- +migrate StatementBegin is not closed before the "
              "-- +migrate Down at line "
                  + std::to_string(line));
        statement_open_line_ = 0;
    }

    void error(int line, std::string message) {
        r_.errors.push_back({file_, line, std::move(message)});
    }

    std::string_view text_;
    const std::string& file_;
    migrate_sections r_;
    state state_ = state::before_up;
    bool reported_sql_before_up_ = false;
    int up_marker_line_ = 0;
    int down_marker_line_ = 0;
    int statement_open_line_ = 0;
    std::size_t up_begin_ = 0;
    std::size_t down_marker_begin_ = npos;
    std::size_t down_begin_ = 0;
};

}  // namespace

migrate_sections split_migrate_sections(std::string_view text, const std::string& file) {
    return section_splitter(text, file).run();
}

}  // namespace bfm::core
