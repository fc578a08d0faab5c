#include "net/grpc/rpc_metrics.hpp"

#include <string>

#include "core/bfm_metrics.hpp"

namespace bfm::net::grpc_bridge {

void record_grpc_metrics(std::string_view method, std::string_view code, double seconds) {
    // The label is the full RPC name, as gRPC tooling shows it.
    const std::string name = "/migration.MigrationService/" + std::string(method);
    core::metrics::record_grpc_request(name, code, seconds);
}

}  // namespace bfm::net::grpc_bridge
