#include "net/yaml_emit.hpp"

#include <boost/json/serialize.hpp>

namespace bfm::net {

namespace json = boost::json;

namespace {

bool is_block(const json::value& v) {
    return (v.is_object() && !v.get_object().empty()) || (v.is_array() && !v.get_array().empty());
}

// A scalar, or an empty container, on the current line.
std::string inline_value(const json::value& v) {
    if (v.is_object()) return "{}";
    if (v.is_array()) return "[]";
    return json::serialize(v);
}

void emit_block(const json::value& v, std::size_t indent, std::string& out);

// After "key:" or "-": a scalar on the same line, a container on the lines below.
void emit_after_marker(const json::value& v, std::size_t indent, std::string& out) {
    if (is_block(v)) {
        out += '\n';
        emit_block(v, indent + 2, out);
    } else {
        out += ' ';
        out += inline_value(v);
        out += '\n';
    }
}

void emit_block(const json::value& v, std::size_t indent, std::string& out) {
    const std::string pad(indent, ' ');
    if (v.is_object()) {
        for (const auto& entry : v.get_object()) {
            out += pad;
            out += json::serialize(json::value(entry.key()));
            out += ':';
            emit_after_marker(entry.value(), indent, out);
        }
    } else {
        for (const json::value& item : v.get_array()) {
            out += pad;
            out += '-';
            emit_after_marker(item, indent, out);
        }
    }
}

}  // namespace

std::string to_yaml(const json::value& value) {
    std::string out;
    if (is_block(value)) {
        emit_block(value, 0, out);
    } else {
        out = inline_value(value) + "\n";
    }
    return out;
}

}  // namespace bfm::net
