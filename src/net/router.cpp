#include "net/router.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/url/parse.hpp>
#include <chrono>

#include "net/auth.hpp"
#include "net/handlers.hpp"
#include "net/job_errors.hpp"
#include "net/job_routes.hpp"
#include "net/migration_read_handlers.hpp"
#include "net/migration_routes.hpp"

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

json_reply internal_error(bool job_route) {
    json_reply reply =
        error_reply(http::status::internal_server_error, "internal error", "internal");
    return job_route ? to_job_error(std::move(reply)) : reply;
}

// The header of an event stream. No Content-Length: the session frames the body (chunked on
// HTTP/1.1) and closes the connection when the stream ends.
http_response stream_head(unsigned version) {
    http_response head{http::status::ok, version};
    head.set(http::field::server, "bfm");
    head.set(http::field::content_type, "text/event-stream");
    head.set(http::field::cache_control, "no-cache");
    head.set("X-Content-Type-Options", "nosniff");
    head.set("X-Accel-Buffering", "no");  // nginx: pass events through unbuffered
    head.keep_alive(false);
    return head;
}

}  // namespace

router::router(const core::app_config& config, core::migration_service& service,
               std::chrono::milliseconds sse_keep_alive)
    : config_(config), service_(service), sse_keep_alive_(sse_keep_alive) {}

std::optional<json_reply> router::authorize(const http_request& request) const {
    std::optional<std::string_view> header;
    if (auto it = request.find(http::field::authorization); it != request.end()) {
        header = it->value();
    }
    if (auto failure = check_bearer(header, config_.api_token)) return unauthorized(*failure);
    return std::nullopt;
}

asio::awaitable<stream_reply> router::dispatch(const http_request& request, std::string_view target,
                                               std::string& log_path, bool& job_route) {
    stream_reply out;
    auto url = boost::urls::parse_origin_form(target);
    if (!url) {
        out.reply =
            error_reply(http::status::bad_request, "invalid request target", "invalid_target");
        co_return out;
    }
    const std::string_view path = url->encoded_path();
    log_path = truncate_for_message(path, 256);

    if (std::optional<job_route_match> job = match_job_route(path)) {
        job_route = true;
        if (!job_method_allowed(job->endpoint, request.method())) {
            out.reply =
                error_reply(http::status::method_not_allowed,
                            "method " + truncate_for_message(request.method_string(), 32)
                                + " not allowed on " + truncate_for_message(path, 128)
                                + "; allowed: " + std::string(job_allowed_methods(job->endpoint)),
                            "method_not_allowed");
            out.reply.headers.emplace_back(http::field::allow,
                                           std::string(job_allowed_methods(job->endpoint)));
            out.reply = to_job_error(std::move(out.reply));
            co_return out;
        }
        if (auto denied = authorize(request)) {
            out.reply = to_job_error(std::move(*denied));
            co_return out;
        }
        const boost::urls::params_view params = url->params();
        switch (job->endpoint) {
            case job_endpoint::collection:
                if (request.method() == http::verb::post) {
                    out.reply = co_await handle_submit_job(service_, request.body());
                } else {
                    out.reply = co_await handle_list_jobs(service_, params);
                }
                co_return out;
            case job_endpoint::job:
                out.reply = co_await handle_get_job(service_, job->id);
                co_return out;
            case job_endpoint::targets:
                out.reply = co_await handle_job_targets(service_, job->id, params);
                co_return out;
            case job_endpoint::cancel:
                out.reply = co_await handle_cancel_job(service_, job->id);
                co_return out;
            case job_endpoint::events:
                co_return co_await handle_job_events(service_, job->id, sse_keep_alive_);
        }
        throw std::logic_error("unhandled job route");
    }

    const route* r = find_route(path);
    if (r == nullptr) {
        if (std::optional<migration_route_match> read =
                match_migration_route(request.method(), path)) {
            if (auto denied = authorize(request)) {
                out.reply = std::move(*denied);
                co_return out;
            }
            const boost::urls::params_view params = url->params();
            out.reply = co_await handle_migration_read(service_, *read, params);
            co_return out;
        }
        if (std::string allowed = migration_allowed_methods(path); !allowed.empty()) {
            out.reply = error_reply(http::status::method_not_allowed,
                                    "method " + truncate_for_message(request.method_string(), 32)
                                        + " not allowed on " + truncate_for_message(path, 128)
                                        + "; allowed: " + allowed,
                                    "method_not_allowed");
            out.reply.headers.emplace_back(http::field::allow, std::move(allowed));
            co_return out;
        }
        out.reply = error_reply(http::status::not_found,
                                "not found: " + truncate_for_message(path, 128), "not_found");
        co_return out;
    }
    if (request.method() != r->method) {
        out.reply = error_reply(http::status::method_not_allowed,
                                "method " + truncate_for_message(request.method_string(), 32)
                                    + " not allowed on " + std::string(r->path)
                                    + "; allowed: " + std::string(http::to_string(r->method)),
                                "method_not_allowed");
        out.reply.headers.emplace_back(http::field::allow, std::string(http::to_string(r->method)));
        co_return out;
    }
    if (!r->is_public) {
        if (auto denied = authorize(request)) {
            out.reply = std::move(*denied);
            co_return out;
        }
    }

    switch (r->id) {
        case route_id::health:
            out.reply = co_await handle_health(service_);
            break;
        case route_id::migrate:
            out.reply = co_await handle_run_up(service_, migrate_body_kind::migrate, request.body(),
                                               r->path);
            break;
        case route_id::migrations_up:
            out.reply = co_await handle_run_up(service_, migrate_body_kind::migrations_up,
                                               request.body(), r->path);
            break;
        case route_id::migrations_plan:
            out.reply =
                co_await handle_run_up(service_, migrate_body_kind::plan, request.body(), r->path);
            break;
        case route_id::order_batch:
            out.reply = co_await handle_order_batch(service_, request.body());
            break;
        case route_id::reindex:
            out.reply = co_await handle_reindex(service_, request.body());
            break;
        case route_id::migrations_list: {
            const boost::urls::params_view params = url->params();
            out.reply = co_await handle_list_migrations(service_, params);
            break;
        }
    }
    co_return out;
}

asio::awaitable<router_reply> router::respond(const http_request& request) {
    const auto started = std::chrono::steady_clock::now();
    std::string log_path = "-";
    bool job_route = false;
    stream_reply dispatched;
    try {
        dispatched = co_await dispatch(request, request.target(), log_path, job_route);
    } catch (const std::exception& e) {
        spdlog::error("http {} {}: unexpected error: {}", request.method_string(), log_path,
                      e.what());
        dispatched.stream.reset();
        dispatched.reply = internal_error(job_route);
    } catch (...) {
        spdlog::error("http {} {}: unexpected non-standard exception", request.method_string(),
                      log_path);
        dispatched.stream.reset();
        dispatched.reply = internal_error(job_route);
    }
    const http::status status = dispatched.stream ? http::status::ok : dispatched.reply.status;
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    // Successful health probes (load balancers, every few seconds) and reads of a job's status
    // (clients poll it, thousands of times a second) are logged at debug only.
    const bool routine_probe =
        status == http::status::ok && request.method() == http::verb::get
        && (log_path == "/health" || log_path == "/api/v1/health"
            || (log_path.rfind("/api/v1/jobs/", 0) == 0
                && log_path.find('/', sizeof("/api/v1/jobs/") - 1) == std::string::npos));
    spdlog::log(routine_probe ? spdlog::level::debug : spdlog::level::info,
                "http {} {} {} {:.1f}ms{}", truncate_for_message(request.method_string(), 32),
                log_path, static_cast<unsigned>(status), elapsed.count() / 1000.0,
                dispatched.stream ? " (stream starts)" : "");

    router_reply out;
    if (dispatched.stream) {
        out.response = stream_head(request.version());
        out.stream = std::move(dispatched.stream);
    } else {
        out.response = make_response(dispatched.reply, request.version(), request.keep_alive());
    }
    co_return out;
}

asio::awaitable<http_response> router::handle(const http_request& request) {
    router_reply reply = co_await respond(request);
    co_return std::move(reply.response);
}

}  // namespace bfm::net
