#pragma once
// JSON answers: what a handler returns (json_reply) and how it becomes an HTTP response with the
// headers every bfm answer carries (Content-Type, Cache-Control: no-store, Server: bfm).

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bfm::net {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;

// A handler's answer before it becomes an HTTP message.
struct json_reply {
    boost::beast::http::status status = boost::beast::http::status::ok;
    boost::json::value body;
    std::vector<std::pair<boost::beast::http::field, std::string>> headers;  // extra headers
};

// {"error": message, "code": code}, plus "details": {"field": field} when field is not empty.
json_reply error_reply(boost::beast::http::status status, std::string_view message,
                       std::string_view code, std::string_view field = {});

// Serialises the reply with the common headers. `version` is 10 or 11.
http_response make_response(const json_reply& reply, unsigned version, bool keep_alive);

// Cuts user-supplied text to at most `max_bytes` (on a UTF-8 boundary, "..." appended), so
// error messages that echo it stay short.
std::string truncate_for_message(std::string_view text, std::size_t max_bytes = 128);

}  // namespace bfm::net
