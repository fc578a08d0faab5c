#include "net/grpc/rpc_metrics.hpp"

namespace bfm::net::grpc_bridge {

void record_grpc_metrics(std::string_view method, std::string_view code, double seconds) {
    // The metrics registry is not in this build yet.
    (void)method;
    (void)code;
    (void)seconds;
}

}  // namespace bfm::net::grpc_bridge
