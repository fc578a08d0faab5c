#pragma once
// GET /api/v1/openapi.json and /api/v1/openapi.yaml: the API's OpenAPI 3 document, public.

#include <boost/beast/http/verb.hpp>
#include <optional>
#include <string_view>

#include "net/handlers.hpp"

namespace bfm::net {

// The answer for one of the two document paths (a 405 for another method than GET); nullopt
// for any other path.
std::optional<stream_reply> openapi_reply(boost::beast::http::verb method, std::string_view path);

}  // namespace bfm::net
