#include "net/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <boost/beast/core/string.hpp>
#include <stdexcept>

namespace bfm::net {

namespace {

using digest = std::array<unsigned char, 32>;

digest sha256(std::string_view text) {
    digest out{};
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), out.data(), &size, EVP_sha256(), nullptr) != 1
        || size != out.size()) {
        throw std::runtime_error("SHA-256 failed");
    }
    return out;
}

}  // namespace

bool constant_time_equals(std::string_view a, std::string_view b) {
    const digest da = sha256(a);
    const digest db = sha256(b);
    // Both digests are always compared in full; the length check adds no early exit either.
    const bool same_digest = CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
    const bool same_length = a.size() == b.size();
    return same_digest & same_length;
}

std::optional<std::string> check_bearer(std::optional<std::string_view> header,
                                        std::string_view expected_token) {
    if (!header || header->empty()) return "missing Authorization header";
    // As upstream: split on the first space into scheme and token.
    const auto space = header->find(' ');
    if (space == std::string_view::npos) return "invalid Authorization header format";
    const std::string_view scheme = header->substr(0, space);
    const std::string_view token = header->substr(space + 1);
    if (!boost::beast::iequals(scheme, "bearer")) {
        return "authorization header must use Bearer scheme";
    }
    // An unset token never authorises anything (config requires one; this is a second fence).
    if (expected_token.empty()) return "BFM_API_TOKEN not configured";
    if (!constant_time_equals(token, expected_token)) return "invalid API token";
    return std::nullopt;
}

}  // namespace bfm::net
