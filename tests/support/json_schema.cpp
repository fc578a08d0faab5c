#include "support/json_schema.hpp"

#include <boost/json/serialize.hpp>
#include <set>
#include <stdexcept>

namespace bfm::test {

namespace json = boost::json;

namespace {

const std::set<std::string, std::less<>> known_keywords = {
    "type",  "nullable", "properties", "required", "additionalProperties", "items",  "enum",
    "oneOf", "minimum",  "maximum",    "$ref",     "description",          "format", "default",
    "title", "example"};

bool has_type(const json::value& v, std::string_view type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "boolean") return v.is_bool();
    if (type == "integer") return v.is_int64() || v.is_uint64();
    if (type == "number") return v.is_number();
    throw std::invalid_argument("unknown schema type \"" + std::string(type) + "\"");
}

double as_double(const json::value& v) {
    return v.is_double() ? v.get_double() : v.to_number<double>();
}

}  // namespace

const json::value& schema_validator::resolve(const std::string& ref) const {
    if (ref.rfind("#/", 0) != 0) throw std::invalid_argument("not a local $ref: " + ref);
    const json::value* at = nullptr;
    const json::object* object = &document_;
    std::size_t start = 2;
    while (true) {
        const std::size_t slash = ref.find('/', start);
        const std::string key =
            ref.substr(start, slash == std::string::npos ? slash : slash - start);
        at = object == nullptr ? nullptr : object->if_contains(key);
        if (at == nullptr) throw std::invalid_argument("unresolved $ref: " + ref);
        if (slash == std::string::npos) return *at;
        object = at->if_object();
        start = slash + 1;
    }
}

std::vector<std::string> schema_validator::validate(const json::value& instance,
                                                    const json::value& schema) const {
    std::vector<std::string> errors;
    check(instance, schema, "$", errors, 0);
    return errors;
}

void schema_validator::check(const json::value& instance, const json::value& schema_value,
                             const std::string& path, std::vector<std::string>& errors,
                             int depth) const {
    if (depth > 64) throw std::invalid_argument("schema nesting too deep (a $ref cycle?)");
    if (!schema_value.is_object()) throw std::invalid_argument(path + ": schema is not an object");
    const json::object& schema = schema_value.get_object();
    for (const auto& entry : schema) {
        if (!known_keywords.contains(entry.key()) && entry.key().substr(0, 2) != "x-") {
            errors.push_back(path + ": unsupported schema keyword \"" + std::string(entry.key())
                             + "\"");
        }
    }
    if (const auto* ref = schema.if_contains("$ref")) {
        check(instance, resolve(std::string(ref->as_string())), path, errors, depth + 1);
        return;
    }
    if (instance.is_null()) {
        const auto* nullable = schema.if_contains("nullable");
        if (nullable != nullptr && nullable->as_bool()) return;
        if (schema.contains("type") || schema.contains("enum")) {
            errors.push_back(path + ": null where the schema is not nullable");
            return;
        }
    }
    if (const auto* type = schema.if_contains("type")) {
        if (!has_type(instance, type->as_string())) {
            errors.push_back(path + ": expected " + std::string(type->as_string()) + ", got "
                             + json::serialize(instance).substr(0, 80));
            return;
        }
    }
    if (const auto* values = schema.if_contains("enum")) {
        bool found = false;
        for (const auto& v : values->as_array()) found = found || v == instance;
        if (!found) {
            errors.push_back(path + ": " + json::serialize(instance).substr(0, 80)
                             + " is not one of " + json::serialize(*values));
        }
    }
    if (instance.is_number()) {
        if (const auto* min = schema.if_contains("minimum");
            min != nullptr && as_double(instance) < as_double(*min)) {
            errors.push_back(path + ": below the minimum " + json::serialize(*min));
        }
        if (const auto* max = schema.if_contains("maximum");
            max != nullptr && as_double(instance) > as_double(*max)) {
            errors.push_back(path + ": above the maximum " + json::serialize(*max));
        }
    }
    if (const auto* one_of = schema.if_contains("oneOf")) {
        std::size_t matches = 0;
        std::string reasons;
        for (const auto& alternative : one_of->as_array()) {
            std::vector<std::string> sub;
            check(instance, alternative, path, sub, depth + 1);
            if (sub.empty()) {
                ++matches;
            } else {
                reasons += " [" + sub.front() + "]";
            }
        }
        if (matches != 1) {
            errors.push_back(path + ": matches " + std::to_string(matches)
                             + " of the oneOf alternatives, not exactly one;" + reasons);
        }
    }
    if (instance.is_object()) {
        const json::object& object = instance.get_object();
        if (const auto* required = schema.if_contains("required")) {
            for (const auto& name : required->as_array()) {
                if (!object.contains(name.as_string())) {
                    errors.push_back(path + ": required property \"" + std::string(name.as_string())
                                     + "\" is missing");
                }
            }
        }
        const json::object* properties = nullptr;
        if (const auto* p = schema.if_contains("properties")) properties = &p->as_object();
        const json::value* additional = schema.if_contains("additionalProperties");
        for (const auto& entry : object) {
            const std::string child = path + "." + std::string(entry.key());
            if (properties != nullptr) {
                if (const auto* property = properties->if_contains(entry.key())) {
                    check(entry.value(), *property, child, errors, depth + 1);
                    continue;
                }
            }
            if (additional == nullptr || (additional->is_bool() && additional->get_bool())) {
                continue;
            }
            if (additional->is_bool()) {
                errors.push_back(child + ": property not allowed by the schema");
            } else {
                check(entry.value(), *additional, child, errors, depth + 1);
            }
        }
    }
    if (instance.is_array()) {
        if (const auto* items = schema.if_contains("items")) {
            const json::array& array = instance.get_array();
            for (std::size_t i = 0; i < array.size(); ++i) {
                check(array[i], *items, path + "[" + std::to_string(i) + "]", errors, depth + 1);
            }
        }
    }
}

}  // namespace bfm::test
