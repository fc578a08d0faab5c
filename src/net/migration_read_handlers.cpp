#include "net/migration_read_handlers.hpp"

#include <algorithm>
#include <boost/json/object.hpp>

#include "net/migration_query_params.hpp"
#include "net/migration_read_json.hpp"

namespace bfm::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr std::size_t max_id_bytes = 512;

unsigned accepted_params(migration_endpoint endpoint) {
    switch (endpoint) {
        case migration_endpoint::detail:
        case migration_endpoint::status:
            return target_params;
        case migration_endpoint::history:
            return target_params | page_params | action_param;
        case migration_endpoint::applied:
        case migration_endpoint::executions:
        case migration_endpoint::skipped:
        case migration_endpoint::recent_executions:
        case migration_endpoint::recent_skipped:
            return target_params | page_params;
    }
    return 0;
}

bool has_id(migration_endpoint endpoint) {
    return endpoint != migration_endpoint::recent_executions
           && endpoint != migration_endpoint::recent_skipped;
}

std::optional<json_reply> check_id(const std::string& id) {
    const bool control = std::any_of(id.begin(), id.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
    if (id.size() <= max_id_bytes && !control) return std::nullopt;
    return error_reply(http::status::bad_request,
                       "invalid migration ID \"" + truncate_for_message(id, 64) + "\": at most "
                           + std::to_string(max_id_bytes) + " bytes, no control characters",
                       "invalid_migration_id");
}

json_reply service_error_reply(const core::service_error& e, const std::string& id) {
    if (e.code == "migration_not_found") {
        // Upstream's exact message; the ID goes to details.
        json_reply reply = error_reply(http::status::not_found, e.message, e.code);
        reply.body.as_object()["details"] =
            json::object{{"migration_id", truncate_for_message(id, 256)}};
        return reply;
    }
    if (e.code == "schema_conflict") {
        return error_reply(http::status::bad_request, e.message, e.code, "schema");
    }
    if (e.code == "state_unavailable") {
        return error_reply(http::status::service_unavailable, e.message, e.code);
    }
    return error_reply(http::status::internal_server_error, e.message, e.code);
}

template <class T>
const T& value_of(const core::service_outcome<T>& outcome) {
    if (!outcome.value) throw std::logic_error("a migration read returned neither value nor error");
    return *outcome.value;
}

json_reply ok(json::object body) { return json_reply{http::status::ok, std::move(body), {}}; }

}  // namespace

asio::awaitable<json_reply> handle_migration_read(core::migration_service& service,
                                                  const migration_route_match& match,
                                                  const boost::urls::params_view& params) {
    if (has_id(match.endpoint)) {
        if (auto bad = check_id(match.id)) co_return std::move(*bad);
    }
    read_query_result parsed = parse_read_query(params, accepted_params(match.endpoint));
    if (parsed.error) {
        const query_error& e = *parsed.error;
        co_return error_reply(http::status::bad_request, e.message, e.code, e.parameter);
    }
    const core::read_query query = *parsed.query;
    const std::string& id = match.id;
    switch (match.endpoint) {
        case migration_endpoint::detail: {
            auto out = co_await service.get_migration(id, query);
            if (out.error) co_return service_error_reply(*out.error, id);
            co_return ok(migration_detail_json(value_of(out)));
        }
        case migration_endpoint::status: {
            auto out = co_await service.migration_status(id, query);
            if (out.error) co_return service_error_reply(*out.error, id);
            co_return ok(status_json(value_of(out)));
        }
        case migration_endpoint::applied: {
            auto out = co_await service.migration_applied(id, query);
            if (out.error) co_return service_error_reply(*out.error, id);
            co_return ok(applied_json(value_of(out), query));
        }
        case migration_endpoint::history: {
            auto out = co_await service.migration_history(id, query);
            if (out.error) co_return service_error_reply(*out.error, id);
            co_return ok(history_json(value_of(out), query));
        }
        case migration_endpoint::executions: {
            auto out = co_await service.migration_executions(id, query);
            if (out.error) co_return service_error_reply(*out.error, id);
            co_return ok(executions_json(value_of(out), query));
        }
        case migration_endpoint::skipped: {
            auto out = co_await service.migration_skipped(id, query);
            if (out.error) co_return service_error_reply(*out.error, id);
            co_return ok(skipped_json(value_of(out), query));
        }
        case migration_endpoint::recent_executions: {
            auto out = co_await service.recent_executions(query);
            if (out.error) co_return service_error_reply(*out.error, id);
            co_return ok(executions_json(value_of(out), query));
        }
        case migration_endpoint::recent_skipped: {
            auto out = co_await service.recent_skipped(query);
            if (out.error) co_return service_error_reply(*out.error, id);
            co_return ok(skipped_json(value_of(out), query));
        }
    }
    throw std::logic_error("unhandled migration read endpoint");
}

}  // namespace bfm::net
