#include "net/grpc/rpc_auth.hpp"

#include <optional>
#include <string>

namespace bfm::net::grpc_bridge {

grpc::Status authorize_call(const grpc::ServerContext& context, const token_table& tokens,
                            role need, std::string_view method) {
    std::optional<std::string_view> header;
    const auto& metadata = context.client_metadata();
    if (auto it = metadata.find("authorization"); it != metadata.end()) {
        header = std::string_view(it->second.data(), it->second.size());
    }
    const auth_outcome outcome = authenticate_bearer(header, tokens);
    if (!outcome.granted) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, outcome.failure);
    if (!allows(*outcome.granted, need)) {
        return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                            "role " + std::string(role_name(*outcome.granted)) + " may not call "
                                + std::string(method) + " (it needs " + std::string(role_name(need))
                                + ")");
    }
    return grpc::Status::OK;
}

}  // namespace bfm::net::grpc_bridge
