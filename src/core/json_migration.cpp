#include "core/json_migration.hpp"

#include <map>
#include <set>

#include "core/json_source.hpp"
#include "core/migration_metadata.hpp"
#include "core/text.hpp"

namespace bfm::core {

namespace json = boost::json;

namespace {

const char* kind_name(const json::value& v) {
    switch (v.kind()) {
        case json::kind::null:
            return "null";
        case json::kind::bool_:
            return "a boolean";
        case json::kind::int64:
        case json::kind::uint64:
        case json::kind::double_:
            return "a number";
        case json::kind::string:
            return "a string";
        case json::kind::array:
            return "an array";
        case json::kind::object:
            return "an object";
    }
    return "a value";
}

class operations_checker {
public:
    operations_checker(std::string_view script, const std::string& file)
        : script_(script), file_(file) {}

    std::vector<load_error> run() {
        const json_source_parse parsed = parse_json_source(script_);
        if (!parsed.ok()) {
            error(parsed.error_line, parsed.error);
            return std::move(errors_);
        }
        if (!parsed.value.is_array()) {
            error(1, std::string("a JSON migration is an array of operations "
                                 "[{\"operation\": \"put\", \"key\": ..., \"value\": ...}], found ")
                         + kind_name(parsed.value));
            return std::move(errors_);
        }
        const json::array& ops = parsed.value.get_array();
        const auto members = locate_json_members(script_);
        for (std::size_t i = 0; i < ops.size(); ++i) {
            check_operation(ops[i], i, i < members.size() ? members[i] : json_member_location{});
        }
        return std::move(errors_);
    }

private:
    void check_operation(const json::value& op, std::size_t index,
                         const json_member_location& where) {
        const std::string at = "operations[" + std::to_string(index) + "]: ";
        if (!op.is_object()) {
            return error(where.line, at + "must be an object, found " + kind_name(op));
        }
        std::map<std::string, int> lines;
        for (const auto& m : locate_json_members(script_, where.value_offset)) {
            if (!lines.emplace(m.key, m.line).second) {
                error(m.line, at + "field " + quote_for_message(m.key) + " appears twice");
            }
        }
        auto line_of = [&](std::string_view key) {
            const auto it = lines.find(std::string(key));
            return it == lines.end() ? where.line : it->second;
        };
        const json::object& o = op.get_object();
        for (const auto& field : o) {
            const std::string key(field.key());
            if (key != "operation" && key != "key" && key != "value" && key != "prefix") {
                error(line_of(key), at + "unknown field " + quote_for_message(key)
                                        + " (known: operation, key, value, prefix)");
            }
        }
        std::string operation = "put";
        if (const json::value* v = o.if_contains("operation")) {
            if (!v->is_string() || (v->get_string() != "put" && v->get_string() != "delete")) {
                return error(line_of("operation"),
                             at + "\"operation\" must be \"put\" or \"delete\", found "
                                 + (v->is_string() ? quote_for_message(v->get_string())
                                                   : std::string(kind_name(*v))));
            }
            operation = std::string(v->get_string());
        }
        const json::value* key = o.if_contains("key");
        if (key == nullptr) {
            error(where.line, at + "\"key\" is required");
        } else if (!key->is_string() || key->get_string().empty()) {
            error(line_of("key"),
                  at + "\"key\" must be a non-empty string, found "
                      + (key->is_string() ? std::string("\"\"") : std::string(kind_name(*key))));
        }
        const json::value* value = o.if_contains("value");
        const json::value* prefix = o.if_contains("prefix");
        if (operation == "put") {
            if (value == nullptr) {
                error(where.line, at + "\"value\" is required for put");
            } else if (!value->is_string() && !value->is_object()) {
                error(line_of("value"),
                      at + "\"value\" must be a string or an object, found " + kind_name(*value));
            }
            if (prefix != nullptr) {
                error(line_of("prefix"), at + "\"prefix\" is only for delete operations");
            }
        } else {
            if (value != nullptr) {
                error(line_of("value"), at + "a delete operation takes no \"value\"");
            }
            if (prefix != nullptr && !prefix->is_bool()) {
                error(line_of("prefix"),
                      at + "\"prefix\" must be true or false, found " + kind_name(*prefix));
            }
        }
    }

    void error(int line, std::string message) {
        errors_.push_back({file_, line, std::move(message)});
    }

    std::string_view script_;
    const std::string& file_;
    std::vector<load_error> errors_;
};

class meta_reader {
public:
    meta_reader(std::string_view text, const std::string& file, std::string_view backend)
        : text_(text), backend_(backend) {
        result_.metadata.file = file;
    }

    json_meta_parse run() {
        const json_source_parse parsed = parse_json_source(text_);
        if (!parsed.ok()) {
            error(parsed.error_line, parsed.error);
            return std::move(result_);
        }
        if (!parsed.value.is_object()) {
            error(1, std::string("a .meta.json sidecar is an object {\"schema\": ..., "
                                 "\"depends\": [...], ...}, found ")
                         + kind_name(parsed.value));
            return std::move(result_);
        }
        const json::object& o = parsed.value.get_object();
        std::set<std::string> seen;
        for (const json_member_location& m : locate_json_members(text_)) {
            if (!seen.insert(m.key).second) {
                error(m.line, "key " + quote_for_message(m.key) + " appears twice");
                continue;
            }
            const json::value* v = o.if_contains(m.key);
            if (v != nullptr) read(m, *v);
        }
        return std::move(result_);
    }

private:
    void read(const json_member_location& m, const json::value& v) {
        migration_header& h = result_.metadata;
        if (m.key == "schema") {
            if (!expect_string(m, v)) return;
            const std::string schema(v.get_string());
            if (!schema.empty()) {
                if (auto problem = validate_declared_schema(backend_, schema)) {
                    return error(m.line, "schema: " + *problem);
                }
            }
            h.schema = schema;
            h.schema_line = m.line;
            h.schema_declared = true;
        } else if (m.key == "table") {
            if (!expect_string(m, v)) return;
            const std::string_view table = v.get_string();
            if (table.empty() || table.find_first_of(" \t\r\n") != std::string_view::npos) {
                return error(m.line, "table must be one non-empty table name, found "
                                         + quote_for_message(table));
            }
            h.table = std::string(table);
            h.table_line = m.line;
        } else if (m.key == "depends") {
            for_each_string(m, v, [&](std::string_view s, int line) {
                return add_dependency_spec(h, s, line);
            });
        } else if (m.key == "depends_schema") {
            for_each_string(m, v,
                            [&](std::string_view s, int) { return add_depends_schema(h, s); });
        } else if (m.key == "tags") {
            read_tags(m, v);
        } else if (m.key == "transaction") {
            std::string mode;
            if (v.is_bool()) {
                mode = v.get_bool() ? "on" : "off";
            } else if (v.is_string()) {
                mode = std::string(v.get_string());
            } else {
                return error(m.line, "transaction must be \"on\" or \"off\", found "
                                         + std::string(kind_name(v)));
            }
            report(m.line, set_transaction(h, mode, m.line));
        } else if (m.key == "timeout") {
            if (!expect_string(m, v)) return;
            report(m.line, set_timeout(h, v.get_string(), m.line));
        } else {
            error(m.line, "unknown key " + quote_for_message(m.key)
                              + " (known: schema, table, depends, depends_schema, tags, "
                                "transaction, timeout)");
        }
    }

    bool expect_string(const json_member_location& m, const json::value& v) {
        if (v.is_string()) return true;
        error(m.line, m.key + " must be a string, found " + kind_name(v));
        return false;
    }

    template <class Add>
    void for_each_string(const json_member_location& m, const json::value& v, Add add) {
        if (!v.is_array()) {
            return error(m.line, m.key + " must be an array of strings, found " + kind_name(v));
        }
        const json::array& items = v.get_array();
        const auto where = locate_json_members(text_, m.value_offset);
        for (std::size_t i = 0; i < items.size(); ++i) {
            const int line = i < where.size() ? where[i].line : m.line;
            const std::string at = m.key + "[" + std::to_string(i) + "]: ";
            if (!items[i].is_string()) {
                error(line, at + "must be a string, found " + kind_name(items[i]));
                continue;
            }
            if (auto problem = add(items[i].get_string(), line)) error(line, at + *problem);
        }
    }

    void read_tags(const json_member_location& m, const json::value& v) {
        migration_header& h = result_.metadata;
        if (v.is_array()) {
            return for_each_string(
                m, v, [&](std::string_view s, int line) { return add_tag(h, s, line); });
        }
        if (!v.is_object()) {
            return error(m.line,
                         "tags must be an array of \"key=value\" strings or an object "
                         "{\"key\": \"value\"}, found "
                             + std::string(kind_name(v)));
        }
        const json::object& tags = v.get_object();
        std::set<std::string> seen;
        for (const json_member_location& t : locate_json_members(text_, m.value_offset)) {
            if (!seen.insert(t.key).second) {
                error(t.line, "tags: key " + quote_for_message(t.key) + " appears twice");
                continue;
            }
            const json::value* value = tags.if_contains(t.key);
            if (value == nullptr) continue;
            if (!value->is_string()) {
                error(t.line, "tags." + t.key + " must be a string, found " + kind_name(*value));
                continue;
            }
            if (auto problem = add_tag_value(h, t.key, value->get_string(), t.line)) {
                error(t.line, "tags: " + *problem);
            }
        }
    }

    void report(int line, std::optional<std::string> problem) {
        if (problem) error(line, std::move(*problem));
    }

    void error(int line, std::string message) {
        result_.errors.push_back({result_.metadata.file, line, std::move(message)});
    }

    std::string_view text_;
    std::string backend_;
    json_meta_parse result_;
};

}  // namespace

std::vector<load_error> check_json_operations(std::string_view script, const std::string& file) {
    return operations_checker(script, file).run();
}

json_meta_parse parse_json_meta(std::string_view text, const std::string& file,
                                std::string_view backend) {
    return meta_reader(text, file, backend).run();
}

}  // namespace bfm::core
