#include "core/engine/state_snapshot.hpp"

namespace bfm::core {

state_snapshot::state_snapshot(std::map<key, std::map<std::string, state::migration_state>> rows) {
    for (auto& [target, migrations] : rows) {
        auto& out = targets_[target];
        for (auto& [id, st] : migrations) out[id] = recorded_state{st.status, st.checksum};
    }
}

const state_lookup::states* state_snapshot::target(const std::string& connection,
                                                   const std::string& schema) const {
    auto it = targets_.find({connection, schema});
    return it == targets_.end() ? nullptr : &it->second;
}

void state_snapshot::mark_applied(const std::string& connection, const std::string& schema,
                                  const std::string& migration_id, const std::string& checksum) {
    targets_[{connection, schema}][migration_id] = recorded_state{"applied", checksum};
}

}  // namespace bfm::core
