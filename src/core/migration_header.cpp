#include "core/migration_header.hpp"

#include <array>

#include "core/schema_name.hpp"
#include "core/text.hpp"

namespace bfm::core {

namespace {

// Keys of SPEC 1.2 that are valid but read by the planner, not by the loader: accepting them
// here keeps trees that already use them loadable.
constexpr std::array<std::string_view, 5> planner_keys = {"depends", "depends-schema", "tags",
                                                          "transaction", "timeout"};

constexpr std::string_view known_keys_text =
    "schema, table, depends, depends-schema, tags, transaction, timeout";

bool is_planner_key(std::string_view key) {
    for (std::string_view k : planner_keys) {
        if (k == key) return true;
    }
    return false;
}

bool has_blank(std::string_view text) {
    return text.find_first_of(" \t") != std::string_view::npos;
}

class header_reader {
public:
    explicit header_reader(const std::string& file) : file_(file) {}

    void read_line(std::string_view comment, int line) {
        static constexpr std::string_view tag = "bfm:";
        if (!comment.starts_with(tag)) return;  // plain comment (also `-- bfm-tags:`)
        comment.remove_prefix(tag.size());
        const std::size_t key_end = comment.find_first_of(" \t");
        const std::string_view key = comment.substr(0, key_end);
        const std::string_view value =
            key_end == std::string_view::npos ? std::string_view{} : trim(comment.substr(key_end));
        if (key == "schema") {
            read_schema(value, line);
        } else if (key == "table") {
            read_table(value, line);
        } else if (!is_planner_key(key)) {
            error(line, "unknown header key " + quote_for_message(key)
                            + " in -- bfm: (known keys: " + std::string(known_keys_text) + ")");
        }
    }

    header_parse take() { return std::move(result_); }

private:
    void read_schema(std::string_view value, int line) {
        if (value.empty()) return error(line, "-- bfm:schema needs a schema name");
        if (auto problem = validate_schema_name(value)) return error(line, *problem);
        set_once("schema", result_.header.schema, result_.header.schema_line, value, line);
    }

    void read_table(std::string_view value, int line) {
        if (value.empty()) return error(line, "-- bfm:table needs a table name");
        if (has_blank(value)) {
            return error(line,
                         "-- bfm:table takes one table name, got " + quote_for_message(value));
        }
        set_once("table", result_.header.table, result_.header.table_line, value, line);
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

    void error(int line, std::string message) {
        result_.errors.push_back({file_, line, std::move(message)});
    }

    const std::string& file_;
    header_parse result_;
};

}  // namespace

header_parse parse_migration_header(std::string_view script, const std::string& file) {
    static constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";
    if (script.starts_with(utf8_bom)) script.remove_prefix(utf8_bom.size());
    header_reader reader(file);
    int line_number = 0;
    while (!script.empty()) {
        // LF, CRLF and lone CR all end a line, as in the checksum.
        const std::size_t end = script.find_first_of("\r\n");
        const std::string_view line = trim(script.substr(0, end));
        std::size_t next = end == std::string_view::npos ? script.size() : end + 1;
        if (end != std::string_view::npos && script[end] == '\r' && next < script.size()
            && script[next] == '\n') {
            ++next;
        }
        script.remove_prefix(next);
        ++line_number;
        if (line.empty()) continue;
        if (!line.starts_with("--")) break;
        reader.read_line(trim(line.substr(2)), line_number);
    }
    return reader.take();
}

}  // namespace bfm::core
