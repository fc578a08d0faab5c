#pragma once
// The HTTP listener: accepts connections on the io_context and runs one coroutine session per
// connection (keep-alive, body limit, read timeout), dispatching requests to the router.

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>

#include "core/config.hpp"
#include "core/service.hpp"

namespace bfm::net {

class http_server {
public:
    http_server(boost::asio::io_context& ioc, const core::app_config& config,
                core::migration_service& service);
    ~http_server();
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    // Binds BFM_HTTP_ADDRESS:BFM_HTTP_PORT (port 0 picks a free one) and starts accepting.
    // Returns the bound port. Throws boost::system::system_error naming the address on failure.
    std::uint16_t listen();

    // Stops accepting and closes idle keep-alive sessions; requests in flight finish.
    void stop();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace bfm::net
