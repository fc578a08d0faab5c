#include "core/planner.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <span>
#include <string_view>
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

// True when `ms` is already what sorted_unique() would return: registry::select() gives its
// selection in (version_number, id) order, so fan-outs never need to sort.
bool strictly_version_ordered(const std::vector<const migration*>& ms) {
    for (std::size_t i = 0; i < ms.size(); ++i) {
        if (ms[i] == nullptr || (i > 0 && !version_less(ms[i - 1], ms[i]))) return false;
    }
    return true;
}

// `ms` in (version_number, id) order without duplicates, copied into `storage` only when it
// is not so already.
const std::vector<const migration*>& in_version_order(const std::vector<const migration*>& ms,
                                                      std::vector<const migration*>& storage) {
    if (strictly_version_ordered(ms)) return ms;
    storage = sorted_unique(ms);
    return storage;
}

// Plans one target. Phases, in order: place and expand (structural errors), order, diff
// against recorded state, requirements for the executor.
//
// It runs for every target of a fan-out, over every migration of the selection, so the
// per-migration work avoids allocations: nodes refer to a shared `place` for their
// (connection, schema) instead of copying strings, the recorded state of a place is fetched
// once, and dependencies resolved for all nodes share one vector.
class target_planner {
public:
    target_planner(const registry& reg, const state_lookup& state, const plan_options& options,
                   target_plan& plan)
        : reg_(reg), state_(state), options_(options), plan_(plan) {}

    void run(const std::vector<const migration*>& selected) {
        std::vector<const migration*> sorted;
        const auto& members = in_version_order(selected, sorted);
        nodes_.reserve(members.size());
        graph_.reserve(members.size());
        for (const migration* m : members) {
            const std::string* schema = run_schema(*m);
            if (schema == nullptr) {
                add_error("migration " + m->id + " has a dynamic schema and the request gave none");
                continue;
            }
            add_node(m, *schema, nullptr);
        }
        if (!options_.ignore_dependencies) expand();
        // Without a valid set there is no order to show, and nothing may run: no steps at all.
        if (!plan_.errors.empty()) return;

        // Node indices (graph and nodes_ share them) in execution order.
        std::vector<std::size_t> order;
        if (options_.ignore_dependencies) {
            order = graph_.version_order_indices();
        } else {
            add_edges();
            auto sorted_nodes = graph_.topological_order_indices();
            if (!sorted_nodes.cycle.empty()) {
                std::vector<const migration*> cycle;
                for (std::size_t n : sorted_nodes.cycle) cycle.push_back(nodes_[n].m);
                add_error(cycle_error(cycle));
                return;
            }
            order = std::move(sorted_nodes.order);
        }
        diff(order);
        if (!options_.ignore_dependencies) collect_requirements(order);
    }

private:
    static constexpr std::size_t none = static_cast<std::size_t>(-1);

    // A (connection, schema) the plan touches, with what is memoised about it.
    struct place {
        // Point to the migrations' strings or to plan_.schema, which all outlive the planner.
        const std::string* connection = nullptr;
        const std::string* schema = nullptr;
        const state_lookup::states* states = nullptr;  // state_.target(connection, schema)
        bool created = false;                          // some step runs here (collect_requirements)
        // Nodes placed here that are applied, and the newest of them (see newest_applied()).
        std::size_t applied_nodes = 0;
        const migration* newest_node = nullptr;
        bool newest_known = false;
        const migration* newest = nullptr;  // newest_applied(), once newest_known
    };

    struct node {
        const migration* m = nullptr;
        std::size_t place = 0;                     // where it runs (m->connection, run schema)
        const migration* dependency_of = nullptr;  // added by expansion for this migration
        const recorded_state* recorded = nullptr;  // at its place
        bool applied = false;                      // is_applied(recorded)
        // Every dependency that resolved, whether it ended up in the plan or not:
        // resolved_[first_resolved, first_resolved + resolved_count).
        std::size_t first_resolved = 0;
        std::size_t resolved_count = 0;
        bool runs() const { return !applied; }
    };

    // Fixed migrations run in their declared schema, dynamic ones in the target's run schema;
    // nullptr when a dynamic one has nowhere to run.
    const std::string* run_schema(const migration& m) const {
        if (!m.is_dynamic()) return &m.schema;
        if (plan_.schema.empty()) return nullptr;
        return &plan_.schema;
    }

    // Index of the place (connection, schema) in places_, or `none` when the plan never touched
    // it. Consecutive migrations nearly always share a place, so the last one is tried first.
    std::size_t find_place(const std::string& connection, const std::string& schema) const {
        if (last_place_ < places_.size()) {
            const place& p = places_[last_place_];
            // Dynamic migrations all run in plan_.schema: the same string, no need to compare.
            const bool same_schema = p.schema == &schema || *p.schema == schema;
            if (same_schema && *p.connection == connection) return last_place_;
        }
        auto it = place_index_.find({connection, schema});
        return it == place_index_.end() ? none : it->second;
    }

    std::size_t place_of(const std::string& connection, const std::string& schema) {
        std::size_t i = find_place(connection, schema);
        if (i == none) {
            i = places_.size();
            places_.push_back({&connection, &schema, state_.target(connection, schema)});
            place_index_.emplace(
                std::make_pair(std::string_view(connection), std::string_view(schema)), i);
        }
        last_place_ = i;
        return i;
    }

    const recorded_state* recorded(std::size_t at, const std::string& id) const {
        const auto* states = places_[at].states;
        if (states == nullptr) return nullptr;
        auto it = states->find(id);
        return it == states->end() ? nullptr : &it->second;
    }

    void add_node(const migration* m, const std::string& schema, const migration* dependency_of) {
        // Filled in place: copying a finished node in cost more than the rest of this function
        // (partial stores read back as a whole stall the store buffer).
        node& n = nodes_.emplace_back();
        n.m = m;
        n.place = place_of(m->connection, schema);
        n.recorded = recorded(n.place, m->id);
        n.applied = is_applied(n.recorded);
        n.dependency_of = dependency_of;
        if (n.applied) {
            place& p = places_[n.place];
            ++p.applied_nodes;
            if (p.newest_node == nullptr || newer(*m, *p.newest_node)) p.newest_node = m;
        }
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
            nodes_[i].first_resolved = resolved_.size();
            for (const dependency& dep : m->dependencies) {
                resolved_dependency r = resolve_dependency(reg_, *m, dep);
                if (!r.error.empty()) {
                    add_error(std::move(r.error));
                    continue;
                }
                resolved_.emplace_back(&dep, r.target);
                ++nodes_[i].resolved_count;
                const migration* d = r.target;
                // Already in the set: only an edge (added once the set is complete). A migration
                // already applied on this target runs nothing, so it needs none of its pending
                // dependencies now: pulling them in would run them (possibly on another
                // connection) as a side effect of a plan that has nothing to do.
                if (graph_.contains(d) || !runs) continue;
                const std::string* schema = run_schema(*d);
                if (schema == nullptr) {
                    add_error("migration " + d->id + " (dependency of " + m->id
                              + ") has a dynamic schema and the request gave none");
                    continue;
                }
                // State of the dependency where IT runs for this target: a dynamic dependency
                // applied for cli_a does not satisfy cli_b (upstream checked a global flag).
                if (is_applied(recorded(place_of(d->connection, *schema), d->id))) continue;
                add_node(d, *schema, m);
            }
        }
    }

    void add_edges() {
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
            for (const auto& [dep, d] : resolved_of(nodes_[i])) {
                const std::size_t from = graph_.find(d);
                if (from != dependency_graph::npos) graph_.add_edge_at(from, i);
            }
        }
    }

    std::span<const std::pair<const dependency*, const migration*>> resolved_of(
        const node& n) const {
        return {resolved_.data() + n.first_resolved, n.resolved_count};
    }

    void diff(const std::vector<std::size_t>& order) {
        plan_.steps.reserve(order.size());
        for (const std::size_t i : order) {
            const node& n = nodes_[i];
            // Every field given (braces: clang 14, which builds the fuzzers, has no parenthesised
            // aggregate initialisation); a default-constructed step would be zeroed first.
            plan_step& step = plan_.steps.emplace_back(
                plan_step{n.m, n.m->connection, *places_[n.place].schema, step_action::run,
                          std::string(), n.dependency_of != nullptr, false});
            if (n.applied) {
                diff_applied(step, n.recorded->checksum);
            } else {
                if (n.dependency_of != nullptr) {
                    step.reason = "dependency of " + n.dependency_of->id;
                }
                check_order(step, n.place);
            }
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
    void check_order(plan_step& step, std::size_t at) {
        const migration* newest = newest_applied(at);
        if (newest == nullptr || step.m->version_number >= newest->version_number) return;
        step.out_of_order = true;
        if (options_.strict_order) {
            add_error(step.m->id + " (version " + step.m->version + ") is older than " + newest->id
                      + " (version " + newest->version + "), already applied on " + step.connection
                      + "/" + step.schema + "; strict_order refuses to run it out of order");
        }
    }

    // Newer in the sense of newest_applied(): higher version; among equal versions (hash order
    // is arbitrary) the lowest ID, whatever order the rows come in.
    static bool newer(const migration& a, const migration& b) {
        return a.version_number > b.version_number
               || (a.version_number == b.version_number && a.id < b.id);
    }

    // The newest migration of the place's connection recorded as applied there.
    const migration* newest_applied(std::size_t at) {
        place& p = places_[at];
        if (p.newest_known) return p.newest;
        p.newest_known = true;
        p.newest = p.newest_node;
        if (p.states == nullptr) return p.newest;
        // Each applied node found its own row here. When there are no other applied rows, the
        // nodes' rows are all of them and the newest node is the answer: no need to look every
        // row's ID up in the registry, which costs as much as planning the nodes.
        const auto applied_rows =
            std::count_if(p.states->begin(), p.states->end(),
                          [](const auto& row) { return is_applied(&row.second); });
        if (static_cast<std::size_t>(applied_rows) == p.applied_nodes) return p.newest;
        const migration* best = nullptr;
        for (const auto& [id, st] : *p.states) {
            if (st.status != "applied") continue;
            const migration* m = reg_.find(id);
            // Rows of migrations whose files are gone, or of other connections, say nothing
            // about the order of this connection's files.
            if (m == nullptr || m->connection != *p.connection) continue;
            if (best == nullptr || newer(*m, *best)) best = m;
        }
        p.newest = best;
        return best;
    }

    void require_schema(const std::string& connection, const std::string& schema) {
        // The executor creates the schema of every step it runs before running it.
        const std::size_t at = find_place(connection, schema);
        if (at != none && places_[at].created) return;
        auto& required = plan_.required_schemas;
        const bool known = std::any_of(required.begin(), required.end(), [&](const auto& r) {
            return r.first == connection && r.second == schema;
        });
        if (!known) required.emplace_back(connection, schema);
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
    // that could not be true). `order`: the node of each step.
    void collect_requirements(const std::vector<std::size_t>& order) {
        for (const node& n : nodes_) {
            if (n.runs()) places_[n.place].created = true;
        }
        for (const std::size_t i : order) {
            const node& n = nodes_[i];
            if (!n.runs()) continue;
            for (const std::string& name : n.m->depends_schemas) {
                require_schema(n.m->connection, name);
            }
            for (const auto& [dep, d] : resolved_of(n)) {
                // Where the dependency lives for this target; a dynamic one without a run schema
                // was already reported as an error.
                const std::size_t j = graph_.find(d);
                const std::string* d_schema =
                    j != dependency_graph::npos ? places_[nodes_[j].place].schema : run_schema(*d);
                if (d_schema == nullptr) continue;
                if (!dep->requires_schema.empty()) {
                    require_schema(d->connection, dep->requires_schema);
                }
                // A dependency this plan runs is assumed to create the table it is required for
                // (that is what it is there for, and the table cannot be checked before it ran);
                // one applied earlier must have left it in place.
                const bool running = j != dependency_graph::npos && nodes_[j].runs();
                if (!dep->requires_table.empty() && !running) {
                    require_table(d->connection, *d_schema, dep->requires_table);
                }
            }
        }
    }

    const registry& reg_;
    const state_lookup& state_;
    const plan_options& options_;
    target_plan& plan_;
    std::vector<node> nodes_;  // same indices as graph_
    dependency_graph graph_;
    std::vector<std::pair<const dependency*, const migration*>> resolved_;
    std::vector<place> places_;
    std::map<std::pair<std::string_view, std::string_view>, std::size_t> place_index_;
    std::size_t last_place_ = none;
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
    const auto matches_dep = [&](const migration& m) {
        if (m.id == from.id) return false;  // a migration never satisfies its own dependency
        if (!dep.connection.empty() && m.connection != dep.connection) return false;
        return dep.schema.empty() || m.schema == dep.schema;
    };
    // The answer nearly always is a single match, or a single one in the same connection (see
    // below): found without building lists, since this runs for every target of a fan-out.
    const migration* match = nullptr;
    const migration* same_connection_match = nullptr;
    std::size_t match_count = 0;
    std::size_t same_connection_count = 0;
    for (const std::size_t i : candidates) {
        const migration& m = reg.all()[i];
        if (!matches_dep(m)) continue;
        match = &m;
        ++match_count;
        if (m.connection == from.connection) {
            same_connection_match = &m;
            ++same_connection_count;
        }
    }
    if (match_count == 1 || (match_count > 1 && same_connection_count == 1)) {
        out.target = match_count == 1 ? match : same_connection_match;
        return out;
    }
    // None or ambiguous: the lists for the message.
    std::vector<const migration*> matches;
    for (const std::size_t i : candidates) {
        const migration& m = reg.all()[i];
        if (matches_dep(m)) matches.push_back(&m);
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
    std::vector<const migration*> storage;
    const auto& members = in_version_order(set, storage);
    dependency_graph graph;
    graph.reserve(members.size());
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
