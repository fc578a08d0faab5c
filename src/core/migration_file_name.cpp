#include "core/migration_file_name.hpp"

#include <vector>

#include "core/schema_name.hpp"
#include "core/text.hpp"

namespace bfm::core {

namespace {

constexpr std::size_t max_version_digits = 19;  // every 19-digit number fits in uint64
constexpr std::size_t seed_version_digits = 14;

const std::string accepted_sql_names =
    "expected {version}_{name}.up.sql (optional {version}_{name}.down.sql), "
    "{version}_{name}.sql with -- +migrate Up / Down sections, or "
    "{schema}_{table}_{version}_{name}.sql (optional ..._down.sql, version = 14 digits)";
const std::string accepted_json_names =
    "etcd migrations are {version}_{name}.up.json (optional {version}_{name}.down.json and "
    "{version}_{name}.meta.json)";
const std::string json_only_for_etcd =
    "JSON migrations and .meta.json sidecars are for etcd; SQL migrations are .sql files with "
    "-- bfm: header lines";

bool ends_with_ci(std::string_view text, std::string_view lower_suffix) {
    return text.size() >= lower_suffix.size()
           && to_lower_ascii(text.substr(text.size() - lower_suffix.size())) == lower_suffix;
}

file_name_parse invalid(std::string message) {
    file_name_parse r;
    r.kind = file_name_kind::invalid;
    r.error = std::move(message);
    return r;
}

file_name_parse too_long_version(std::string_view version) {
    return invalid("version " + std::string(version) + " has more than "
                   + std::to_string(max_version_digits) + " digits");
}

std::size_t leading_digits(std::string_view text) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    return digits;
}

// `{digits}_` starts the name of conventions A, C and D (a B name starts with its schema).
bool starts_with_version(std::string_view stem) {
    const std::size_t digits = leading_digits(stem);
    return digits > 0 && digits < stem.size() && stem[digits] == '_';
}

// Conventions A, C and D: leading digits, '_', then a non-empty name.
file_name_parse parse_paired(std::string_view stem, script_role role, const std::string& expected,
                             naming_convention convention = naming_convention::paired) {
    const std::size_t digits = leading_digits(stem);
    if (digits == 0 || digits + 1 >= stem.size() || stem[digits] != '_') {
        return invalid("file name does not match a naming convention: " + expected);
    }
    if (digits > max_version_digits) return too_long_version(stem.substr(0, digits));
    file_name_parse r;
    r.kind = file_name_kind::migration;
    r.parsed.convention = convention;
    r.parsed.role = role;
    r.parsed.stem = std::string(stem);
    r.parsed.version = std::string(stem.substr(0, digits));
    r.parsed.name = std::string(stem.substr(digits + 1));
    return r;
}

std::vector<std::string_view> split_underscores(std::string_view text) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = text.find('_', start);
        parts.push_back(text.substr(start, end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return parts;
}

std::string join_underscores(const std::vector<std::string_view>& parts, std::size_t from,
                             std::size_t to) {
    std::string out;
    for (std::size_t i = from; i < to; ++i) {
        if (i > from) out += '_';
        out += parts[i];
    }
    return out;
}

// Convention B: {schema}_{table...}_{14 digits}_{name...}; the first 14-digit part is the version.
file_name_parse parse_seed(std::string_view stem, script_role role) {
    const auto parts = split_underscores(stem);
    std::size_t version_at = parts.size();
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts[i].size() == seed_version_digits && is_all_digits(parts[i])) {
            version_at = i;
            break;
        }
    }
    if (version_at == parts.size() || version_at == 0) {
        return invalid("file name does not match a naming convention: " + accepted_sql_names);
    }
    if (version_at < 2) {
        return invalid(
            "file name needs {schema}_{table}_ before the 14-digit version "
            "(convention B: {schema}_{table}_{version}_{name}.sql)");
    }
    const std::string table = join_underscores(parts, 1, version_at);
    const std::string name = join_underscores(parts, version_at + 1, parts.size());
    if (name.empty() || table.empty() || parts[1].empty()) {
        return invalid(
            "file name needs a non-empty table and name around the version "
            "(convention B: {schema}_{table}_{version}_{name}.sql)");
    }
    if (auto problem = validate_schema_name(parts[0])) {
        return invalid("the schema part of the file name is invalid: " + *problem);
    }
    file_name_parse r;
    r.kind = file_name_kind::migration;
    r.parsed.convention = naming_convention::seed;
    r.parsed.role = role;
    r.parsed.stem = std::string(stem);
    r.parsed.version = std::string(parts[version_at]);
    r.parsed.name = name;
    r.parsed.schema = std::string(parts[0]);
    r.parsed.table = table;
    return r;
}

// `{version}_{name}.go` beside a migration is an upstream stub; other Go files (helpers,
// `_test.go`) are not migrations.
file_name_parse parse_go_name(std::string_view file_name) {
    if (ends_with_ci(file_name, "_test.go")) return {};
    const std::string_view stem = file_name.substr(0, file_name.size() - 3);
    if (!starts_with_version(stem)) return {};
    return parse_paired(stem, script_role::stub, "", naming_convention::upstream_stub);
}

file_name_parse parse_json_name(std::string_view file_name) {
    if (ends_with_ci(file_name, ".meta.json")) {
        return parse_paired(file_name.substr(0, file_name.size() - 10), script_role::meta,
                            accepted_json_names);
    }
    if (ends_with_ci(file_name, ".up.json")) {
        return parse_paired(file_name.substr(0, file_name.size() - 8), script_role::up,
                            accepted_json_names);
    }
    if (ends_with_ci(file_name, ".down.json")) {
        return parse_paired(file_name.substr(0, file_name.size() - 10), script_role::down,
                            accepted_json_names);
    }
    if (ends_with_ci(file_name, ".json") || ends_with_ci(file_name, ".sql")) {
        return invalid("file name does not match a naming convention: " + accepted_json_names);
    }
    return {};
}

file_name_parse parse_sql_name(std::string_view file_name) {
    if (ends_with_ci(file_name, ".up.json") || ends_with_ci(file_name, ".down.json")
        || ends_with_ci(file_name, ".meta.json")) {
        return invalid(json_only_for_etcd);
    }
    if (ends_with_ci(file_name, ".up.sql")) {
        return parse_paired(file_name.substr(0, file_name.size() - 7), script_role::up,
                            accepted_sql_names);
    }
    if (ends_with_ci(file_name, ".down.sql")) {
        return parse_paired(file_name.substr(0, file_name.size() - 9), script_role::down,
                            accepted_sql_names);
    }
    if (!ends_with_ci(file_name, ".sql")) return {};
    std::string_view stem = file_name.substr(0, file_name.size() - 4);
    // A schema name never starts with a digit, so `{digits}_...` is always convention C (even
    // when its name ends in `_down` or contains a 14-digit part).
    if (starts_with_version(stem)) {
        return parse_paired(stem, script_role::up, accepted_sql_names,
                            naming_convention::single_file);
    }
    if (ends_with_ci(stem, "_down")) {
        return parse_seed(stem.substr(0, stem.size() - 5), script_role::down);
    }
    return parse_seed(stem, script_role::up);
}

}  // namespace

file_name_parse parse_migration_file_name(std::string_view file_name, std::string_view backend) {
    if (ends_with_ci(file_name, ".go")) return parse_go_name(file_name);
    if (backend == "etcd") return parse_json_name(file_name);
    return parse_sql_name(file_name);
}

}  // namespace bfm::core
