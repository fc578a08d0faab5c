#pragma once
// Maps an HTTP request to its handler: route table, 404/405, the Bearer-token gate for
// non-public routes, error containment (an unexpected exception is a 500 and a log line, never
// a crash) and the access log line.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/service.hpp"
#include "net/auth.hpp"
#include "net/json_response.hpp"
#include "net/sse_stream.hpp"

namespace bfm::net {

struct stream_reply;

// What the session sends: a whole response, or (stream set) the header of a streamed body that
// the session writes by running `stream` after the header, then closes the connection.
struct router_reply {
    http_response response;  // for a stream: the header only (no Content-Length, not chunked)
    std::unique_ptr<response_stream> stream;
};

class router {
public:
    // Both must outlive the router. Tokens come from `config` (load_token_table; a bad tokens
    // file throws std::invalid_argument, main checks it first). `sse_keep_alive`: the quiet
    // time after which an event stream sends a keep-alive comment and re-reads its job.
    router(const core::app_config& config, core::migration_service& service,
           std::chrono::milliseconds sse_keep_alive = std::chrono::seconds(1));

    // `request` must stay alive until the returned awaitable completes, and the stream (if
    // any) while it runs.
    boost::asio::awaitable<router_reply> respond(const http_request& request);

    // respond() for callers that cannot stream: only a stream's header is returned.
    boost::asio::awaitable<http_response> handle(const http_request& request);

private:
    // `route_label`: set to "unmatched" when no route knows the path (metrics label).
    boost::asio::awaitable<stream_reply> dispatch(const http_request& request,
                                                  std::string_view target, std::string& log_path,
                                                  bool& job_route, std::string& route_label);
    // nullopt when the request carries a token whose role is at least `need` (stored in
    // `granted` if given); else the 401 (no valid token) or 403 (role too weak) reply.
    std::optional<json_reply> authorize(const http_request& request, role need,
                                        role* granted = nullptr) const;

    const core::app_config& config_;
    core::migration_service& service_;
    std::chrono::milliseconds sse_keep_alive_;
    token_table tokens_;  // BFM_API_TOKEN (admin) and BFM_API_TOKENS_FILE
};

}  // namespace bfm::net
