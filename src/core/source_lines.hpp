#pragma once
// Lines of a source file with their 1-based numbers, for loaders that report file:line.
// LF, CRLF and a lone CR each end one line (as in the checksum), so line numbers agree with
// what editors show for every line-ending style.

#include <cstddef>
#include <string_view>

namespace bfm::core {

struct source_line {
    std::string_view text;  // without the line ending
    int number = 0;         // 1-based
    std::size_t begin = 0;  // offset of the first character in the whole text
    std::size_t next = 0;   // offset just after the line ending
};

// Iterates the lines of `text`: `while (lines.next(line)) ...`. A final line without an ending
// is a line; an ending at the very end does not start an empty one.
class source_line_reader {
public:
    explicit source_line_reader(std::string_view text, int first_number = 1)
        : text_(text), number_(first_number - 1) {}

    bool next(source_line& line);

private:
    std::string_view text_;
    std::size_t offset_ = 0;
    int number_;
};

struct line_column {
    int line = 1;    // 1-based
    int column = 1;  // 1-based, in bytes
};

// Line and column of byte `offset` in `text` (an offset past the end gives the end position).
line_column position_at(std::string_view text, std::size_t offset);

}  // namespace bfm::core
