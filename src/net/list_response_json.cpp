#include "net/list_response_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace bfm::net {

namespace json = boost::json;

namespace {

json::object item_json(const core::migration_row& row) {
    json::object item{{"migration_id", row.migration_id},
                      {"schema", row.schema},
                      {"table", row.table},
                      {"version", row.version},
                      {"name", row.name},
                      {"connection", row.connection},
                      {"backend", row.backend},
                      {"applied", row.status == "applied"},
                      {"status", row.status},
                      {"checksum", row.checksum},
                      {"execution_ms", row.execution_ms}};
    if (!row.applied_at.empty()) item["applied_at"] = row.applied_at;
    if (!row.error_message.empty()) item["error_message"] = row.error_message;
    return item;
}

}  // namespace

json_reply list_reply(const core::list_page& page, const core::list_query& query) {
    json::array items;
    items.reserve(page.items.size());
    for (const core::migration_row& row : page.items) items.push_back(item_json(row));
    json::object body{{"items", std::move(items)},
                      {"total", page.total},
                      {"limit", query.limit},
                      {"offset", query.offset}};
    return json_reply{boost::beast::http::status::ok, std::move(body), {}};
}

}  // namespace bfm::net
