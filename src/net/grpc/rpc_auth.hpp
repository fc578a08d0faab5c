#pragma once
// Authentication of gRPC calls (SPEC 8): `authorization: Bearer <token>` metadata, the same
// tokens, roles and messages as HTTP. No valid token: UNAUTHENTICATED; a role too weak:
// PERMISSION_DENIED.

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include <string_view>

#include "net/auth.hpp"

namespace bfm::net::grpc_bridge {

// OK when the call's metadata carries a token whose role allows `need`. `method` names the RPC
// in the message.
grpc::Status authorize_call(const grpc::ServerContext& context, const token_table& tokens,
                            role need, std::string_view method);

}  // namespace bfm::net::grpc_bridge
