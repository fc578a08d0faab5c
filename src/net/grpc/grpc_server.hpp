#pragma once
// The gRPC listener (SPEC 8): migration.MigrationService, grpc.health.v1.Health and server
// reflection on BFM_GRPC_PORT. Calls are served by coroutines on the io_context through one
// completion-queue thread (completion_bridge.hpp). No gRPC header leaks out of this one.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "core/config.hpp"
#include "core/service.hpp"

namespace bfm::net {

class grpc_server {
public:
    grpc_server(boost::asio::io_context& ioc, const core::app_config& config,
                core::migration_service& service);
    ~grpc_server();
    grpc_server(const grpc_server&) = delete;
    grpc_server& operator=(const grpc_server&) = delete;

    // Binds BFM_HTTP_ADDRESS:BFM_GRPC_PORT and starts serving. Returns the bound port. Throws
    // std::runtime_error naming the address when it cannot listen.
    std::uint16_t listen();

    // The shutdown order of DESIGN.md: grpc::Server::Shutdown on a helper thread (calls still
    // running after `deadline` are cancelled), then the completion queue is shut down and
    // drained and its thread joined; `done` then runs on the io thread. Streams end at once
    // with UNAVAILABLE. Calling it again, or before listen(), just runs `done`.
    void shutdown(std::chrono::milliseconds deadline, std::function<void()> done);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace bfm::net
