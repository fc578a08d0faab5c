#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "net/http_origin.hpp"
#include "net/handlers.hpp"
#include "net/migrate_response_json.hpp"

namespace bfm::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

asio::awaitable<json_reply> handle_run_up(core::migration_service& service, migrate_body_kind kind,
                                          std::string_view body, std::string_view endpoint) {
    migrate_body_result parsed = parse_migrate_body(body, kind);
    if (parsed.error) {
        const body_error& e = *parsed.error;
        co_return error_reply(http::status::bad_request, e.message, e.code, e.field);
    }
    core::normalise_result normalised =
        core::normalise_request(*parsed.request, service.config(), http_origin(endpoint));
    if (normalised.error) {
        const core::request_error& e = *normalised.error;
        co_return error_reply(http::status::bad_request, e.message, e.code, e.field);
    }
    const bool plan_only = kind == migrate_body_kind::plan;
    if (plan_only) normalised.request->dry_run = true;
    core::service_outcome<core::run_result> outcome =
        co_await service.migrate_up(std::move(*normalised.request));
    if (outcome.error) {
        co_return error_reply(http::status::service_unavailable, outcome.error->message,
                              outcome.error->code);
    }
    if (!outcome.value) throw std::logic_error("migrate_up returned neither a value nor an error");
    co_return plan_only ? plan_reply(*outcome.value) : migrate_reply(*outcome.value);
}

}  // namespace bfm::net
