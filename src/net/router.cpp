#include "net/router.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/url/parse.hpp>
#include <chrono>

#include "core/bfm_metrics.hpp"
#include "net/auth.hpp"
#include "net/handlers.hpp"
#include "net/job_errors.hpp"
#include "net/job_routes.hpp"
#include "net/migration_read_handlers.hpp"
#include "net/migration_routes.hpp"
#include "net/openapi_routes.hpp"
#include "net/ops_handlers.hpp"
#include "net/revert_routes.hpp"
#include "net/route_roles.hpp"
#include "net/route_template.hpp"

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
    reindex,
    ready,
    metrics,
    connections,
    targets
};

// `need`: the weakest role allowed (docs/decisions.md, "Roles"); nullopt = public.
struct route {
    std::string_view path;
    http::verb method;
    std::optional<role> need;
    route_id id;
};

constexpr route routes[] = {
    {"/health", http::verb::get, std::nullopt, route_id::health},
    {"/api/v1/health", http::verb::get, std::nullopt, route_id::health},
    {"/ready", http::verb::get, std::nullopt, route_id::ready},
    // Public unless BFM_METRICS_PUBLIC=off (then viewer): see router::dispatch.
    {"/metrics", http::verb::get, std::nullopt, route_id::metrics},
    {"/api/v1/migrate", http::verb::post, role::operator_, route_id::migrate},
    {"/api/v1/migrations/up", http::verb::post, role::operator_, route_id::migrations_up},
    {"/api/v1/migrations", http::verb::get, role::viewer, route_id::migrations_list},
    {"/api/v1/migrations/plan", http::verb::post, role::operator_, route_id::migrations_plan},
    {"/api/v1/migrations/order-batch", http::verb::post, role::operator_, route_id::order_batch},
    {"/api/v1/migrations/reindex", http::verb::post, role::admin, route_id::reindex},
    {"/api/v1/connections", http::verb::get, role::viewer, route_id::connections},
    {"/api/v1/targets", http::verb::get, role::viewer, route_id::targets},
};

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

http_response text_response(const text_body& text, unsigned version, bool keep_alive) {
    http_response res{http::status::ok, version};
    res.set(http::field::server, "bfm");
    res.set(http::field::content_type, text.content_type);
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.keep_alive(keep_alive);
    res.body() = text.body;
    res.prepare_payload();
    return res;
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

namespace {

token_table tokens_of(const core::app_config& config) {
    token_table_result loaded = load_token_table(config);
    if (!loaded.ok()) throw std::invalid_argument(loaded.errors.front());
    return std::move(loaded.table);
}

}  // namespace

router::router(const core::app_config& config, core::migration_service& service,
               std::chrono::milliseconds sse_keep_alive)
    : config_(config),
      service_(service),
      sse_keep_alive_(sse_keep_alive),
      tokens_(tokens_of(config)) {}

std::optional<json_reply> router::authorize(const http_request& request, role need,
                                            role* granted) const {
    std::optional<std::string_view> header;
    if (auto it = request.find(http::field::authorization); it != request.end()) {
        header = it->value();
    }
    auth_outcome outcome = authenticate_bearer(header, tokens_);
    if (!outcome.granted) return unauthorized(outcome.failure);
    if (!allows(*outcome.granted, need)) return forbidden_reply(*outcome.granted, need);
    if (granted != nullptr) *granted = *outcome.granted;
    return std::nullopt;
}

asio::awaitable<stream_reply> router::dispatch(const http_request& request, std::string_view target,
                                               std::string& log_path, bool& job_route,
                                               std::string& route_label) {
    stream_reply out;
    auto url = boost::urls::parse_origin_form(target);
    if (!url) {
        out.reply =
            error_reply(http::status::bad_request, "invalid request target", "invalid_target");
        route_label = "unmatched";
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
        role caller = role::viewer;
        if (auto denied =
                authorize(request, job_required_role(job->endpoint, request.method()), &caller)) {
            out.reply = to_job_error(std::move(*denied));
            co_return out;
        }
        const boost::urls::params_view params = url->params();
        switch (job->endpoint) {
            case job_endpoint::collection:
                if (request.method() == http::verb::post) {
                    out.reply = co_await handle_submit_job(service_, request.body(), caller);
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

    if (request.method() == http::verb::post) {
        if (std::optional<revert_route_match> revert = match_revert_route(path)) {
            // Operator fixes rewrite recorded state without running anything: admin only.
            const bool fix = revert->endpoint != revert_endpoint::down
                             && revert->endpoint != revert_endpoint::rollback;
            if (auto denied = authorize(request, fix ? role::admin : role::operator_)) {
                out.reply = std::move(*denied);
                co_return out;
            }
            switch (revert->endpoint) {
                case revert_endpoint::down:
                    out.reply = co_await handle_migrations_down(service_, request.body());
                    break;
                case revert_endpoint::rollback:
                    out.reply = co_await handle_rollback(service_, revert->id, request.body());
                    break;
                case revert_endpoint::baseline:
                    out.reply = co_await handle_operator_fix(service_, core::job_kind::baseline,
                                                             revert->id, request.body());
                    break;
                case revert_endpoint::repair:
                    out.reply = co_await handle_operator_fix(service_, core::job_kind::repair,
                                                             revert->id, request.body());
                    break;
                case revert_endpoint::force:
                    out.reply = co_await handle_operator_fix(service_, core::job_kind::force,
                                                             revert->id, request.body());
                    break;
            }
            co_return out;
        }
    }

    if (auto doc = openapi_reply(request.method(), path)) co_return std::move(*doc);
    const route* r = find_route(path);
    if (r == nullptr) {
        if (std::optional<migration_route_match> read =
                match_migration_route(request.method(), path)) {
            if (auto denied = authorize(request, role::viewer)) {
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
        route_label = "unmatched";
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
    std::optional<role> need = r->need;
    if (r->id == route_id::metrics && !config_.metrics_public) need = role::viewer;
    if (need) {
        if (auto denied = authorize(request, *need)) {
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
        case route_id::ready:
            out.reply = co_await handle_ready(service_);
            break;
        case route_id::metrics: {
            std::string text = co_await metrics_text(service_);
            out.text = text_body{"text/plain; version=0.0.4; charset=utf-8", std::move(text)};
            break;
        }
        case route_id::connections:
            out.reply = co_await handle_connections(service_);
            break;
        case route_id::targets: {
            const boost::urls::params_view params = url->params();
            out.reply = co_await handle_targets(service_, params);
            break;
        }
    }
    co_return out;
}

asio::awaitable<router_reply> router::respond(const http_request& request) {
    const auto started = std::chrono::steady_clock::now();
    std::string log_path = "-";
    bool job_route = false;
    std::string route_label;
    stream_reply dispatched;
    try {
        dispatched =
            co_await dispatch(request, request.target(), log_path, job_route, route_label);
    } catch (const std::exception& e) {
        spdlog::error("http {} {}: unexpected error: {}", request.method_string(), log_path,
                      e.what());
        dispatched.stream.reset();
        dispatched.text.reset();
        dispatched.reply = internal_error(job_route);
    } catch (...) {
        spdlog::error("http {} {}: unexpected non-standard exception", request.method_string(),
                      log_path);
        dispatched.stream.reset();
        dispatched.text.reset();
        dispatched.reply = internal_error(job_route);
    }
    const http::status status =
        dispatched.stream || dispatched.text ? http::status::ok : dispatched.reply.status;
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    // Successful health probes (load balancers, every few seconds) and reads of a job's status
    // (clients poll it, thousands of times a second) are logged at debug only.
    const bool routine_probe =
        status == http::status::ok && request.method() == http::verb::get
        && (log_path == "/health" || log_path == "/api/v1/health" || log_path == "/ready"
            || log_path == "/metrics"
            || (log_path.rfind("/api/v1/jobs/", 0) == 0
                && log_path.find('/', sizeof("/api/v1/jobs/") - 1) == std::string::npos));
    spdlog::log(routine_probe ? spdlog::level::debug : spdlog::level::info,
                "http {} {} {} {:.1f}ms{}", truncate_for_message(request.method_string(), 32),
                log_path, static_cast<unsigned>(status), elapsed.count() / 1000.0,
                dispatched.stream ? " (stream starts)" : "");
    // Labelled by route template (never a raw path with IDs) and known methods only.
    core::metrics::record_http_request(
        route_label.empty() ? route_template(log_path) : route_label,
        request.method() == http::verb::unknown ? "other" : request.method_string(),
        static_cast<unsigned>(status), elapsed.count() / 1e6);

    router_reply out;
    if (dispatched.stream) {
        out.response = stream_head(request.version());
        out.stream = std::move(dispatched.stream);
    } else if (dispatched.text) {
        out.response = text_response(*dispatched.text, request.version(), request.keep_alive());
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
