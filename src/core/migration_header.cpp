#include "core/migration_header.hpp"

#include "core/config.hpp"
#include "core/dependency_spec.hpp"
#include "core/schema_name.hpp"
#include "core/source_lines.hpp"
#include "core/tag_list.hpp"
#include "core/text.hpp"

namespace bfm::core {

namespace {

constexpr std::string_view known_keys_text =
    "schema, table, depends, depends-schema, tags, transaction, timeout";

bool has_blank(std::string_view text) {
    return text.find_first_of(" \t") != std::string_view::npos;
}

bool starts_with_ci(std::string_view text, std::string_view lower_prefix) {
    return text.size() >= lower_prefix.size()
           && to_lower_ascii(text.substr(0, lower_prefix.size())) == lower_prefix;
}

std::string line_ref(int line) {
    return "line " + std::to_string(line);
}

// "a, b c" -> {"a", "b", "c"}: commas and blanks separate; an empty piece between commas is
// reported as "" so the caller can name it.
std::vector<std::string_view> split_list(std::string_view value, bool blanks_separate) {
    std::vector<std::string_view> pieces;
    while (true) {
        const std::size_t comma = value.find(',');
        const std::string_view piece = trim(value.substr(0, comma));
        if (!blanks_separate || piece.empty()) {
            pieces.push_back(piece);
        } else {
            std::string_view rest = piece;
            while (!rest.empty()) {
                const std::size_t blank = rest.find_first_of(" \t");
                pieces.push_back(rest.substr(0, blank));
                if (blank == std::string_view::npos) break;
                rest = trim(rest.substr(blank));
            }
        }
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return pieces;
}

class header_reader {
public:
    explicit header_reader(const std::string& file) { result_.header.file = file; }

    void read_line(std::string_view comment, int line) {
        if (starts_with_ci(comment, "bfm:")) return read_bfm_line(comment.substr(4), line);
        if (!starts_with_ci(comment, "bfm-")) return;  // a plain comment
        const std::size_t word_end = comment.find_first_of(": \t");
        const std::string word = to_lower_ascii(comment.substr(0, word_end));
        const bool has_colon = word_end != std::string_view::npos && comment[word_end] == ':';
        if (word == "bfm-tags") {
            if (!has_colon) {
                return error(line, "write upstream tags as -- bfm-tags: key=value, ...");
            }
            return read_tags(trim(comment.substr(word_end + 1)), line, "-- bfm-tags:");
        }
        if (has_colon) {
            const std::string written = "-- " + std::string(comment.substr(0, word_end + 1));
            error(line, "unknown header " + quote_for_message(written)
                            + " (only -- bfm-tags: is read in this form; metadata lines are "
                              "-- bfm:key value with the keys "
                            + std::string(known_keys_text) + ")");
        }
    }

    header_parse take() { return std::move(result_); }

private:
    void read_bfm_line(std::string_view rest, int line) {
        const std::size_t key_end = rest.find_first_of(" \t");
        const std::string key = to_lower_ascii(rest.substr(0, key_end));
        const std::string_view value =
            key_end == std::string_view::npos ? std::string_view{} : trim(rest.substr(key_end));
        if (key == "schema") return read_schema(value, line);
        if (key == "table") return read_table(value, line);
        if (key == "depends") return read_depends(value, line);
        if (key == "depends-schema") return read_depends_schema(value, line);
        if (key == "tags") return read_tags(value, line, "-- bfm:tags");
        if (key == "transaction") return report(line, set_transaction(result_.header, value, line));
        if (key == "timeout") return report(line, set_timeout(result_.header, value, line));
        error(line, "unknown header key " + quote_for_message(key)
                        + " in -- bfm: (known keys: " + std::string(known_keys_text) + ")");
    }

    void read_schema(std::string_view value, int line) {
        if (value.empty()) return error(line, "-- bfm:schema needs a schema name");
        if (auto problem = validate_schema_name(value)) return error(line, *problem);
        migration_header& h = result_.header;
        set_once("schema", h.schema, h.schema_line, value, line);
        h.schema_declared = true;
    }

    void read_table(std::string_view value, int line) {
        if (value.empty()) return error(line, "-- bfm:table needs a table name");
        if (has_blank(value)) {
            return error(line,
                         "-- bfm:table takes one table name, got " + quote_for_message(value));
        }
        set_once("table", result_.header.table, result_.header.table_line, value, line);
    }

    void read_depends(std::string_view value, int line) {
        if (value.empty()) {
            return error(line,
                         "-- bfm:depends needs at least one dependency ([connection:]name or "
                         "[connection:]@version)");
        }
        for (std::string_view spec : split_list(value, true)) {
            if (spec.empty())
                return error(line, "-- bfm:depends has an empty entry between commas");
            if (auto problem = add_dependency_spec(result_.header, spec, line)) {
                return error(line, "-- bfm:depends: " + *problem);
            }
        }
    }

    void read_depends_schema(std::string_view value, int line) {
        if (value.empty()) return error(line, "-- bfm:depends-schema needs a schema name");
        for (std::string_view schema : split_list(value, true)) {
            if (schema.empty()) {
                return error(line, "-- bfm:depends-schema has an empty entry between commas");
            }
            if (auto problem = add_depends_schema(result_.header, schema)) {
                return error(line, "-- bfm:depends-schema: " + *problem);
            }
        }
    }

    void read_tags(std::string_view value, int line, std::string_view form) {
        if (value.empty()) return error(line, std::string(form) + " needs key=value tags");
        for (std::string_view text : split_list(value, false)) {
            if (auto problem = add_tag(result_.header, text, line)) {
                return error(line, std::string(form) + ": " + *problem);
            }
        }
    }

    void set_once(std::string_view key, std::string& field, int& field_line, std::string_view value,
                  int line) {
        if (!field.empty() && field != value) {
            return error(line, "-- bfm:" + std::string(key) + " " + quote_for_message(value)
                                   + " contradicts line " + std::to_string(field_line) + " ("
                                   + quote_for_message(field) + ")");
        }
        if (field.empty()) {
            field = std::string(value);
            field_line = line;
        }
    }

    void report(int line, std::optional<std::string> problem) {
        if (problem) error(line, std::move(*problem));
    }

    void error(int line, std::string message) {
        result_.errors.push_back({result_.header.file, line, std::move(message)});
    }

    header_parse result_;
};

}  // namespace

std::optional<std::string> add_dependency_spec(migration_header& header, std::string_view spec,
                                               int line) {
    dependency_spec_parse parsed = parse_dependency_spec(spec);
    if (!parsed.ok()) return parsed.error;
    parsed.value.line = line;
    parsed.value.source_file = header.file;
    for (const dependency& d : header.dependencies) {
        if (same_dependency(d, parsed.value)) return std::nullopt;
    }
    header.dependencies.push_back(std::move(parsed.value));
    return std::nullopt;
}

std::optional<std::string> add_depends_schema(migration_header& header, std::string_view schema) {
    schema = trim(schema);
    if (auto problem = validate_schema_name(schema)) return problem;
    for (const std::string& s : header.depends_schemas) {
        if (s == schema) return std::nullopt;
    }
    header.depends_schemas.emplace_back(schema);
    return std::nullopt;
}

std::optional<std::string> add_tag(migration_header& header, std::string_view text, int line) {
    tag_parse parsed = parse_migration_tag(text);
    if (!parsed.ok()) return parsed.error;
    for (const header_tag& t : header.tags) {
        if (t.value.key != parsed.value.key) continue;
        if (t.value.value == parsed.value.value) return std::nullopt;
        return "tag " + quote_for_message(parsed.value.key) + " is "
               + quote_for_message(parsed.value.value) + " here but "
               + quote_for_message(t.value.value) + " at " + line_ref(t.line)
               + ": a migration has one value per tag key";
    }
    header.tags.push_back({std::move(parsed.value), line});
    return std::nullopt;
}

std::optional<std::string> add_tag_value(migration_header& header, std::string_view key,
                                         std::string_view value, int line) {
    const std::string_view k = trim(key);
    if (k.find('=') != std::string_view::npos) {
        return "tag key " + quote_for_message(k) + " contains '='";
    }
    return add_tag(header, std::string(k) + "=" + std::string(value), line);
}

std::optional<std::string> set_transaction(migration_header& header, std::string_view value,
                                           int line) {
    const std::string mode = to_lower_ascii(trim(value));
    if (mode != "on" && mode != "off") {
        return "transaction must be on or off, got " + quote_for_message(value);
    }
    const bool on = mode == "on";
    if (header.transactional && *header.transactional != on) {
        return "transaction " + mode + " contradicts " + line_ref(header.transaction_line) + " ("
               + (on ? "off" : "on") + ")";
    }
    if (!header.transactional) header.transaction_line = line;
    header.transactional = on;
    return std::nullopt;
}

std::optional<std::string> set_timeout(migration_header& header, std::string_view value, int line) {
    value = trim(value);
    const auto parsed = parse_duration(value);
    if (!parsed) {
        return "timeout " + quote_for_message(value)
               + " is not a duration (examples: 500ms, 30s, 10m, 1h30m)";
    }
    if (parsed->count() == 0) return "timeout must be positive (omit it for the default)";
    if (header.timeout && *header.timeout != *parsed) {
        return "timeout " + quote_for_message(value) + " contradicts "
               + line_ref(header.timeout_line);
    }
    if (!header.timeout) header.timeout_line = line;
    header.timeout = parsed;
    return std::nullopt;
}

header_parse parse_migration_header(std::string_view script, const std::string& file) {
    static constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";
    if (script.starts_with(utf8_bom)) script.remove_prefix(utf8_bom.size());
    header_reader reader(file);
    source_line_reader lines(script);
    source_line line;
    while (lines.next(line)) {
        const std::string_view text = trim(line.text);
        if (text.empty()) continue;
        if (!text.starts_with("--")) break;
        reader.read_line(trim(text.substr(2)), line.number);
    }
    return reader.take();
}

}  // namespace bfm::core
