#include "core/tag_list.hpp"

#include "core/text.hpp"

namespace bfm::core {

namespace {

std::string describe(const tag_origin& where, const tag_origin& other) {
    if (other.file == where.file) return "line " + std::to_string(other.line);
    return other.file + ":" + std::to_string(other.line);
}

}  // namespace

tag_parse parse_migration_tag(std::string_view text) {
    tag_parse r;
    text = trim(text);
    if (text.empty()) {
        r.error = "empty tag (tags are key=value, separated by commas)";
        return r;
    }
    const std::size_t eq = text.find('=');
    if (eq == std::string_view::npos) {
        r.error = "tag " + quote_for_message(text) + " must be key=value";
        return r;
    }
    const std::string_view key = trim(text.substr(0, eq));
    if (key.empty()) {
        r.error = "tag " + quote_for_message(text) + " has an empty key";
        return r;
    }
    if (key.find_first_of(" \t") != std::string_view::npos) {
        r.error = "tag key " + quote_for_message(key) + " contains blanks";
        return r;
    }
    r.value.key = to_lower_ascii(key);
    r.value.value = std::string(trim(text.substr(eq + 1)));
    return r;
}

std::optional<std::string> tag_set::add(const tag& t, const tag_origin& where) {
    for (const entry& e : entries_) {
        if (e.value.key != t.key) continue;
        if (e.value.value == t.value) return std::nullopt;
        return "tag " + quote_for_message(t.key) + " is " + quote_for_message(t.value)
               + " here but " + quote_for_message(e.value.value) + " at " + describe(where, e.where)
               + ": a migration has one value per tag key";
    }
    entries_.push_back({t, where});
    return std::nullopt;
}

std::vector<tag> tag_set::tags() const {
    std::vector<tag> out;
    out.reserve(entries_.size());
    for (const entry& e : entries_) out.push_back(e.value);
    return out;
}

}  // namespace bfm::core
