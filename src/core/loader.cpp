#include "core/loader.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "core/migration_build.hpp"
#include "core/migration_file_name.hpp"
#include "core/text.hpp"

namespace bfm::core {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> parts;
    while (!path.empty()) {
        const std::size_t end = path.find('/');
        const std::string_view part = path.substr(0, end);
        if (!part.empty()) parts.push_back(part);
        if (end == std::string_view::npos) break;
        path.remove_prefix(end + 1);
    }
    return parts;
}

bool ends_with_ci(std::string_view text, std::string_view lower_suffix) {
    return text.size() >= lower_suffix.size()
           && to_lower_ascii(text.substr(text.size() - lower_suffix.size())) == lower_suffix;
}

// Documentation and hidden files are not migrations.
bool is_ignored(const std::vector<std::string_view>& parts) {
    for (std::string_view part : parts) {
        if (part.starts_with('.')) return true;
    }
    const std::string base = to_lower_ascii(parts.back());
    return base == "readme" || base.starts_with("readme.") || base.ends_with(".md");
}

// Files of one migration share their directory and stem; B and C names have their own space
// (a C file and an A pair with the same stem are two migrations, reported as a duplicate ID).
std::string group_key(const std::vector<std::string_view>& parts, const migration_file_name& name) {
    std::string key;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        key += parts[i];
        key += '/';
    }
    switch (name.convention) {
        case naming_convention::seed:
            key += "B:";
            break;
        case naming_convention::single_file:
            key += "C:";
            break;
        default:
            key += "A:";
            break;
    }
    key += name.stem;
    return key;
}

std::string expected_up_file(const migration_files& files) {
    if (files.name.convention == naming_convention::seed) return files.name.stem + ".sql";
    return files.name.stem + (files.backend == "etcd" ? ".up.json" : ".up.sql");
}

const source_file*& slot_for(migration_files& files, script_role role) {
    switch (role) {
        case script_role::up:
            return files.up;
        case script_role::down:
            return files.down;
        case script_role::stub:
            return files.stub;
        case script_role::meta:
            return files.meta;
    }
    return files.up;
}

class tree_loader {
public:
    void add(const source_file& file) {
        const auto parts = split_path(file.path);
        if (parts.empty() || is_ignored(parts)) return;
        if (parts.size() < 3) {
            if (ends_with_ci(parts.back(), ".sql")) {
                error(file.path, 0, "migration files must live under {backend}/{connection}/");
            }
            return;
        }
        if (!is_known_backend(parts[0])) {
            // Other files (scripts, notes) in a stray folder are not mistaken migrations.
            const bool looks_like_migration =
                ends_with_ci(parts.back(), ".sql") || ends_with_ci(parts.back(), ".json");
            if (looks_like_migration && unknown_backends_.insert(std::string(parts[0])).second) {
                error(file.path, 0,
                      "unknown backend folder " + quote_for_message(parts[0])
                          + " (known: postgresql, postgres, mysql, greptimedb, etcd, clickhouse)");
            }
            return;
        }
        const std::string backend = canonical_backend(parts[0]);
        file_name_parse parse = parse_migration_file_name(parts.back(), backend);
        if (parse.kind == file_name_kind::other) return;
        if (parse.kind == file_name_kind::invalid) return error(file.path, 0, parse.error);

        migration_files& files = groups_[group_key(parts, parse.parsed)];
        const source_file*& slot = slot_for(files, parse.parsed.role);
        if (slot != nullptr) {
            return error(file.path, 0, "is the same migration script as " + slot->path);
        }
        slot = &file;
        if (parse.parsed.role == script_role::up || files.up == nullptr) {
            files.name = std::move(parse.parsed);
            files.backend = backend;
            files.connection = std::string(parts[1]);
        }
    }

    load_result finish() {
        for (auto& [key, files] : groups_) {
            if (files.up == nullptr) {
                report_orphans(files);
                continue;
            }
            if (auto m = build(files)) migrations_.push_back(std::move(*m));
        }
        check_unique();
        std::sort(migrations_.begin(), migrations_.end(),
                  [](const migration& a, const migration& b) {
                      return std::tie(a.version_number, a.id) < std::tie(b.version_number, b.id);
                  });
        std::stable_sort(errors_.begin(), errors_.end(),
                         [](const load_error& a, const load_error& b) {
                             return std::tie(a.file, a.line) < std::tie(b.file, b.line);
                         });
        load_result result;
        if (errors_.empty()) result.migrations = std::move(migrations_);
        result.errors = std::move(errors_);
        return result;
    }

private:
    std::optional<migration> build(const migration_files& files) {
        if (files.backend == "etcd") return build_json_migration(files, errors_);
        if (files.name.convention == naming_convention::single_file) {
            return build_single_file_migration(files, errors_);
        }
        return build_sql_migration(files, errors_);
    }

    void report_orphans(const migration_files& files) {
        const std::string expected = " (expected " + expected_up_file(files) + " next to it)";
        if (files.down != nullptr) {
            error(files.down->path, 0, "down script without an up script" + expected);
        }
        if (files.stub != nullptr) {
            error(files.stub->path, 0, "upstream .go stub without an up script" + expected);
        }
        if (files.meta != nullptr) {
            error(files.meta->path, 0, ".meta.json sidecar without an up script" + expected);
        }
    }

    void check_unique() {
        std::map<std::string, const migration*> by_id;
        std::map<std::tuple<std::string, std::string, std::uint64_t>, const migration*> by_version;
        for (const migration& m : migrations_) {
            auto [id_it, new_id] = by_id.emplace(m.id, &m);
            if (!new_id) {
                error(later(m, *id_it->second), 0,
                      "duplicate migration ID " + quote_for_message(m.id) + " (also defined by "
                          + earlier(m, *id_it->second) + ")");
                continue;
            }
            auto [v_it, new_version] =
                by_version.emplace(std::make_tuple(m.backend, m.connection, m.version_number), &m);
            if (!new_version) {
                error(later(m, *v_it->second), 0,
                      "version " + m.version + " of connection " + quote_for_message(m.connection)
                          + " is also used by " + earlier(m, *v_it->second)
                          + ": the order of the two migrations is ambiguous");
            }
        }
    }

    static const std::string& later(const migration& a, const migration& b) {
        return std::max(a.up_path, b.up_path);
    }
    static const std::string& earlier(const migration& a, const migration& b) {
        return std::min(a.up_path, b.up_path);
    }

    void error(const std::string& file, int line, std::string message) {
        errors_.push_back({file, line, std::move(message)});
    }

    std::map<std::string, migration_files> groups_;
    std::set<std::string> unknown_backends_;
    std::vector<migration> migrations_;
    std::vector<load_error> errors_;
};

}  // namespace

load_result load_migrations(const std::vector<source_file>& files) {
    std::vector<const source_file*> ordered;
    ordered.reserve(files.size());
    for (const source_file& f : files) ordered.push_back(&f);
    std::sort(ordered.begin(), ordered.end(),
              [](const source_file* a, const source_file* b) { return a->path < b->path; });
    tree_loader loader;
    for (const source_file* f : ordered) loader.add(*f);
    return loader.finish();
}

}  // namespace bfm::core
