#include "core/target_filter.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace bfm::core {

namespace {

bool version_matches(const version_filter& filter, const migration& m) {
    if (filter.version.empty()) return true;
    if (filter.up_to) return m.version_number <= filter.number;
    // "0042" and "42" name the same version: versions compare numerically (SPEC 1.1).
    return m.version == filter.version
           || (is_all_digits(filter.version) && m.version_number == filter.number);
}

// Every filter tag must be on the migration: keys compare case-insensitively, values exactly.
// When a migration carries a key twice, the last one counts (as upstream's tag map).
bool tags_match(const std::vector<tag>& required, const migration& m) {
    for (const tag& want : required) {
        const std::string key = to_lower_ascii(want.key);
        const tag* have = nullptr;
        for (const tag& t : m.tags) {
            if (to_lower_ascii(t.key) == key) have = &t;
        }
        if (have == nullptr || have->value != want.value) return false;
    }
    return true;
}

}  // namespace

bool target_filter::matches(const migration& m) const {
    if (!backend.empty() && canonical_backend(backend) != canonical_backend(m.backend)) {
        return false;
    }
    if (!connection.empty() && connection != m.connection) return false;
    if (!schema.empty() && schema != m.schema) return false;
    if (!tables.empty() && std::find(tables.begin(), tables.end(), m.table) == tables.end()) {
        return false;
    }
    return version_matches(version, m) && tags_match(tags, m);
}

tag_parse_result parse_tag_filter(const std::vector<std::string>& raw) {
    tag_parse_result result;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const auto fail = [&](std::string_view what) {
            return tag_parse_result{{}, "tags[" + std::to_string(i) + "]: " + std::string(what)};
        };
        const std::string_view text = trim(raw[i]);
        if (text.empty()) return fail("empty tag");
        const std::size_t eq = text.find('=');
        // "=v" is refused here, as upstream does, so the key is never empty below (upstream's
        // "empty key" error cannot happen either: the whole tag was trimmed first).
        if (eq == std::string_view::npos || eq == 0) return fail("tag must be key=value");
        // The value is everything after the first '=' and may contain '=' itself.
        std::string key = to_lower_ascii(trim(text.substr(0, eq)));
        std::string value(trim(text.substr(eq + 1)));
        auto same_key = [&](const tag& t) { return t.key == key; };
        if (auto it = std::find_if(result.tags.begin(), result.tags.end(), same_key);
            it != result.tags.end()) {
            it->value = std::move(value);  // a repeated key: the last value wins
        } else {
            result.tags.push_back({std::move(key), std::move(value)});
        }
    }
    return result;
}

}  // namespace bfm::core
