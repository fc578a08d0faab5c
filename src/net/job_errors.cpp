#include "net/job_errors.hpp"

#include <boost/json/string.hpp>

namespace bfm::net {

namespace http = boost::beast::http;
namespace json = boost::json;

json_reply job_error_reply(http::status status, std::string_view code, std::string_view message,
                           json::object details) {
    json::object error;
    error["code"] = code;
    error["message"] = message;
    error["details"] = std::move(details);
    json::object body;
    body["error"] = std::move(error);
    return json_reply{status, std::move(body), {}};
}

json_reply job_field_error(std::string_view code, std::string_view message,
                           std::string_view field) {
    json::object details;
    if (!field.empty()) details["field"] = field;
    return job_error_reply(http::status::bad_request, code, message, std::move(details));
}

json_reply job_service_error(const core::service_error& error) {
    const std::string_view code = error.code;
    http::status status = http::status::internal_server_error;
    if (code == "job_not_found") {
        status = http::status::not_found;
    } else if (code == "unknown_connection" || code == "unknown_migration"
               || code.substr(0, 8) == "invalid_") {
        status = http::status::bad_request;
    } else if (code == "state_unavailable") {
        status = http::status::service_unavailable;
    } else if (code == "not_implemented") {
        status = http::status::not_implemented;
    }
    return job_error_reply(status, code, error.message);
}

json_reply to_job_error(json_reply flat) {
    json::object details;
    std::string code = "error";
    std::string message;
    if (flat.body.is_object()) {
        const json::object& body = flat.body.get_object();
        if (auto* c = body.if_contains("code"); c != nullptr && c->is_string()) {
            code = std::string(c->get_string());
        }
        if (auto* m = body.if_contains("error"); m != nullptr && m->is_string()) {
            message = std::string(m->get_string());
        }
        if (auto* d = body.if_contains("details"); d != nullptr && d->is_object()) {
            details = d->get_object();
        }
    }
    json_reply out = job_error_reply(flat.status, code, message, std::move(details));
    out.headers = std::move(flat.headers);
    return out;
}

}  // namespace bfm::net
