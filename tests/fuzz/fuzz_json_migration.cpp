// etcd migrations (SPEC 1.1, 1.2): `{version}_{name}.up.json` with an optional `.down.json` and
// a `.meta.json` sidecar. Part 1 of the input is the up script, part 2 (after a NUL byte) the
// sidecar, part 3 the down script.

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::vector<std::string> parts = bfm::fuzz::split_input(data, size, 3);
    const std::string base = "etcd/metadata/20250115000000_seed_feature_flags";
    std::vector<bfm::core::source_file> files{{base + ".up.json", parts[0]}};
    if (parts.size() >= 2) files.push_back({base + ".meta.json", parts[1]});
    if (parts.size() >= 3) files.push_back({base + ".down.json", parts[2]});
    bfm::fuzz::load_and_check(files);
    // The sidecar alone: an orphan, never a crash.
    if (parts.size() >= 2) bfm::fuzz::load_and_check({{base + ".meta.json", parts[1]}});
    return 0;
}
