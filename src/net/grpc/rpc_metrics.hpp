#pragma once
// Counting gRPC calls for GET /metrics (SPEC 7): one place, so the handlers need not know the
// metrics registry.

#include <string_view>

namespace bfm::net::grpc_bridge {

// `method`: the RPC's short name ("Migrate"); `code`: the status name ("OK", "NOT_FOUND").
void record_grpc_metrics(std::string_view method, std::string_view code, double seconds);

}  // namespace bfm::net::grpc_bridge
