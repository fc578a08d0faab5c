#pragma once
// Errors of the job endpoints use SPEC 7's structured shape,
// {"error": {"code": "snake_case", "message": "...", "details": {...}}}, unlike the
// upstream-compatible endpoints whose `error` stays a string (json_response.hpp).

#include <boost/json/object.hpp>
#include <string_view>

#include "core/migration_result.hpp"
#include "net/json_response.hpp"

namespace bfm::net {

json_reply job_error_reply(boost::beast::http::status status, std::string_view code,
                           std::string_view message, boost::json::object details = {});

// Same, with details {"field": field} when field is not empty (request body mistakes).
json_reply job_field_error(std::string_view code, std::string_view message, std::string_view field);

// A failure reported by the job service: job_not_found 404, invalid_* and unknown_connection
// 400, state_unavailable 503, not_implemented 501, anything else 500.
json_reply job_service_error(const core::service_error& error);

// Turns an error_reply() answer (401, 405, 500 made by the router) into the job shape, keeping
// status, headers and details.
json_reply to_job_error(json_reply flat);

}  // namespace bfm::net
