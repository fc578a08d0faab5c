#include "core/schema_name.hpp"

#include "core/text.hpp"

namespace bfm::core {

namespace {

constexpr std::size_t max_schema_name_length = 63;

bool is_letter_or_underscore(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_valid(std::string_view name) {
    if (name.empty() || name.size() > max_schema_name_length) return false;
    if (!is_letter_or_underscore(name.front())) return false;
    for (char c : name) {
        if (!is_letter_or_underscore(c) && !(c >= '0' && c <= '9')) return false;
    }
    return true;
}

}  // namespace

std::optional<std::string> validate_schema_name(std::string_view name) {
    if (is_valid(name)) return std::nullopt;
    return "schema name " + quote_for_message(name)
           + " is invalid: must start with a letter or underscore and contain only letters, digits"
             " and underscores (at most 63 characters)";
}

}  // namespace bfm::core
