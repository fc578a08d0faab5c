#pragma once
// The planner (SPEC 2): for one target (connection + run schema), which migrations run, in
// which order, and which are skipped and why. Pure: the recorded state comes in through
// state_lookup, nothing is read or written here.

#include <boost/unordered/unordered_flat_map.hpp>
#include <string>
#include <vector>

#include "core/migration.hpp"
#include "core/registry.hpp"

namespace bfm::core {

struct recorded_state {
    std::string status;    // pending|running|applied|failed|rolled_back|missing
    std::string checksum;
};

// What is recorded for each (connection, schema) the planner asks about.
class state_lookup {
public:
    virtual ~state_lookup() = default;
    // Migration ID -> state for that target; nullptr when nothing is recorded there.
    //
    // The planner looks every migration of a plan up in it, for every target of a fan-out, so it
    // is an open-addressing hash map: no division per lookup (std::unordered_map takes the hash
    // modulo a prime) and no node per row. std::hash because boost::hash of a string is slower.
    // Unlike std::map, adding a row may move the others: keep no pointer into it across that.
    using states = boost::unordered_flat_map<std::string, recorded_state, std::hash<std::string>>;
    virtual const states* target(const std::string& connection,
                                 const std::string& schema) const = 0;
};

struct plan_options {
    bool ignore_dependencies = false;  // no expansion, no dependency validation; version order
    bool allow_modified = false;       // an applied migration whose file changed is skipped, not an error
    bool strict_order = false;         // a pending migration older than the newest applied is an error
};

enum class step_action { run, skip };

struct plan_step {
    const migration* m = nullptr;
    std::string connection;     // where it runs: the migration's own connection
    std::string schema;         // fixed: its declared schema; dynamic: the target's run schema
    step_action action = step_action::run;
    std::string reason;         // skip: "already applied", "applied; file modified since (...)";
                                // run: "" or "dependency of <id>"
    bool dependency = false;    // added by dependency expansion, not selected by the request
    bool out_of_order = false;  // older than the newest applied migration of its target
};

struct target_plan {
    std::string connection;
    std::string schema;
    std::vector<plan_step> steps;         // execution order
    // Planning errors (cycle, missing dependency, modified, strict order...). When any exist,
    // nothing runs for this target.
    std::vector<std::string> errors;
    // Must exist in the database before the first step runs (depends-schema, requires_schema),
    // minus schemas this plan creates itself. Checked by the executor.
    std::vector<std::pair<std::string, std::string>> required_schemas;  // (connection, schema)
    // (connection, schema, table) that must exist (requires_table of dependencies not run here).
    struct required_table {
        std::string connection, schema, table;
    };
    std::vector<required_table> required_tables;

    bool ok() const { return errors.empty(); }
    bool has_work() const;  // any step to run
};

// The dependency a `dependency` resolves to, or an error message. Same-connection matches win
// over other connections; more than one match left is ambiguous (an error).
struct resolved_dependency {
    const migration* target = nullptr;
    std::string error;
};
resolved_dependency resolve_dependency(const registry& reg, const migration& from,
                                       const dependency& dep);

// `selected`: what the request's filter chose (any order). `schema`: the run schema of the
// target ("" means every step runs in its declared schema).
target_plan plan_target(const registry& reg, const std::vector<const migration*>& selected,
                        const std::string& connection, const std::string& schema,
                        const state_lookup& state, const plan_options& options);

// Dependency order of a set of migrations, edges only inside the set (order-batch). Returns
// the ordered list, or an error naming a cycle or an unresolvable dependency.
struct order_result {
    std::vector<const migration*> ordered;
    std::string error;
};
order_result order_by_dependencies(const registry& reg, const std::vector<const migration*>& set);

}  // namespace bfm::core
