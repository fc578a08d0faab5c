#include "core/registry_diff.hpp"

#include <tuple>

namespace bfm::core {
namespace {

bool same_dependency(const dependency& a, const dependency& b) {
    return std::tie(a.connection, a.schema, a.target, a.target_type, a.requires_table,
                    a.requires_schema)
           == std::tie(b.connection, b.schema, b.target, b.target_type, b.requires_table,
                       b.requires_schema);
}

bool same_content(const migration& a, const migration& b) {
    if (std::tie(a.checksum, a.down_sql, a.schema, a.table, a.depends_schemas, a.tags,
                 a.transactional, a.timeout)
        != std::tie(b.checksum, b.down_sql, b.schema, b.table, b.depends_schemas, b.tags,
                    b.transactional, b.timeout)) {
        return false;
    }
    if (a.dependencies.size() != b.dependencies.size()) return false;
    for (std::size_t i = 0; i < a.dependencies.size(); ++i) {
        if (!same_dependency(a.dependencies[i], b.dependencies[i])) return false;
    }
    return true;
}

}  // namespace

registry_diff diff_registries(const registry& before, const registry& after) {
    registry_diff diff;
    for (const auto& m : after.all()) {
        const migration* old = before.find(m.id);
        if (old == nullptr || old->id != m.id) {
            diff.added.push_back(m.id);
        } else if (!same_content(*old, m)) {
            diff.updated.push_back(m.id);
        }
    }
    for (const auto& m : before.all()) {
        const migration* now = after.find(m.id);
        if (now == nullptr || now->id != m.id) diff.removed.push_back(m.id);
    }
    return diff;
}

}  // namespace bfm::core
