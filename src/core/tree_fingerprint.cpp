#include "core/tree_fingerprint.hpp"

#include <string>

namespace bfm::core {
namespace fs = std::filesystem;

std::uint64_t tree_fingerprint(const fs::path& root) {
    // FNV-1a over every entry's path, size and mtime; order-independent enough because the
    // directory iteration order is stable for an unchanged tree, and any change flips it.
    std::uint64_t hash = 1469598103934665603ull;
    auto mix = [&hash](const void* data, std::size_t n) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < n; ++i) hash = (hash ^ p[i]) * 1099511628211ull;
    };
    std::error_code ec;
    for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string path = it->path().string();
        mix(path.data(), path.size());
        if (it->is_regular_file(ec)) {
            const auto size = it->file_size(ec);
            mix(&size, sizeof size);
            const auto mtime = it->last_write_time(ec).time_since_epoch().count();
            mix(&mtime, sizeof mtime);
        }
    }
    if (ec) mix("error", 5);
    return hash;
}

}  // namespace bfm::core
