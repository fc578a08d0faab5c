#include "core/dependency_spec.hpp"

#include "core/text.hpp"

namespace bfm::core {

namespace {

constexpr std::size_t max_version_digits = 19;

bool is_connection_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
           || c == '-' || c == '.';
}

// Names come from file names: anything but blanks, control characters and the separators of
// this syntax.
bool is_name_char(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte != 0x7f && c != ':' && c != '@' && c != ',' && c != '"' && c != '\'';
}

template <class Pred>
bool all_of(std::string_view text, Pred pred) {
    for (char c : text) {
        if (!pred(c)) return false;
    }
    return true;
}

dependency_spec_parse fail(std::string message) {
    dependency_spec_parse r;
    r.error = std::move(message);
    return r;
}

const std::string syntax = " (expected [connection:]name or [connection:]@version)";

}  // namespace

dependency_spec_parse parse_dependency_spec(std::string_view text) {
    text = trim(text);
    if (text.empty()) return fail("empty dependency" + syntax);
    const std::string shown = quote_for_message(text);
    std::string_view connection;
    std::string_view target = text;
    if (const std::size_t colon = text.find(':'); colon != std::string_view::npos) {
        connection = text.substr(0, colon);
        target = text.substr(colon + 1);
        if (connection.empty())
            return fail("dependency " + shown + " has an empty connection" + syntax);
        if (!all_of(connection, is_connection_char)) {
            return fail("dependency " + shown + ": connection " + quote_for_message(connection)
                        + " may only contain letters, digits, '_', '-' and '.'");
        }
    }
    dependency_spec_parse r;
    r.value.connection = std::string(connection);
    if (target.starts_with('@')) {
        const std::string_view version = target.substr(1);
        if (!is_all_digits(version)) {
            return fail("dependency " + shown + ": a version after '@' must be digits" + syntax);
        }
        if (version.size() > max_version_digits) {
            return fail("dependency " + shown + ": version has more than 19 digits");
        }
        r.value.target = std::string(version);
        r.value.target_type = dependency::kind::version;
        return r;
    }
    if (target.empty()) return fail("dependency " + shown + " has an empty name" + syntax);
    if (!all_of(target, is_name_char)) {
        return fail("dependency " + shown + ": name " + quote_for_message(target)
                    + " contains a character that is not allowed (blank, ':', '@', ',', quote)"
                    + syntax);
    }
    r.value.target = std::string(target);
    r.value.target_type = dependency::kind::name;
    return r;
}

bool same_dependency(const dependency& a, const dependency& b) {
    return a.connection == b.connection && a.schema == b.schema && a.target == b.target
           && a.target_type == b.target_type && a.requires_table == b.requires_table
           && a.requires_schema == b.requires_schema;
}

}  // namespace bfm::core
