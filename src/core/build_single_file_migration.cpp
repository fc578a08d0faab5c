// Convention C: `{version}_{name}.sql` holding both scripts between -- +migrate markers.

#include "core/checksum.hpp"
#include "core/migrate_sections.hpp"
#include "core/migration_build.hpp"
#include "core/migration_metadata.hpp"

namespace bfm::core {

std::optional<migration> build_single_file_migration(const migration_files& files,
                                                     std::vector<load_error>& errors) {
    const std::size_t errors_before = errors.size();
    migration m = migration_identity(files);
    std::string_view text = files.up->content;
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);

    migrate_sections sections = split_migrate_sections(text, m.up_path);
    const bool sections_ok = sections.errors.empty();
    for (load_error& e : sections.errors) errors.push_back(std::move(e));
    if (!sections_ok) return std::nullopt;

    m.up_sql = std::string(sections.up);
    m.checksum = checksum_v1(m.up_sql);
    if (sections.down) {
        m.down_sql = std::string(*sections.down);
        m.down_path = m.up_path;
    }

    // Header lines may stand before the Up marker and at the top of the up script: one scan
    // from the top of the file to the Down marker reads both (the Up marker is a comment).
    header_parse header = parse_migration_header(sections.header_region, m.up_path);
    const bool header_ok = header.errors.empty();
    for (load_error& e : header.errors) errors.push_back(std::move(e));
    migration_header marker_options;
    if (sections.no_transaction_line != 0) {
        marker_options.file = m.up_path;
        marker_options.transactional = false;
        marker_options.transaction_line = sections.no_transaction_line;
    }
    if (header_ok) apply_metadata(m, {&marker_options, &header.header}, errors);

    check_script_template(m.up_sql, m.up_path, sections.up_first_line, errors);
    if (m.down_sql) check_script_template(*m.down_sql, m.up_path, sections.down_first_line, errors);
    if (errors.size() != errors_before) return std::nullopt;
    return m;
}

}  // namespace bfm::core
