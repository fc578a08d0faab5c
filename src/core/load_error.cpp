#include "core/load_error.hpp"

namespace bfm::core {

std::string load_error::to_string() const {
    if (line == 0) return file + ": " + message;
    return file + ":" + std::to_string(line) + ": " + message;
}

}  // namespace bfm::core
