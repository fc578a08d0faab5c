// Conventions A and B (SPEC 1.1): the input is one migration file's content, at a fixed path of
// each convention. Parts after NUL bytes add a second file: part 2 is the down script, part 3
// (when present) names one more file in the same folder, which gets part 2 as its content.

#include "fuzz_support.hpp"

namespace {

void load_as(const std::vector<std::string>& parts, const std::string& dir, const std::string& up,
             const std::string& down) {
    std::vector<bfm::core::source_file> files{{dir + up, parts[0]}};
    if (parts.size() >= 2) files.push_back({dir + down, parts[1]});
    if (parts.size() >= 3) files.push_back({dir + parts[2], parts[1]});
    bfm::fuzz::load_and_check(files);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::vector<std::string> parts = bfm::fuzz::split_input(data, size, 3);
    load_as(parts, "postgresql/core/", "20250101120000_create_things.up.sql",
            "20250101120000_create_things.down.sql");
    load_as(parts, "postgresql/core/", "core_things_20250101120000_create_things.sql",
            "core_things_20250101120000_create_things_down.sql");
    return 0;
}
