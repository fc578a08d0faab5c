#include "net/json_response.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace bfm::net {

namespace http = boost::beast::http;
namespace json = boost::json;

json_reply error_reply(http::status status, std::string_view message, std::string_view code,
                       std::string_view field) {
    json::object body;
    body["error"] = message;
    body["code"] = code;
    if (!field.empty()) body["details"] = json::object{{"field", field}};
    return json_reply{status, std::move(body), {}};
}

http_response make_response(const json_reply& reply, unsigned version, bool keep_alive) {
    http_response res{reply.status, version};
    res.set(http::field::server, "bfm");
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    for (const auto& [name, value] : reply.headers) res.set(name, value);
    res.keep_alive(keep_alive);
    res.body() = json::serialize(reply.body);
    res.prepare_payload();
    return res;
}

std::string truncate_for_message(std::string_view text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) return std::string(text);
    std::size_t cut = max_bytes;
    // Step back over UTF-8 continuation bytes (10xxxxxx) so no code point is split.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return std::string(text.substr(0, cut)) + "...";
}

}  // namespace bfm::net
