#include "core/engine/target_groups.hpp"

#include <algorithm>

namespace bfm::core {

std::vector<target_group> group_targets(const registry& reg, const job_request& request,
                                        const connection_config& connection) {
    const auto selected = reg.select(request.filter);
    std::vector<target_group> groups;
    if (selected.empty()) return groups;
    if (!request.schemas.empty()) {
        // Explicit run schemas: one target each. Dynamic migrations run there; fixed ones keep
        // their declared schema (the planner places every step).
        for (const auto& schema : request.schemas) groups.push_back({schema, selected, {}});
        return groups;
    }
    // No run schema: each migration goes to its declared schema, else the connection's
    // {CONN}_SCHEMA. A dynamic migration with neither cannot run.
    for (const auto* m : selected) {
        const std::string& schema = m->is_dynamic() ? connection.schema : m->schema;
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const target_group& g) { return g.schema == schema; });
        if (it == groups.end()) {
            groups.push_back({schema, {}, {}});
            it = std::prev(groups.end());
            if (schema.empty()) {
                it->error = "migration " + m->id
                            + " has a dynamic schema: give `schema`, `schemas` or `environment` "
                              "(or set "
                            + connection.env_prefix + "_SCHEMA)";
            }
        }
        it->selected.push_back(m);
    }
    return groups;
}

}  // namespace bfm::core
