// POST /api/v1/migrations/order-batch (upstream): {"migration_ids": [...], "connection": "..."}
// -> 200 {"ordered_migration_ids": [...]}; 400 for unknown IDs, another connection, a cycle or
// an unresolvable dependency, and for a malformed body.

#include <boost/json.hpp>

#include "net/handlers.hpp"
#include "net/json_body.hpp"

namespace bfm::net {
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

asio::awaitable<json_reply> handle_order_batch(core::migration_service& service,
                                               std::string_view body) {
    auto parsed = parse_json_object(body);
    if (parsed.error) co_return *parsed.error;
    std::vector<std::string> ids;
    std::string connection;
    bool has_ids = false;
    for (const auto& entry : parsed.object) {
        const std::string_view key = entry.key();
        if (key == "migration_ids") {
            if (auto e = read_string_list(entry.value(), "migration_ids", ids)) co_return *e;
            has_ids = true;
        } else if (key == "connection") {
            if (auto e = read_string(entry.value(), "connection", connection)) co_return *e;
        } else {
            co_return error_reply(http::status::bad_request,
                                  "unknown field \"" + truncate_for_message(key, 64) + "\"",
                                  "unknown_field", truncate_for_message(key, 64));
        }
    }
    if (!has_ids) {
        co_return error_reply(http::status::bad_request, "migration_ids is required",
                              "missing_field", "migration_ids");
    }
    if (connection.empty()) {
        co_return error_reply(http::status::bad_request, "connection is required", "missing_field",
                              "connection");
    }
    const auto* configured = service.config().find_connection(connection);
    if (configured == nullptr) {
        co_return error_reply(http::status::bad_request,
                              "unknown connection \"" + truncate_for_message(connection, 64) + "\"",
                              "unknown_connection", "connection");
    }
    auto result = service.order_batch(configured->name, ids);
    if (result.error) {
        co_return error_reply(http::status::bad_request, result.error->message, result.error->code);
    }
    json::array ordered;
    for (const auto& id : result.ordered_ids) ordered.emplace_back(id);
    co_return json_reply{http::status::ok, json::object{{"ordered_migration_ids", ordered}}, {}};
}

}  // namespace bfm::net
