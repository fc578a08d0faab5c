#include "net/openapi_routes.hpp"

#include <boost/json/parse.hpp>

#include "net/openapi_document.hpp"
#include "net/yaml_emit.hpp"

namespace bfm::net {

namespace http = boost::beast::http;

const std::string& openapi_yaml_text() {
    static const std::string yaml = to_yaml(boost::json::parse(openapi_json_text()));
    return yaml;
}

std::optional<stream_reply> openapi_reply(http::verb method, std::string_view path) {
    const bool json = path == "/api/v1/openapi.json";
    if (!json && path != "/api/v1/openapi.yaml") return std::nullopt;
    stream_reply out;
    if (method != http::verb::get) {
        out.reply = error_reply(http::status::method_not_allowed,
                                "method not allowed on " + std::string(path) + "; allowed: GET",
                                "method_not_allowed");
        out.reply.headers.emplace_back(http::field::allow, "GET");
        return out;
    }
    out.text = json ? text_body{"application/json", std::string(openapi_json_text())}
                    : text_body{"application/yaml; charset=utf-8", openapi_yaml_text()};
    return out;
}

}  // namespace bfm::net
