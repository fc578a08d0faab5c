#include "net/ops_handlers.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cmath>
#include <map>
#include <stdexcept>

#include "core/bfm_metrics.hpp"
#include "net/job_errors.hpp"
#include "net/target_query_params.hpp"

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

// A target's overall state, worst first: failed, modified, pending, ok.
std::string_view target_state(const core::target_summary& t) {
    if (t.failed > 0) return "failed";
    if (t.modified > 0) return "modified";
    if (t.pending > 0) return "pending";
    return "ok";
}

}  // namespace

asio::awaitable<json_reply> handle_ready(core::migration_service& service) {
    const core::readiness_report report = co_await service.readiness();
    json::object checks;
    for (const auto& [name, state] : report.checks) checks[name] = state;
    json::object body{{"status", report.ready ? "ready" : "not_ready"},
                      {"checks", std::move(checks)}};
    if (!report.ready) {
        json::array reasons;
        for (const auto& r : report.reasons) reasons.emplace_back(r);
        body["reasons"] = std::move(reasons);
    }
    co_return json_reply{report.ready ? http::status::ok : http::status::service_unavailable,
                         std::move(body),
                         {}};
}

asio::awaitable<json_reply> handle_connections(core::migration_service& service) {
    const std::vector<core::connection_status> all = co_await service.connections();
    json::array items;
    items.reserve(all.size());
    for (const auto& c : all) {
        json::object item{{"name", c.name},
                          {"backend", c.backend},
                          {"host", c.host},
                          {"port", c.port},
                          {"database", c.database},
                          {"schema", c.schema},
                          {"max_connections", c.max_connections},
                          {"healthy", c.healthy},
                          {"latency_ms", std::round(c.latency_ms * 100) / 100}};
        item["error"] = c.error.empty() ? json::value(nullptr) : json::value(c.error);
        items.push_back(std::move(item));
    }
    json::object body{{"items", std::move(items)}, {"total", all.size()}};
    co_return json_reply{http::status::ok, std::move(body), {}};
}

asio::awaitable<json_reply> handle_targets(core::migration_service& service,
                                           const boost::urls::params_view& params) {
    target_query_result parsed = parse_target_query(params);
    if (parsed.error) co_return query_error_reply(*parsed.error);
    core::target_query query = std::move(*parsed.query);
    if (!query.connection.empty() && !service.config().find_connection(query.connection)) {
        json::object details{{"parameter", "connection"}};
        co_return job_error_reply(http::status::bad_request, "unknown_connection",
                                  "unknown connection \""
                                      + truncate_for_message(query.connection, 64) + "\"",
                                  std::move(details));
    }
    const std::size_t limit = query.limit;
    const std::size_t offset = query.offset;
    core::service_outcome<core::target_page> outcome = co_await service.targets(std::move(query));
    if (outcome.error) co_return job_service_error(*outcome.error);
    if (!outcome.value) throw std::logic_error("targets returned neither a value nor an error");
    const core::target_page& page = *outcome.value;

    json::array items;
    items.reserve(page.items.size());
    for (const auto& t : page.items) {
        json::object item{{"connection", t.connection},
                          {"schema", t.schema},
                          {"status", target_state(t)},
                          {"applied", t.applied},
                          {"pending", t.pending},
                          {"failed", t.failed},
                          {"modified", t.modified},
                          {"rolled_back", t.rolled_back}};
        item["last_applied_at"] =
            t.last_applied_at.empty() ? json::value(nullptr) : json::value(t.last_applied_at);
        items.push_back(std::move(item));
    }
    json::object body{{"items", std::move(items)},
                      {"total", page.total},
                      {"limit", limit},
                      {"offset", offset}};
    co_return json_reply{http::status::ok, std::move(body), {}};
}

asio::awaitable<std::string> metrics_text(core::migration_service& service) {
    core::service_outcome<core::job_status_counts> counts = co_await service.job_counts();
    if (counts.value) {
        // Every status is shown, 0 included, so a query for one never finds nothing.
        std::map<std::string, std::int64_t> jobs;
        for (const char* s : {"queued", "running", "succeeded", "failed", "partial", "cancelled"}) {
            jobs[s] = 0;
        }
        std::map<std::string, std::int64_t> targets;
        for (const char* s : {"queued", "running", "succeeded", "failed", "cancelled"}) {
            targets[s] = 0;
        }
        for (const auto& [status, n] : counts.value->jobs) jobs[status] = n;
        for (const auto& [status, n] : counts.value->targets) targets[status] = n;
        core::metrics::set_job_gauges(true, jobs, targets);
    } else {
        core::metrics::set_job_gauges(false, {}, {});
    }
    co_return core::metrics::render();
}

}  // namespace bfm::net
