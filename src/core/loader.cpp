#include "core/loader.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "core/checksum.hpp"
#include "core/migration_file_name.hpp"
#include "core/migration_header.hpp"
#include "core/text.hpp"

namespace bfm::core {

namespace {

// One migration being assembled: its up and down files, paired on directory and stem.
struct file_pair {
    const source_file* up = nullptr;
    const source_file* down = nullptr;
    migration_file_name name;
    std::string backend;
    std::string connection;
};

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

// Documentation, hidden files and convention D `.go` stubs (read by a later loader) are not
// migrations.
bool is_ignored(const std::vector<std::string_view>& parts) {
    for (std::string_view part : parts) {
        if (part.starts_with('.')) return true;
    }
    const std::string base = to_lower_ascii(parts.back());
    return base == "readme" || base.starts_with("readme.") || base.ends_with(".md")
           || base.ends_with(".go");
}

std::string pair_key(const std::vector<std::string_view>& parts, const migration_file_name& name) {
    std::string key;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        key += parts[i];
        key += '/';
    }
    key += name.convention == naming_convention::seed ? "B:" : "A:";
    key += name.stem;
    return key;
}

std::string expected_up_file(const file_pair& pair) {
    if (pair.name.convention == naming_convention::seed) return pair.name.stem + ".sql";
    return pair.name.stem + (pair.backend == "etcd" ? ".up.json" : ".up.sql");
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

        file_pair& pair = pairs_[pair_key(parts, parse.parsed)];
        const source_file*& slot = parse.parsed.role == script_role::up ? pair.up : pair.down;
        if (slot != nullptr) {
            return error(file.path, 0, "is the same migration script as " + slot->path);
        }
        slot = &file;
        if (parse.parsed.role == script_role::up || pair.up == nullptr) {
            pair.name = std::move(parse.parsed);
            pair.backend = backend;
            pair.connection = std::string(parts[1]);
        }
    }

    load_result finish() {
        for (auto& [key, pair] : pairs_) {
            if (pair.up == nullptr) {
                error(pair.down->path, 0,
                      "down script without an up script (expected " + expected_up_file(pair)
                          + " next to it)");
                continue;
            }
            build(pair);
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
    void build(const file_pair& pair) {
        migration m;
        m.backend = pair.backend;
        m.connection = pair.connection;
        m.version = pair.name.version;
        // The file-name parser allows at most 19 digits, which always fit.
        m.version_number = parse_uint64(m.version).value_or(0);
        m.name = pair.name.name;
        m.convention = pair.name.convention;
        m.up_sql = pair.up->content;
        m.up_path = pair.up->path;
        if (pair.down != nullptr) {
            m.down_sql = pair.down->content;
            m.down_path = pair.down->path;
        }
        m.checksum = checksum_v1(m.up_sql);
        if (m.convention == naming_convention::seed) {
            m.id = pair.name.stem;
            m.schema = pair.name.schema;
            m.table = pair.name.table;
        } else {
            m.id = m.version + "_" + m.name + "_" + m.backend + "_" + m.connection;
        }
        if (m.backend != "etcd" && !apply_header(m)) return;
        migrations_.push_back(std::move(m));
    }

    // Returns false when the header has errors (they are recorded).
    bool apply_header(migration& m) {
        header_parse parsed = parse_migration_header(m.up_sql, m.up_path);
        const std::size_t errors_before = errors_.size();
        for (load_error& e : parsed.errors) errors_.push_back(std::move(e));
        const migration_header& h = parsed.header;
        if (m.convention == naming_convention::seed) {
            if (!h.schema.empty() && h.schema != m.schema) {
                error(m.up_path, h.schema_line,
                      "-- bfm:schema " + quote_for_message(h.schema)
                          + " disagrees with the schema in the file name ("
                          + quote_for_message(m.schema) + ")");
            }
            if (!h.table.empty() && h.table != m.table) {
                error(m.up_path, h.table_line,
                      "-- bfm:table " + quote_for_message(h.table)
                          + " disagrees with the table in the file name ("
                          + quote_for_message(m.table) + ")");
            }
        } else {
            m.schema = h.schema;
            m.table = h.table;
        }
        return errors_.size() == errors_before;
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

    std::map<std::string, file_pair> pairs_;
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
