#include <boost/json/object.hpp>

#include "net/handlers.hpp"

namespace bfm::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

asio::awaitable<json_reply> handle_health(core::migration_service& service) {
    const core::health_report report = co_await service.health();
    json::object checks;
    for (const auto& [name, state] : report.checks) checks[name] = state;
    json::object body{{"status", report.healthy ? "healthy" : "unhealthy"},
                      {"checks", std::move(checks)}};
    co_return json_reply{
        report.healthy ? http::status::ok : http::status::service_unavailable, std::move(body), {}};
}

}  // namespace bfm::net
