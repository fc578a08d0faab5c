// JSON operation scripts (etcd) with an optional .meta.json sidecar and .go stub.

#include "core/checksum.hpp"
#include "core/json_migration.hpp"
#include "core/migration_build.hpp"
#include "core/migration_metadata.hpp"

namespace bfm::core {

std::optional<migration> build_json_migration(const migration_files& files,
                                              std::vector<load_error>& errors) {
    const std::size_t errors_before = errors.size();
    migration m = migration_identity(files);
    m.up_sql = files.up->content;
    if (files.down != nullptr) m.down_sql = files.down->content;
    m.checksum = checksum_v1(m.up_sql);

    for (load_error& e : check_json_operations(m.up_sql, m.up_path)) errors.push_back(std::move(e));
    if (m.down_sql) {
        for (load_error& e : check_json_operations(*m.down_sql, *m.down_path)) {
            errors.push_back(std::move(e));
        }
    }
    const std::size_t errors_before_metadata = errors.size();
    std::optional<json_meta_parse> meta;
    if (files.meta != nullptr) {
        meta = parse_json_meta(files.meta->content, files.meta->path, files.backend);
        for (load_error& e : meta->errors) errors.push_back(std::move(e));
    }
    const std::optional<migration_header> stub = read_stub_metadata(files, errors);
    if (errors.size() == errors_before_metadata) {
        apply_metadata(m, {stub ? &*stub : nullptr, meta ? &meta->metadata : nullptr}, errors);
    }

    check_script_template(m.up_sql, m.up_path, 1, errors);
    if (m.down_sql) check_script_template(*m.down_sql, *m.down_path, 1, errors);
    if (errors.size() != errors_before) return std::nullopt;
    return m;
}

}  // namespace bfm::core
