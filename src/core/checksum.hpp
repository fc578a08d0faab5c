#pragma once
#include <string>
#include <string_view>

namespace bfm::core {

// SPEC 1.3 checksum: "v1:" + hex SHA-256 of the script with CRLF/CR normalised to LF and
// trailing whitespace removed from every line.
std::string checksum_v1(std::string_view script);

// Lowercase hex SHA-256 of raw bytes.
std::string sha256_hex(std::string_view data);

}  // namespace bfm::core
