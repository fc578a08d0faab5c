// GET /api/v1/jobs, GET /api/v1/jobs/{id}, GET /api/v1/jobs/{id}/targets and
// POST /api/v1/jobs/{id}/cancel.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "net/handlers.hpp"
#include "net/job_errors.hpp"
#include "net/job_json.hpp"
#include "net/job_query_params.hpp"

namespace bfm::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

json_reply query_error_reply(const query_error& e) {
    json::object details;
    if (!e.parameter.empty()) details["parameter"] = e.parameter;
    return job_error_reply(http::status::bad_request, e.code, e.message, std::move(details));
}

template <class T>
const T& value_of(const core::service_outcome<T>& outcome, const char* call) {
    if (!outcome.value) {
        throw std::logic_error(std::string(call) + " returned neither a value nor an error");
    }
    return *outcome.value;
}

}  // namespace

json_reply invalid_job_id_reply(std::string_view segment) {
    json::object details{{"job_id", truncate_for_message(segment, 64)}};
    return job_error_reply(http::status::bad_request, "invalid_job_id",
                           "job ID \"" + truncate_for_message(segment, 64)
                               + "\" is not a UUID (8-4-4-4-12 hex digits)",
                           std::move(details));
}

asio::awaitable<json_reply> handle_list_jobs(core::job_service& service,
                                             const boost::urls::params_view& params) {
    job_list_query_result parsed = parse_job_list_query(params);
    if (parsed.error) co_return query_error_reply(*parsed.error);
    const core::job_list_query query = *parsed.query;
    core::service_outcome<core::job_page> outcome = co_await service.list_jobs(query);
    if (outcome.error) co_return job_service_error(*outcome.error);
    const core::job_page& page = value_of(outcome, "list_jobs");

    json::array items;
    items.reserve(page.items.size());
    for (const core::job_summary& job : page.items) items.push_back(job_json(job));
    json::object body{{"items", std::move(items)},
                      {"total", page.total},
                      {"limit", query.limit},
                      {"offset", query.offset}};
    co_return json_reply{http::status::ok, std::move(body), {}};
}

asio::awaitable<json_reply> handle_get_job(core::job_service& service, std::string_view id) {
    std::optional<std::string> job_id = parse_job_id(id);
    if (!job_id) co_return invalid_job_id_reply(id);
    core::service_outcome<core::job_summary> outcome = co_await service.get_job(*job_id);
    if (outcome.error) co_return job_service_error(*outcome.error);
    co_return json_reply{http::status::ok, job_json(value_of(outcome, "get_job")), {}};
}

asio::awaitable<json_reply> handle_job_targets(core::job_service& service, std::string_view id,
                                               const boost::urls::params_view& params) {
    std::optional<std::string> job_id = parse_job_id(id);
    if (!job_id) co_return invalid_job_id_reply(id);
    job_target_query_result parsed = parse_job_target_query(params);
    if (parsed.error) co_return query_error_reply(*parsed.error);
    const core::job_target_query query = *parsed.query;
    core::service_outcome<core::job_target_page> outcome =
        co_await service.job_targets(*job_id, query);
    if (outcome.error) co_return job_service_error(*outcome.error);
    const core::job_target_page& page = value_of(outcome, "job_targets");

    json::array items;
    items.reserve(page.items.size());
    for (const core::job_target_row& row : page.items) items.push_back(job_target_json(row));
    json::object body{{"items", std::move(items)},
                      {"total", page.total},
                      {"limit", query.limit},
                      {"offset", query.offset}};
    co_return json_reply{http::status::ok, std::move(body), {}};
}

asio::awaitable<json_reply> handle_cancel_job(core::job_service& service, std::string_view id) {
    std::optional<std::string> job_id = parse_job_id(id);
    if (!job_id) co_return invalid_job_id_reply(id);
    core::service_outcome<core::job_summary> outcome = co_await service.cancel_job(*job_id);
    if (outcome.error) co_return job_service_error(*outcome.error);
    const core::job_summary& job = value_of(outcome, "cancel_job");
    // 200: the answer is final (the job had finished, or nothing was running and it is
    // cancelled already); 202: running targets are being cancelled.
    const http::status status =
        core::is_final(job.status) ? http::status::ok : http::status::accepted;
    co_return json_reply{status, job_json(job), {}};
}

}  // namespace bfm::net
