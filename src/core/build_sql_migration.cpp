// Conventions A (paired), B (seed) and D (paired plus an upstream .go stub).

#include "core/checksum.hpp"
#include "core/migration_build.hpp"
#include "core/migration_metadata.hpp"
#include "core/text.hpp"

namespace bfm::core {

namespace {

// Convention B names its schema and table; header lines may repeat them, not contradict them.
void check_seed_name(const migration& m, const migration_header& h,
                     std::vector<load_error>& errors) {
    if (!h.schema.empty() && h.schema != m.schema) {
        errors.push_back({m.up_path, h.schema_line,
                          "-- bfm:schema " + quote_for_message(h.schema)
                              + " disagrees with the schema in the file name ("
                              + quote_for_message(m.schema) + ")"});
    }
    if (!h.table.empty() && h.table != m.table) {
        errors.push_back({m.up_path, h.table_line,
                          "-- bfm:table " + quote_for_message(h.table)
                              + " disagrees with the table in the file name ("
                              + quote_for_message(m.table) + ")"});
    }
}

}  // namespace

std::optional<migration> build_sql_migration(const migration_files& files,
                                             std::vector<load_error>& errors) {
    const std::size_t errors_before = errors.size();
    migration m = migration_identity(files);
    m.up_sql = files.up->content;
    if (files.down != nullptr) m.down_sql = files.down->content;
    m.checksum = checksum_v1(m.up_sql);

    header_parse header = parse_migration_header(m.up_sql, m.up_path);
    const bool header_ok = header.errors.empty();
    for (load_error& e : header.errors) errors.push_back(std::move(e));
    if (header_ok && m.convention == naming_convention::seed) {
        check_seed_name(m, header.header, errors);
    }
    const std::size_t errors_before_stub = errors.size();
    const std::optional<migration_header> stub = read_stub_metadata(files, errors);
    if (header_ok && errors.size() == errors_before_stub) {
        // The stub first: where it and the header disagree, the header line gets the error.
        apply_metadata(m, {stub ? &*stub : nullptr, &header.header}, errors);
    }

    check_script_template(m.up_sql, m.up_path, 1, errors);
    if (m.down_sql) check_script_template(*m.down_sql, *m.down_path, 1, errors);
    if (errors.size() != errors_before) return std::nullopt;
    return m;
}

}  // namespace bfm::core
