#pragma once
// Small ASCII text helpers shared by the loaders, the configuration and request validation.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bfm::core {

std::string to_lower_ascii(std::string_view text);
std::string to_upper_ascii(std::string_view text);

// Without leading/trailing spaces, tabs, CR and LF.
std::string_view trim(std::string_view text);

bool is_all_digits(std::string_view text);  // false for ""

// Decimal digits only, no sign; nullopt when empty, not digits or out of range.
std::optional<std::uint64_t> parse_uint64(std::string_view digits);

// `value` in double quotes for an error message: `"` and `\` are escaped, bytes outside
// printable ASCII are shown as \xNN, and very long values are cut (the length is kept).
std::string quote_for_message(std::string_view value);

}  // namespace bfm::core
