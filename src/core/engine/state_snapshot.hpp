#pragma once
// The recorded state the planner sees for one target run, read in one query.

#include <map>
#include <string>
#include <utility>

#include "core/planner.hpp"
#include "state/state_store.hpp"

namespace bfm::core {

class state_snapshot final : public state_lookup {
public:
    using key = std::pair<std::string, std::string>;  // (connection, schema)

    explicit state_snapshot(std::map<key, std::map<std::string, state::migration_state>> rows);

    const states* target(const std::string& connection, const std::string& schema) const override;

    // A migration found committed in a target's ledger (reconciliation).
    void mark_applied(const std::string& connection, const std::string& schema,
                      const std::string& migration_id, const std::string& checksum);

private:
    std::map<key, states> targets_;
};

}  // namespace bfm::core
