#include "net/http_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

namespace bfm::net {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

bool is_http_error(const boost::system::error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_method).category();
}

json_reply rejected(http::status status, std::string message, std::string_view code) {
    spdlog::info("http - - {} (request rejected: {})", static_cast<unsigned>(status), code);
    return error_reply(status, message, code);
}

}  // namespace

std::optional<json_reply> read_error_reply(const boost::system::error_code& ec,
                                           const session_options& options) {
    if (ec == http::error::body_limit) {
        return rejected(http::status::payload_too_large,
                        "request body exceeds " + std::to_string(options.body_limit) + " bytes",
                        "body_too_large");
    }
    if (ec == http::error::header_limit) {
        return rejected(http::status::request_header_fields_too_large,
                        "request header exceeds " + std::to_string(options.header_limit) + " bytes",
                        "header_too_large");
    }
    // The client went away (between or in the middle of requests): nobody to answer.
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
        return std::nullopt;
    }
    if (is_http_error(ec)) {
        return rejected(http::status::bad_request, "malformed HTTP request: " + ec.message(),
                        "bad_request");
    }
    // Timeouts, cancellation on shutdown, resets: close without an answer.
    return std::nullopt;
}

}  // namespace bfm::net
