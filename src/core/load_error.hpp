#pragma once
#include <string>

namespace bfm::core {

// A problem found while loading an sfm tree. It names the file (relative to the sfm root)
// and the 1-based line (0 when the problem is about the file as a whole).
struct load_error {
    std::string file;
    int line = 0;
    std::string message;

    std::string to_string() const;  // "file:line: message" (or "file: message")
};

}  // namespace bfm::core
