// Statement splitting for `transaction off` migrations: any text, never a crash.
// Invariants: every piece is non-empty and starts with a non-blank; pieces appear in script
// order with non-decreasing start lines within the script's line count; a script without ';'
// is at most one piece.

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "core/sql_statements.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view script(reinterpret_cast<const char*>(data), size);
    const auto statements = bfm::core::split_sql_statements(script);
    const int lines = 1 + static_cast<int>(std::count(script.begin(), script.end(), '\n'));
    int previous_line = 1;
    std::size_t searched_from = 0;
    for (const auto& s : statements) {
        if (s.text.empty()) bfm::fuzz::invariant_failed("empty statement");
        if (std::isspace(static_cast<unsigned char>(s.text.front()))) {
            bfm::fuzz::invariant_failed("statement starts with a blank", s.text);
        }
        if (s.first_line < previous_line || s.first_line > lines) {
            bfm::fuzz::invariant_failed("line out of order", std::to_string(s.first_line));
        }
        const auto at = script.find(s.text, searched_from);
        if (at == std::string_view::npos) bfm::fuzz::invariant_failed("text not in script", s.text);
        searched_from = at + s.text.size();
        previous_line = s.first_line;
    }
    if (script.find(';') == std::string_view::npos && statements.size() > 1) {
        bfm::fuzz::invariant_failed("split without a semicolon");
    }
    return 0;
}
