#include "core/engine/state_snapshot.hpp"

namespace bfm::core {

std::shared_ptr<const state_snapshot::table> state_snapshot::make_table(
    std::map<key, std::map<std::string, state::migration_state>> rows) {
    auto out = std::make_shared<table>();
    for (auto& [target, migrations] : rows) {
        auto& states = (*out)[target];
        for (auto& [id, st] : migrations) states[id] = recorded_state{st.status, st.checksum};
    }
    return out;
}

state_snapshot::state_snapshot(std::shared_ptr<const table> rows) : rows_(std::move(rows)) {}

const state_lookup::states* state_snapshot::target(const std::string& connection,
                                                   const std::string& schema) const {
    const key k{connection, schema};
    if (auto it = overlay_.find(k); it != overlay_.end()) return &it->second;
    auto it = rows_->find(k);
    return it == rows_->end() ? nullptr : &it->second;
}

void state_snapshot::mark(const std::string& connection, const std::string& schema,
                          const std::string& migration_id, const std::string& status,
                          const std::string& checksum) {
    const key k{connection, schema};
    auto it = overlay_.find(k);
    if (it == overlay_.end()) {
        auto shared = rows_->find(k);
        it = overlay_.emplace(k, shared == rows_->end() ? states{} : shared->second).first;
    }
    it->second[migration_id] = recorded_state{status, checksum};
}

}  // namespace bfm::core
