#include "core/checksum.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace bfm::core {

namespace {

// CRLF and lone CR become LF; spaces and tabs at the end of every line are dropped. Whether the
// script ends with a newline is kept, so "a\n" and "a" stay different scripts.
std::string normalise_script(std::string_view script) {
    std::string out;
    out.reserve(script.size());
    auto drop_trailing_blanks = [&out] {
        while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
    };
    for (std::size_t i = 0; i < script.size(); ++i) {
        const char c = script[i];
        if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < script.size() && script[i + 1] == '\n') ++i;
            drop_trailing_blanks();
            out += '\n';
        } else {
            out += c;
        }
    }
    drop_trailing_blanks();
    return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 computation failed (OpenSSL EVP_Digest)");
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0x0f];
    }
    return out;
}

std::string checksum_v1(std::string_view script) {
    return "v1:" + sha256_hex(normalise_script(script));
}

}  // namespace bfm::core
