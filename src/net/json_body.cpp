#include "net/json_body.hpp"

#include <boost/json/parse.hpp>

namespace bfm::net {
namespace http = boost::beast::http;
namespace json = boost::json;

json_object_result parse_json_object(std::string_view body) {
    json_object_result out;
    boost::system::error_code ec;
    json::value root = json::parse(body, ec);
    if (ec) {
        out.error = error_reply(http::status::bad_request, "malformed JSON: " + ec.message(),
                                "malformed_json");
    } else if (!root.is_object()) {
        out.error = error_reply(http::status::bad_request, "request body must be a JSON object",
                                "invalid_body");
    } else {
        out.object = std::move(root.as_object());
    }
    return out;
}

std::optional<json_reply> read_string(const json::value& v, std::string_view field,
                                      std::string& out) {
    if (v.is_null()) return std::nullopt;
    if (!v.is_string()) {
        return error_reply(http::status::bad_request,
                           "field \"" + std::string(field) + "\" must be a string", "invalid_type",
                           field);
    }
    out = std::string(v.get_string());
    return std::nullopt;
}

std::optional<json_reply> read_string_list(const json::value& v, std::string_view field,
                                           std::vector<std::string>& out) {
    if (v.is_null()) return std::nullopt;
    if (!v.is_array()) {
        return error_reply(http::status::bad_request,
                           "field \"" + std::string(field) + "\" must be an array of strings",
                           "invalid_type", field);
    }
    for (std::size_t i = 0; i < v.get_array().size(); ++i) {
        const auto& item = v.get_array()[i];
        if (!item.is_string()) {
            const std::string name = std::string(field) + "[" + std::to_string(i) + "]";
            return error_reply(http::status::bad_request, "field \"" + name + "\" must be a string",
                               "invalid_type", name);
        }
        out.emplace_back(item.get_string());
    }
    return std::nullopt;
}

}  // namespace bfm::net
