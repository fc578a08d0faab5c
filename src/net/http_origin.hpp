#pragma once
// Who asked, as history records it for a request that came over HTTP (SPEC 5.1).

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <string_view>

#include "core/job_request.hpp"

namespace bfm::net {

inline core::execution_origin http_origin(std::string_view endpoint) {
    core::execution_origin origin;
    origin.method = core::execution_method::api;
    origin.executed_by = "api_user";
    origin.context_json = boost::json::serialize(boost::json::object{
        {"endpoint", endpoint}, {"method", "POST"}, {"connection_type", "http"}});
    return origin;
}

}  // namespace bfm::net
