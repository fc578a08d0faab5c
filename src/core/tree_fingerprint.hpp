#pragma once
// A cheap fingerprint of an sfm tree (paths, sizes, modification times) so the reload watcher
// (BFM_RELOAD_INTERVAL) rebuilds the registry only when something changed.

#include <cstdint>
#include <filesystem>

namespace bfm::core {

std::uint64_t tree_fingerprint(const std::filesystem::path& root);

}  // namespace bfm::core
