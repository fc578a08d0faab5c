#pragma once
// The recorded state the planner sees for one target run. The rows themselves are shared and
// immutable (one query can serve every target of a fan-out); what a run learns on its own
// (ledger reconciliation) goes into a small overlay of its own.

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "core/planner.hpp"
#include "state/state_store.hpp"

namespace bfm::core {

class state_snapshot final : public state_lookup {
public:
    using key = std::pair<std::string, std::string>;  // (connection, schema)
    using table = std::map<key, states>;

    // Converts state store rows once, for any number of snapshots to share.
    static std::shared_ptr<const table> make_table(
        std::map<key, std::map<std::string, state::migration_state>> rows);

    explicit state_snapshot(std::shared_ptr<const table> rows);

    const states* target(const std::string& connection, const std::string& schema) const override;

    // What a target's ledger proves about a migration (reconciliation): `status` applied (with
    // the checksum that ran) or rolled_back.
    void mark(const std::string& connection, const std::string& schema,
              const std::string& migration_id, const std::string& status,
              const std::string& checksum);

private:
    std::shared_ptr<const table> rows_;
    table overlay_;  // targets this run changed: a full copy of their rows, then the change
};

}  // namespace bfm::core
