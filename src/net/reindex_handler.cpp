// POST /api/v1/migrations/reindex: rebuild the registry from the configured tree (or from
// {"sfm_path": "..."} inside it) and swap it in. 200 {added, removed, updated, total};
// 400 path outside the root; 422 the tree has problems (listed in details.problems, the running
// registry is unchanged); 503 the state database failed.

#include <boost/json.hpp>

#include "net/handlers.hpp"
#include "net/json_body.hpp"

namespace bfm::net {
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

json::array to_array(const std::vector<std::string>& values) {
    json::array out;
    for (const auto& v : values) out.emplace_back(v);
    return out;
}

}  // namespace

asio::awaitable<json_reply> handle_reindex(core::migration_service& service,
                                           std::string_view body) {
    std::string path;
    if (body.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        auto parsed = parse_json_object(body);
        if (parsed.error) co_return *parsed.error;
        for (const auto& entry : parsed.object) {
            if (entry.key() == "sfm_path") {
                if (auto e = read_string(entry.value(), "sfm_path", path)) co_return *e;
            } else {
                const std::string key = truncate_for_message(entry.key(), 64);
                co_return error_reply(http::status::bad_request, "unknown field \"" + key + "\"",
                                      "unknown_field", key);
            }
        }
    }
    auto outcome = co_await service.reindex(path);
    if (outcome.error) {
        const auto& e = *outcome.error;
        const auto status = e.code == "path_outside_root" ? http::status::bad_request
                            : e.code == "load_failed"     ? http::status::unprocessable_entity
                                                          : http::status::service_unavailable;
        json_reply reply = error_reply(status, e.message, e.code);
        if (!e.problems.empty()) {
            reply.body.as_object()["details"] = json::object{{"problems", to_array(e.problems)}};
        }
        co_return reply;
    }
    const auto& r = *outcome.report;
    co_return json_reply{http::status::ok,
                         json::object{{"added", to_array(r.added)},
                                      {"removed", to_array(r.removed)},
                                      {"updated", to_array(r.updated)},
                                      {"total", r.total}},
                         {}};
}

}  // namespace bfm::net
