#pragma once
// Maps an HTTP request to its handler: route table, 404/405, the Bearer-token gate for
// non-public routes, error containment (an unexpected exception is a 500 and a log line, never
// a crash) and the access log line.

#include <boost/asio/awaitable.hpp>

#include "core/config.hpp"
#include "core/service.hpp"
#include "net/json_response.hpp"

namespace bfm::net {

class router {
public:
    // Both must outlive the router. The token is read from `config`.
    router(const core::app_config& config, core::migration_service& service);

    // `request` must stay alive until the returned awaitable completes.
    boost::asio::awaitable<http_response> handle(const http_request& request);

private:
    boost::asio::awaitable<json_reply> dispatch(const http_request& request,
                                                std::string_view target, std::string& log_path);

    const core::app_config& config_;
    core::migration_service& service_;
};

}  // namespace bfm::net
