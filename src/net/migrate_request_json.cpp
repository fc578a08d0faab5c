#include "net/migrate_request_json.hpp"

#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>

#include "net/json_response.hpp"

namespace bfm::net {

namespace json = boost::json;

namespace {

body_error type_error(const std::string& field, std::string_view expected) {
    return {"invalid_type", "field \"" + field + "\" must be " + std::string(expected), field};
}

// Reads typed fields out of one JSON object, stopping at the first error.
class field_reader {
public:
    explicit field_reader(std::string prefix) : prefix_(std::move(prefix)) {}

    const std::optional<body_error>& error() const { return error_; }

    std::string path(std::string_view key) const { return prefix_ + std::string(key); }

    void read_string(const json::value& v, std::string_view key, std::string& out) {
        if (v.is_null()) return;
        if (!v.is_string()) {
            error_ = type_error(path(key), "a string");
            return;
        }
        out = std::string(v.get_string());
    }

    void read_string_array(const json::value& v, std::string_view key,
                           std::vector<std::string>& out) {
        if (v.is_null()) return;
        if (!v.is_array()) {
            error_ = type_error(path(key), "an array of strings");
            return;
        }
        const json::array& items = v.get_array();
        out.clear();
        out.reserve(items.size());
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (!items[i].is_string()) {
                error_ = type_error(path(key) + "[" + std::to_string(i) + "]", "a string");
                return;
            }
            out.emplace_back(items[i].get_string());
        }
    }

    void read_bool(const json::value& v, std::string_view key, bool& out) {
        if (v.is_null()) return;
        if (!v.is_bool()) {
            error_ = type_error(path(key), "a boolean");
            return;
        }
        out = v.get_bool();
    }

    void unknown(std::string_view key) {
        const std::string name = truncate_for_message(path(key), 96);
        error_ = body_error{"unknown_field", "unknown field \"" + name + "\"", name};
    }

    void fail(body_error e) { error_ = std::move(e); }

private:
    std::string prefix_;
    std::optional<body_error> error_;
};

std::optional<body_error> read_target(const json::object& obj, core::raw_up_request& raw) {
    field_reader r("target.");
    for (const auto& entry : obj) {
        const std::string_view key = entry.key();
        const json::value& v = entry.value();
        if (key == "backend") {
            r.read_string(v, key, raw.target.backend);
        } else if (key == "schema") {
            r.read_string(v, key, raw.target.schema);
        } else if (key == "tables") {
            r.read_string_array(v, key, raw.target.tables);
        } else if (key == "version") {
            r.read_string(v, key, raw.target_version_text);
        } else if (key == "connection") {
            r.read_string(v, key, raw.target.connection);
        } else if (key == "tags") {
            r.read_string_array(v, key, raw.tags);
        } else {
            r.unknown(key);
        }
        if (r.error()) return r.error();
    }
    return std::nullopt;
}

std::optional<body_error> read_top_level(const json::object& obj, migrate_body_kind kind,
                                         core::raw_up_request& raw) {
    const bool up = kind != migrate_body_kind::migrate;
    field_reader r("");
    std::string schema_name;
    bool has_schema_name = false;
    for (const auto& entry : obj) {
        const std::string_view key = entry.key();
        const json::value& v = entry.value();
        if (key == "target") {
            if (v.is_object()) {
                if (auto e = read_target(v.get_object(), raw)) return e;
            } else if (!v.is_null()) {
                r.fail(type_error("target", "an object"));
            }
        } else if (key == "connection") {
            r.read_string(v, key, raw.connection);
        } else if (key == "schema") {
            r.read_string(v, key, raw.schema);
        } else if (key == "schema_name") {
            r.read_string(v, key, schema_name);
            has_schema_name = !v.is_null();
        } else if (key == "environment") {
            r.read_string(v, key, raw.environment);
        } else if (key == "dry_run") {
            r.read_bool(v, key, raw.dry_run);
        } else if (up && key == "schemas") {
            r.read_string_array(v, key, raw.schemas);
        } else if (up && key == "ignore_dependencies") {
            r.read_bool(v, key, raw.ignore_dependencies);
        } else if (up && key == "environments") {
            r.read_string_array(v, key, raw.environments);
        } else if (up && key == "schema_selector") {
            if (v.is_object()) {
                for (const auto& sel : v.get_object()) {
                    if (sel.key() == "like") {
                        field_reader inner("schema_selector.");
                        inner.read_string(sel.value(), "like", raw.schema_selector_like);
                        if (inner.error()) return inner.error();
                    } else {
                        field_reader inner("schema_selector.");
                        inner.unknown(sel.key());
                        return inner.error();
                    }
                }
            } else if (!v.is_null()) {
                r.fail(type_error("schema_selector", "an object"));
            }
        } else if (key == "allow_modified") {
            r.read_bool(v, key, raw.allow_modified);
        } else if (key == "strict_order") {
            r.read_bool(v, key, raw.strict_order);
        } else {
            r.unknown(key);
        }
        if (r.error()) return r.error();
    }
    // `schema_name` is an alias of `schema`; both given must agree.
    if (has_schema_name) {
        if (obj.contains("schema") && !obj.at("schema").is_null() && raw.schema != schema_name) {
            return body_error{"conflicting_fields",
                              "fields \"schema\" and \"schema_name\" name different schemas",
                              "schema_name"};
        }
        raw.schema = std::move(schema_name);
    }
    return std::nullopt;
}

}  // namespace

migrate_body_result parse_migrate_body(std::string_view body, migrate_body_kind kind) {
    json::stream_parser parser;
    boost::system::error_code ec;
    std::size_t consumed = parser.write_some(body.data(), body.size(), ec);
    if (!ec && consumed < body.size()) ec = json::error::extra_data;
    if (!ec) parser.finish(ec);
    if (ec) {
        return {std::nullopt, body_error{"malformed_json",
                                         "malformed JSON: " + ec.message() + " at offset "
                                             + std::to_string(consumed),
                                         ""}};
    }
    const json::value root = parser.release();
    if (!root.is_object()) {
        return {std::nullopt, body_error{"invalid_body", "request body must be a JSON object", ""}};
    }
    core::raw_up_request raw;
    if (auto e = read_top_level(root.get_object(), kind, raw)) return {std::nullopt, std::move(e)};
    return {std::move(raw), std::nullopt};
}

}  // namespace bfm::net
