#include "core/planner.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <iterator>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/planner_graph.hpp"

namespace bfm::core {

bool target_plan::has_work() const {
    return std::any_of(steps.begin(), steps.end(),
                       [](const plan_step& s) { return s.action == step_action::run; });
}

namespace {

bool is_applied(const recorded_state* state) {
    return state != nullptr && state->status == "applied";
}

// `@20250101000000` and `20250101000000` both name a version: the loader may keep the '@'.
std::optional<std::uint64_t> parse_version(std::string_view target) {
    if (!target.empty() && target.front() == '@') target.remove_prefix(1);
    if (target.empty()) return std::nullopt;
    std::uint64_t value = 0;
    const char* end = target.data() + target.size();
    auto [stop, ec] = std::from_chars(target.data(), end, value);
    if (ec != std::errc{} || stop != end) return std::nullopt;
    return value;
}

// The dependency as it was written: `[connection:]name` or `[connection:]@version`.
std::string describe(const dependency& dep) {
    std::string out = dep.connection.empty() ? "" : dep.connection + ":";
    if (dep.target_type == dependency::kind::version) {
        out += dep.target.starts_with('@') ? dep.target : "@" + dep.target;
    } else {
        out += dep.target;
    }
    if (!dep.schema.empty()) out += " (schema " + dep.schema + ")";
    return out;
}

std::string location(const migration& from, const dependency& dep) {
    std::string out = dep.source_file.empty() ? from.up_path : dep.source_file;
    if (dep.line > 0) out += ":" + std::to_string(dep.line);
    return out;
}

std::string join_ids(const std::vector<const migration*>& ms) {
    std::string out;
    for (const migration* m : ms) {
        if (!out.empty()) out += ", ";
        out += m->id;
    }
    return out;
}

// What the author can write instead: a connection prefix only helps when the matches live in
// different connections; otherwise the other kind of reference (name or version) must decide.
std::string ambiguity_hint(const dependency& dep, const std::vector<const migration*>& matches) {
    const bool several_connections = std::any_of(
        matches.begin(), matches.end(),
        [&](const migration* m) { return m->connection != matches.front()->connection; });
    const bool by_name = dep.target_type == dependency::kind::name;
    if (several_connections) {
        return by_name ? "qualify it as connection:name" : "qualify it as connection:@version";
    }
    return by_name ? "depend on one of them by version (connection:@version)"
                   : "depend on one of them by name (connection:name)";
}

std::string cycle_error(const std::vector<const migration*>& cycle) {
    return "dependency cycle: " + describe_cycle(cycle) + " (each migration depends on the next)";
}

std::vector<const migration*> sorted_unique(const std::vector<const migration*>& ms) {
    std::vector<const migration*> out;
    for (const migration* m : ms) {
        if (m != nullptr) out.push_back(m);
    }
    std::sort(out.begin(), out.end(), version_less);
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// Plans one target. Phases, in order: place and expand (structural errors), order, diff
// against recorded state, requirements for the executor.
class target_planner {
public:
    target_planner(const registry& reg, const state_lookup& state, const plan_options& options,
                   target_plan& plan)
        : reg_(reg), state_(state), options_(options), plan_(plan) {}

    void run(const std::vector<const migration*>& selected) {
        for (const migration* m : sorted_unique(selected)) {
            const auto schema = run_schema(*m);
            if (!schema) {
                add_error("migration " + m->id + " has a dynamic schema and the request gave none");
                continue;
            }
            add_node(m, *schema, false, "");
        }
        if (!options_.ignore_dependencies) expand();
        // Without a valid set there is no order to show, and nothing may run: no steps at all.
        if (!plan_.errors.empty()) return;

        std::vector<const migration*> order;
        if (options_.ignore_dependencies) {
            order = graph_.version_order();
        } else {
            add_edges();
            auto sorted = graph_.topological_order();
            if (!sorted.cycle.empty()) {
                add_error(cycle_error(sorted.cycle));
                return;
            }
            order = std::move(sorted.order);
        }
        diff(order);
        if (!options_.ignore_dependencies) collect_requirements();
    }

private:
    struct node {
        const migration* m = nullptr;
        std::string schema;  // run schema
        bool added = false;  // by expansion (plan_step::dependency)
        std::string reason;
        const recorded_state* recorded = nullptr;  // at (m->connection, schema)
        // Every dependency that resolved, whether it ended up in the plan or not.
        std::vector<std::pair<const dependency*, const migration*>> resolved;
        bool runs() const { return !is_applied(recorded); }
    };

    // Fixed migrations run in their declared schema, dynamic ones in the target's run schema;
    // nullopt when a dynamic one has nowhere to run.
    std::optional<std::string> run_schema(const migration& m) const {
        if (!m.is_dynamic()) return m.schema;
        if (plan_.schema.empty()) return std::nullopt;
        return plan_.schema;
    }

    const recorded_state* recorded(const std::string& connection, const std::string& schema,
                                   const std::string& id) const {
        const auto* states = state_.target(connection, schema);
        if (states == nullptr) return nullptr;
        auto it = states->find(id);
        return it == states->end() ? nullptr : &it->second;
    }

    void add_node(const migration* m, std::string schema, bool added, std::string reason) {
        node n;
        n.m = m;
        n.recorded = recorded(m->connection, schema, m->id);
        n.schema = std::move(schema);
        n.added = added;
        n.reason = std::move(reason);
        index_.emplace(m, nodes_.size());
        nodes_.push_back(std::move(n));
        graph_.add(m);
    }

    void add_error(std::string error) {
        if (std::find(plan_.errors.begin(), plan_.errors.end(), error) == plan_.errors.end()) {
            plan_.errors.push_back(std::move(error));
        }
    }

    // Worklist over the set: nodes appended here are visited in turn, so dependencies of
    // dependencies are pulled in too. Tags and filters chose the initial set only; they never
    // remove a dependency.
    void expand() {
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
            const migration* m = nodes_[i].m;
            const bool runs = nodes_[i].runs();
            for (const dependency& dep : m->dependencies) {
                resolved_dependency r = resolve_dependency(reg_, *m, dep);
                if (!r.error.empty()) {
                    add_error(std::move(r.error));
                    continue;
                }
                nodes_[i].resolved.emplace_back(&dep, r.target);
                const migration* d = r.target;
                // Already in the set: only an edge (added once the set is complete). A migration
                // already applied on this target runs nothing, so it needs none of its pending
                // dependencies now: pulling them in would run them (possibly on another
                // connection) as a side effect of a plan that has nothing to do.
                if (index_.count(d) != 0 || !runs) continue;
                const auto schema = run_schema(*d);
                if (!schema) {
                    add_error("migration " + d->id + " (dependency of " + m->id
                              + ") has a dynamic schema and the request gave none");
                    continue;
                }
                // State of the dependency where IT runs for this target: a dynamic dependency
                // applied for cli_a does not satisfy cli_b (upstream checked a global flag).
                if (is_applied(recorded(d->connection, *schema, d->id))) continue;
                add_node(d, *schema, true, "dependency of " + m->id);
            }
        }
    }

    void add_edges() {
        for (const node& n : nodes_) {
            for (const auto& [dep, d] : n.resolved) {
                if (graph_.contains(d)) graph_.add_edge(d, n.m);
            }
        }
    }

    const node& node_of(const migration* m) const { return nodes_[index_.at(m)]; }

    void diff(const std::vector<const migration*>& order) {
        for (const migration* m : order) {
            const node& n = node_of(m);
            plan_step step;
            step.m = m;
            step.connection = m->connection;
            step.schema = n.schema;
            step.dependency = n.added;
            step.reason = n.reason;
            if (is_applied(n.recorded)) {
                diff_applied(step, n.recorded->checksum);
            } else {
                check_order(step);
            }
            plan_.steps.push_back(std::move(step));
        }
    }

    void diff_applied(plan_step& step, const std::string& recorded_checksum) {
        step.action = step_action::skip;
        // No recorded checksum (imported from upstream, which kept none): nothing to compare.
        if (recorded_checksum.empty() || recorded_checksum == step.m->checksum) {
            step.reason = "already applied";
            return;
        }
        step.reason = "applied; file modified since (recorded " + recorded_checksum + ", now "
                      + step.m->checksum + ")";
        if (!options_.allow_modified) {
            add_error(step.m->id + " on " + step.connection + "/" + step.schema
                      + " was applied with checksum " + recorded_checksum + " but the file now has "
                      + step.m->checksum + "; run repair or pass allow_modified");
        }
    }

    // A migration that runs after a newer one of its connection was applied in the same place.
    void check_order(plan_step& step) {
        const migration* newest = newest_applied(step.connection, step.schema);
        if (newest == nullptr || step.m->version_number >= newest->version_number) return;
        step.out_of_order = true;
        if (options_.strict_order) {
            add_error(step.m->id + " (version " + step.m->version + ") is older than " + newest->id
                      + " (version " + newest->version + "), already applied on " + step.connection
                      + "/" + step.schema + "; strict_order refuses to run it out of order");
        }
    }

    const migration* newest_applied(const std::string& connection, const std::string& schema) {
        const auto key = std::make_pair(connection, schema);
        if (auto it = newest_.find(key); it != newest_.end()) return it->second;
        const migration* best = nullptr;
        if (const auto* states = state_.target(connection, schema)) {
            for (const auto& [id, st] : *states) {
                if (st.status != "applied") continue;
                const migration* m = reg_.find(id);
                // Rows of migrations whose files are gone, or of other connections, say nothing
                // about the order of this connection's files.
                if (m == nullptr || m->connection != connection) continue;
                if (best == nullptr || m->version_number > best->version_number) best = m;
            }
        }
        newest_.emplace(key, best);
        return best;
    }

    void require_schema(const std::set<std::pair<std::string, std::string>>& created,
                        const std::string& connection, const std::string& schema) {
        // The executor creates the schema of every step it runs before running it.
        if (created.count({connection, schema}) != 0) return;
        auto& required = plan_.required_schemas;
        const auto entry = std::make_pair(connection, schema);
        if (std::find(required.begin(), required.end(), entry) == required.end()) {
            required.push_back(entry);
        }
    }

    void require_table(const std::string& connection, const std::string& schema,
                       const std::string& table) {
        auto& required = plan_.required_tables;
        const bool known = std::any_of(required.begin(), required.end(), [&](const auto& t) {
            return t.connection == connection && t.schema == schema && t.table == table;
        });
        if (!known) required.push_back({connection, schema, table});
    }

    // depends-schema of the steps that run, and requires_schema / requires_table of their
    // dependencies (upstream never checked requires_table: its check sat behind a condition
    // that could not be true).
    void collect_requirements() {
        std::set<std::pair<std::string, std::string>> created;
        std::set<const migration*> running;
        for (const plan_step& s : plan_.steps) {
            if (s.action != step_action::run) continue;
            created.emplace(s.connection, s.schema);
            running.insert(s.m);
        }
        for (const plan_step& s : plan_.steps) {
            if (s.action != step_action::run) continue;
            for (const std::string& name : s.m->depends_schemas) {
                require_schema(created, s.connection, name);
            }
            for (const auto& [dep, d] : node_of(s.m).resolved) {
                // Where the dependency lives for this target; a dynamic one without a run schema
                // was already reported as an error.
                std::optional<std::string> d_schema;
                if (index_.count(d) != 0) {
                    d_schema = node_of(d).schema;
                } else {
                    d_schema = run_schema(*d);
                }
                if (!d_schema) continue;
                if (!dep->requires_schema.empty()) {
                    require_schema(created, d->connection, dep->requires_schema);
                }
                // A dependency this plan runs is assumed to create the table it is required for
                // (that is what it is there for, and the table cannot be checked before it ran);
                // one applied earlier must have left it in place.
                if (!dep->requires_table.empty() && running.count(d) == 0) {
                    require_table(d->connection, *d_schema, dep->requires_table);
                }
            }
        }
    }

    const registry& reg_;
    const state_lookup& state_;
    const plan_options& options_;
    target_plan& plan_;
    std::vector<node> nodes_;
    std::unordered_map<const migration*, std::size_t> index_;
    dependency_graph graph_;
    std::map<std::pair<std::string, std::string>, const migration*> newest_;
};

}  // namespace

resolved_dependency resolve_dependency(const registry& reg, const migration& from,
                                       const dependency& dep) {
    resolved_dependency out;
    // Built only when there is an error to report: this runs for every dependency of every
    // target of a fan-out.
    const auto who = [&] { return "migration " + from.id + " (" + location(from, dep) + ")"; };
    std::optional<std::uint64_t> version;
    if (dep.target_type == dependency::kind::version) {
        version = parse_version(dep.target);
        if (!version) {
            out.error = who() + " depends on " + describe(dep) + ": not a version number";
            return out;
        }
    }
    // Candidates from the registry's indexes; versions compare as numbers, so `@9` names
    // version 0009 too.
    const auto& candidates = version ? reg.with_version(*version) : reg.with_name(dep.target);
    std::vector<const migration*> matches;
    for (const std::size_t i : candidates) {
        const migration& m = reg.all()[i];
        if (m.id == from.id) continue;  // a migration never satisfies its own dependency
        if (!dep.connection.empty() && m.connection != dep.connection) continue;
        if (!dep.schema.empty() && m.schema != dep.schema) continue;
        matches.push_back(&m);
    }
    if (matches.size() > 1) {
        // An unqualified name shared by several connections reads as "the one next to me".
        std::vector<const migration*> same_connection;
        std::copy_if(matches.begin(), matches.end(), std::back_inserter(same_connection),
                     [&](const migration* m) { return m->connection == from.connection; });
        if (!same_connection.empty()) matches = std::move(same_connection);
    }
    if (matches.empty()) {
        out.error = who() + " depends on " + describe(dep) + ": no such migration";
    } else if (matches.size() > 1) {
        out.error = who() + ": ambiguous dependency " + describe(dep) + " matches "
                    + join_ids(matches) + "; " + ambiguity_hint(dep, matches);
    } else {
        out.target = matches.front();
    }
    return out;
}

target_plan plan_target(const registry& reg, const std::vector<const migration*>& selected,
                        const std::string& connection, const std::string& schema,
                        const state_lookup& state, const plan_options& options) {
    target_plan plan;
    plan.connection = connection;
    plan.schema = schema;
    target_planner(reg, state, options, plan).run(selected);
    return plan;
}

order_result order_by_dependencies(const registry& reg, const std::vector<const migration*>& set) {
    order_result out;
    const std::vector<const migration*> members = sorted_unique(set);
    dependency_graph graph;
    for (const migration* m : members) graph.add(m);
    std::string errors;
    for (const migration* m : members) {
        for (const dependency& dep : m->dependencies) {
            resolved_dependency r = resolve_dependency(reg, *m, dep);
            if (!r.error.empty()) {
                errors += (errors.empty() ? "" : "; ") + r.error;
                continue;
            }
            // Edges only inside the set: order-batch orders what it was given, it adds nothing.
            if (graph.contains(r.target)) graph.add_edge(r.target, m);
        }
    }
    if (!errors.empty()) {
        out.error = std::move(errors);
        return out;
    }
    auto sorted = graph.topological_order();
    if (!sorted.cycle.empty()) {
        out.error = cycle_error(sorted.cycle);
    } else {
        out.ordered = std::move(sorted.order);
    }
    return out;
}

}  // namespace bfm::core
