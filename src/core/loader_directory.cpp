#include <algorithm>
#include <fstream>
#include <sstream>
#include <tuple>

#include "core/loader.hpp"

namespace bfm::core {

namespace fs = std::filesystem;

namespace {

bool read_whole_file(const fs::path& path, std::string& content) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) return false;
    content = std::move(buffer).str();
    return true;
}

}  // namespace

load_result load_migrations_from_directory(const fs::path& root) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        return {{}, {{root.string(), 0, "sfm directory does not exist or is not a directory"}}};
    }
    std::vector<source_file> files;
    std::vector<load_error> read_errors;
    fs::recursive_directory_iterator it(root, ec);
    const fs::recursive_directory_iterator end;
    for (; !ec && it != end; it.increment(ec)) {
        const fs::directory_entry& entry = *it;
        std::error_code entry_ec;
        // Hidden folders (.git, editor state) never hold migrations.
        if (entry.is_directory(entry_ec)) {
            if (entry.path().filename().string().starts_with('.')) it.disable_recursion_pending();
            continue;
        }
        if (!entry.is_regular_file(entry_ec)) continue;
        source_file file{entry.path().lexically_relative(root).generic_string(), {}};
        if (!read_whole_file(entry.path(), file.content)) {
            read_errors.push_back({file.path, 0, "cannot read file"});
            continue;
        }
        files.push_back(std::move(file));
    }
    if (ec) read_errors.push_back({root.string(), 0, "cannot list directory: " + ec.message()});

    load_result result = load_migrations(files);
    if (read_errors.empty()) return result;
    result.migrations.clear();
    result.errors.insert(result.errors.end(), read_errors.begin(), read_errors.end());
    std::stable_sort(result.errors.begin(), result.errors.end(),
                     [](const load_error& a, const load_error& b) {
                         return std::tie(a.file, a.line) < std::tie(b.file, b.line);
                     });
    return result;
}

}  // namespace bfm::core
