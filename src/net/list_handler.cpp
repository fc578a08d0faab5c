#include "net/handlers.hpp"
#include "net/list_query_params.hpp"
#include "net/list_response_json.hpp"

namespace bfm::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;

asio::awaitable<json_reply> handle_list_migrations(core::migration_service& service,
                                                   const boost::urls::params_view& params) {
    list_query_result parsed = parse_list_query(params);
    if (parsed.error) {
        const query_error& e = *parsed.error;
        co_return error_reply(http::status::bad_request, e.message, e.code, e.parameter);
    }
    const core::list_query query = *parsed.query;
    core::service_outcome<core::list_page> outcome = co_await service.list_migrations(query);
    if (outcome.error) {
        co_return error_reply(http::status::service_unavailable, outcome.error->message,
                              outcome.error->code);
    }
    if (!outcome.value) {
        throw std::logic_error("list_migrations returned neither a value nor an error");
    }
    co_return list_reply(*outcome.value, query);
}

}  // namespace bfm::net
