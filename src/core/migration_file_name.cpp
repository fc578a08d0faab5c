#include "core/migration_file_name.hpp"

#include <vector>

#include "core/schema_name.hpp"
#include "core/text.hpp"

namespace bfm::core {

namespace {

constexpr std::size_t max_version_digits = 19;  // every 19-digit number fits in uint64
constexpr std::size_t seed_version_digits = 14;

const std::string accepted_sql_names =
    "expected {version}_{name}.up.sql (optional {version}_{name}.down.sql) or "
    "{schema}_{table}_{version}_{name}.sql (optional ..._down.sql, version = 14 digits)";
const std::string accepted_json_names =
    "etcd migrations are {version}_{name}.up.json (optional {version}_{name}.down.json)";

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

// Convention A: leading digits, '_', then a non-empty name.
file_name_parse parse_paired(std::string_view stem, script_role role, const std::string& expected) {
    std::size_t digits = 0;
    while (digits < stem.size() && stem[digits] >= '0' && stem[digits] <= '9') ++digits;
    if (digits == 0 || digits + 1 >= stem.size() || stem[digits] != '_') {
        return invalid("file name does not match a naming convention: " + expected);
    }
    if (digits > max_version_digits) return too_long_version(stem.substr(0, digits));
    file_name_parse r;
    r.kind = file_name_kind::migration;
    r.parsed.convention = naming_convention::paired;
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

file_name_parse parse_json_name(std::string_view file_name) {
    // Sidecars carry metadata of a JSON migration; they are read with it, not as migrations.
    if (ends_with_ci(file_name, ".meta.json")) return {};
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
    if (ends_with_ci(stem, "_down")) {
        return parse_seed(stem.substr(0, stem.size() - 5), script_role::down);
    }
    return parse_seed(stem, script_role::up);
}

}  // namespace

file_name_parse parse_migration_file_name(std::string_view file_name, std::string_view backend) {
    if (backend == "etcd") return parse_json_name(file_name);
    return parse_sql_name(file_name);
}

}  // namespace bfm::core
