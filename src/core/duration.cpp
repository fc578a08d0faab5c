#include <cstdint>
#include <limits>

#include "core/config.hpp"
#include "core/text.hpp"

namespace bfm::core {

namespace {

std::optional<std::int64_t> unit_milliseconds(std::string_view unit) {
    if (unit == "ms") return 1;
    if (unit == "s") return 1000;
    if (unit == "m") return 60 * 1000;
    if (unit == "h") return 60 * 60 * 1000;
    return std::nullopt;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    text = trim(text);
    if (text.empty()) return std::nullopt;
    constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
    if (is_all_digits(text)) {
        const auto seconds = parse_uint64(text);
        if (!seconds || *seconds > static_cast<std::uint64_t>(max / 1000)) return std::nullopt;
        return std::chrono::milliseconds(static_cast<std::int64_t>(*seconds) * 1000);
    }
    std::int64_t total = 0;
    while (!text.empty()) {
        std::size_t digits = 0;
        while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
        std::size_t letters = digits;
        while (letters < text.size() && text[letters] >= 'a' && text[letters] <= 'z') ++letters;
        const auto amount = parse_uint64(text.substr(0, digits));
        const auto unit = unit_milliseconds(text.substr(digits, letters - digits));
        if (!amount || !unit) return std::nullopt;
        if (*amount > static_cast<std::uint64_t>(max / *unit)) return std::nullopt;
        const std::int64_t part = static_cast<std::int64_t>(*amount) * *unit;
        if (part > max - total) return std::nullopt;
        total += part;
        text.remove_prefix(letters);
    }
    return std::chrono::milliseconds(total);
}

}  // namespace bfm::core
