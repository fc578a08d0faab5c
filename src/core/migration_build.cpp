#include "core/migration_build.hpp"

#include "core/go_stub_parser.hpp"
#include "core/template.hpp"
#include "core/text.hpp"

namespace bfm::core {

migration migration_identity(const migration_files& files) {
    migration m;
    m.backend = files.backend;
    m.connection = files.connection;
    m.version = files.name.version;
    // The file-name parser allows at most 19 digits, which always fit.
    m.version_number = parse_uint64(m.version).value_or(0);
    m.name = files.name.name;
    m.convention = files.stub != nullptr ? naming_convention::upstream_stub : files.name.convention;
    if (files.name.convention == naming_convention::seed) {
        m.id = files.name.stem;
        m.schema = files.name.schema;
        m.table = files.name.table;
    } else {
        m.id = m.version + "_" + m.name + "_" + m.backend + "_" + m.connection;
    }
    m.up_path = files.up->path;
    if (files.down != nullptr) m.down_path = files.down->path;
    return m;
}

std::optional<migration_header> read_stub_metadata(const migration_files& files,
                                                   std::vector<load_error>& errors) {
    if (files.stub == nullptr) return std::nullopt;
    go_stub_parse parsed = parse_go_stub(files.stub->content, files.stub->path, files.backend);
    if (!parsed.errors.empty()) {
        for (load_error& e : parsed.errors) errors.push_back(std::move(e));
        return std::nullopt;
    }
    return std::move(parsed.metadata);
}

void check_script_template(std::string_view script, const std::string& file, int first_line,
                           std::vector<load_error>& errors) {
    for (load_error& e : check_template(script, file)) {
        if (e.line > 0) e.line += first_line - 1;
        errors.push_back(std::move(e));
    }
}

}  // namespace bfm::core
