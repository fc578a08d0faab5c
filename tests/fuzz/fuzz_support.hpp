#pragma once
// Shared by the fuzz targets: turning one fuzz input into several files, and the invariants
// every load result must keep whatever the input was.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/loader.hpp"

namespace bfm::fuzz {

// The input split at NUL bytes into at most `max_parts` parts; the last part keeps any further
// NULs. A plain text file (as the seed corpus holds) is one part.
inline std::vector<std::string> split_input(const std::uint8_t* data, std::size_t size,
                                            std::size_t max_parts) {
    const std::string_view all(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> parts;
    std::size_t pos = 0;
    while (parts.size() + 1 < max_parts) {
        const std::size_t nul = all.find('\0', pos);
        if (nul == std::string_view::npos) break;
        parts.emplace_back(all.substr(pos, nul - pos));
        pos = nul + 1;
    }
    parts.emplace_back(all.substr(pos));
    return parts;
}

// A broken invariant: print it and abort, so libFuzzer records the input as a crash.
[[noreturn]] inline void invariant_failed(const char* what, const std::string& detail = {}) {
    std::fprintf(stderr, "fuzz invariant failed: %s %s\n", what, detail.c_str());
    std::abort();
}

// What loader.hpp promises for any input: no migrations when there are errors, migrations
// sorted by (version_number, id) with unique IDs, every error with a file and a message.
inline void check_load_result(const core::load_result& r) {
    if (!r.errors.empty() && !r.migrations.empty()) {
        invariant_failed("migrations returned together with errors:", r.errors.front().to_string());
    }
    for (const core::load_error& e : r.errors) {
        if (e.message.empty()) invariant_failed("error without a message in", e.file);
        if (e.line < 0) invariant_failed("negative line in", e.to_string());
    }
    for (std::size_t i = 1; i < r.migrations.size(); ++i) {
        const core::migration& a = r.migrations[i - 1];
        const core::migration& b = r.migrations[i];
        if (a.version_number > b.version_number
            || (a.version_number == b.version_number && a.id >= b.id)) {
            invariant_failed("migrations not sorted or IDs not unique:", a.id + " / " + b.id);
        }
    }
    for (const core::migration& m : r.migrations) {
        if (m.id.empty()) invariant_failed("migration without an ID from", m.up_path);
        if (m.checksum.rfind("v1:", 0) != 0) invariant_failed("checksum without v1:", m.id);
    }
}

inline core::load_result load_and_check(const std::vector<core::source_file>& files) {
    core::load_result r = core::load_migrations(files);
    check_load_result(r);
    return r;
}

}  // namespace bfm::fuzz
