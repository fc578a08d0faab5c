#include "core/source_lines.hpp"

namespace bfm::core {

bool source_line_reader::next(source_line& line) {
    if (offset_ >= text_.size()) return false;
    const std::size_t end = text_.find_first_of("\r\n", offset_);
    std::size_t next = end == std::string_view::npos ? text_.size() : end + 1;
    if (end != std::string_view::npos && text_[end] == '\r' && next < text_.size()
        && text_[next] == '\n') {
        ++next;
    }
    line.text =
        text_.substr(offset_, (end == std::string_view::npos ? text_.size() : end) - offset_);
    line.number = ++number_;
    line.begin = offset_;
    line.next = next;
    offset_ = next;
    return true;
}

line_column position_at(std::string_view text, std::size_t offset) {
    if (offset > text.size()) offset = text.size();
    line_column at;
    std::size_t line_begin = 0;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) {
            ++at.line;
            line_begin = i + 1;
        }
    }
    at.column = static_cast<int>(offset - line_begin) + 1;
    return at;
}

}  // namespace bfm::core
