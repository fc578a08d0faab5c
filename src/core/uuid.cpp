#include "core/uuid.hpp"

#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>

namespace bfm::core {

std::string make_uuid_v7() {
    std::array<unsigned char, 16> b{};
    if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
        throw std::runtime_error("RAND_bytes failed: no entropy for a UUID");
    }
    auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
    // Monotonic within the process (RFC 9562, method 1: a 12-bit counter in rand_a): IDs made
    // in the same millisecond still sort in creation order, which orders a target's attempts.
    std::uint16_t counter = 0;
    {
        static std::mutex mutex;
        static std::uint64_t last_ms = 0;
        static std::uint16_t last_counter = 0;
        const std::lock_guard<std::mutex> lock(mutex);
        if (ms <= last_ms) {
            ms = last_ms;
            counter = static_cast<std::uint16_t>(last_counter + 1);
            if (counter > 0x0FFF) {  // 4,096 IDs in one millisecond: borrow the next one
                ++ms;
                counter = 0;
            }
        }
        last_ms = ms;
        last_counter = counter;
    }
    for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
    b[6] = static_cast<unsigned char>(0x70 | (counter >> 8));  // version 7, counter high bits
    b[7] = static_cast<unsigned char>(counter & 0xFF);
    b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
        out.push_back(hex[b[i] >> 4]);
        out.push_back(hex[b[i] & 0x0F]);
    }
    return out;
}

}  // namespace bfm::core
