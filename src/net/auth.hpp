#pragma once
// Bearer-token authentication (SPEC 7). Pure functions: the router turns a failure into a 401.
// Tokens are never logged.

#include <optional>
#include <string>
#include <string_view>

namespace bfm::net {

// Compares two secrets in time that depends on neither their contents nor the position of the
// first difference, nor (beyond hashing) their lengths: both sides are hashed with SHA-256 and
// the digests compared with CRYPTO_memcmp.
bool constant_time_equals(std::string_view a, std::string_view b);

// Checks an Authorization header against the configured token. `header` is nullopt when the
// request has no Authorization header. Returns nullopt when authorised, else the upstream
// message ("missing Authorization header", "invalid Authorization header format",
// "authorization header must use Bearer scheme", "invalid API token").
std::optional<std::string> check_bearer(std::optional<std::string_view> header,
                                        std::string_view expected_token);

}  // namespace bfm::net
