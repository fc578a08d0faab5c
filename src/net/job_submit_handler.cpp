#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "net/http_origin.hpp"
#include "net/handlers.hpp"
#include "net/job_errors.hpp"
#include "net/job_request_json.hpp"
#include "net/route_roles.hpp"

namespace bfm::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr std::string_view jobs_path = "/api/v1/jobs";


}  // namespace

asio::awaitable<json_reply> handle_submit_job(core::migration_service& service,
                                              std::string_view body, role caller) {
    job_body_result parsed = parse_job_body(body);
    if (parsed.error) {
        const body_error& e = *parsed.error;
        co_return job_field_error(e.code, e.message, e.field);
    }
    if (const role need = required_role(parsed.kind); !allows(caller, need)) {
        co_return to_job_error(forbidden_reply(caller, need));
    }
    core::normalise_result normalised =
        core::normalise_request(*parsed.request, service.config(), http_origin(jobs_path));
    if (normalised.error) {
        const core::request_error& e = *normalised.error;
        co_return job_field_error(e.code, e.message, e.field);
    }
    normalised.request->kind = parsed.kind;
    normalised.request->revert = std::move(parsed.revert);
    normalised.request->fix = std::move(parsed.fix);
    core::service_outcome<core::job_summary> outcome =
        co_await service.submit_job(std::move(*normalised.request), parsed.options);
    if (outcome.error) co_return job_service_error(*outcome.error);
    if (!outcome.value) throw std::logic_error("submit_job returned neither a value nor an error");

    const core::job_summary& job = *outcome.value;
    const std::string status_url = std::string(jobs_path) + "/" + job.job_id;
    json::object answer{{"job_id", job.job_id},
                        {"status_url", status_url},
                        {"events_url", status_url + "/events"},
                        {"status", core::to_string(job.status)}};
    json_reply reply{http::status::accepted, std::move(answer), {}};
    reply.headers.emplace_back(http::field::location, status_url);
    co_return reply;
}

}  // namespace bfm::net
