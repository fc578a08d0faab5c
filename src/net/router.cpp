#include "net/router.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/url/parse.hpp>
#include <chrono>

#include "net/auth.hpp"
#include "net/handlers.hpp"

namespace bfm::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

enum class route_id {
    health,
    migrate,
    migrations_up,
    migrations_list,
    migrations_plan,
    order_batch,
    reindex
};

struct route {
    std::string_view path;
    http::verb method;
    bool is_public;
    route_id id;
};

constexpr std::array<route, 8> routes = {{
    {"/health", http::verb::get, true, route_id::health},
    {"/api/v1/health", http::verb::get, true, route_id::health},
    {"/api/v1/migrate", http::verb::post, false, route_id::migrate},
    {"/api/v1/migrations/up", http::verb::post, false, route_id::migrations_up},
    {"/api/v1/migrations", http::verb::get, false, route_id::migrations_list},
    {"/api/v1/migrations/plan", http::verb::post, false, route_id::migrations_plan},
    {"/api/v1/migrations/order-batch", http::verb::post, false, route_id::order_batch},
    {"/api/v1/migrations/reindex", http::verb::post, false, route_id::reindex},
}};

const route* find_route(std::string_view path) {
    for (const route& r : routes) {
        if (r.path == path) return &r;
    }
    return nullptr;
}

json_reply unauthorized(std::string_view message) {
    json_reply reply = error_reply(http::status::unauthorized, message, "unauthorized");
    reply.headers.emplace_back(http::field::www_authenticate, "Bearer");
    return reply;
}

}  // namespace

router::router(const core::app_config& config, core::migration_service& service)
    : config_(config), service_(service) {}

asio::awaitable<json_reply> router::dispatch(const http_request& request, std::string_view target,
                                             std::string& log_path) {
    auto url = boost::urls::parse_origin_form(target);
    if (!url) {
        co_return error_reply(http::status::bad_request, "invalid request target",
                              "invalid_target");
    }
    const std::string_view path = url->encoded_path();
    log_path = truncate_for_message(path, 256);

    const route* r = find_route(path);
    if (r == nullptr) {
        co_return error_reply(http::status::not_found,
                              "not found: " + truncate_for_message(path, 128), "not_found");
    }
    if (request.method() != r->method) {
        json_reply reply = error_reply(
            http::status::method_not_allowed,
            "method " + truncate_for_message(request.method_string(), 32) + " not allowed on "
                + std::string(r->path) + "; allowed: " + std::string(http::to_string(r->method)),
            "method_not_allowed");
        reply.headers.emplace_back(http::field::allow, std::string(http::to_string(r->method)));
        co_return reply;
    }
    if (!r->is_public) {
        std::optional<std::string_view> header;
        if (auto it = request.find(http::field::authorization); it != request.end()) {
            header = it->value();
        }
        if (auto failure = check_bearer(header, config_.api_token)) {
            co_return unauthorized(*failure);
        }
    }

    switch (r->id) {
        case route_id::health:
            co_return co_await handle_health(service_);
        case route_id::migrate:
            co_return co_await handle_run_up(service_, migrate_body_kind::migrate, request.body(),
                                             r->path);
        case route_id::migrations_up:
            co_return co_await handle_run_up(service_, migrate_body_kind::migrations_up,
                                             request.body(), r->path);
        case route_id::migrations_plan:
            co_return co_await handle_run_up(service_, migrate_body_kind::plan, request.body(),
                                             r->path);
        case route_id::order_batch:
            co_return co_await handle_order_batch(service_, request.body());
        case route_id::reindex:
            co_return co_await handle_reindex(service_, request.body());
        case route_id::migrations_list: {
            const boost::urls::params_view params = url->params();
            co_return co_await handle_list_migrations(service_, params);
        }
    }
    throw std::logic_error("unhandled route");
}

asio::awaitable<http_response> router::handle(const http_request& request) {
    const auto started = std::chrono::steady_clock::now();
    std::string log_path = "-";
    json_reply reply;
    try {
        reply = co_await dispatch(request, request.target(), log_path);
    } catch (const std::exception& e) {
        spdlog::error("http {} {}: unexpected error: {}", request.method_string(), log_path,
                      e.what());
        reply = error_reply(http::status::internal_server_error, "internal error", "internal");
    } catch (...) {
        spdlog::error("http {} {}: unexpected non-standard exception", request.method_string(),
                      log_path);
        reply = error_reply(http::status::internal_server_error, "internal error", "internal");
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    // Successful health probes (load balancers, every few seconds) are logged at debug only.
    const bool routine_probe =
        reply.status == http::status::ok && (log_path == "/health" || log_path == "/api/v1/health");
    spdlog::log(routine_probe ? spdlog::level::debug : spdlog::level::info,
                "http {} {} {} {:.1f}ms", truncate_for_message(request.method_string(), 32),
                log_path, static_cast<unsigned>(reply.status), elapsed.count() / 1000.0);
    co_return make_response(reply, request.version(), request.keep_alive());
}

}  // namespace bfm::net
