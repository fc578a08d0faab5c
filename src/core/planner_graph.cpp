#include "core/planner_graph.hpp"

#include <algorithm>
#include <functional>
#include <numeric>
#include <queue>
#include <tuple>

namespace bfm::core {

bool version_less(const migration* a, const migration* b) {
    return std::tie(a->version_number, a->id) < std::tie(b->version_number, b->id);
}

std::size_t dependency_graph::add(const migration* m) {
    auto [it, inserted] = index_.emplace(m, nodes_.size());
    if (inserted) {
        nodes_.push_back(m);
        dependents_.emplace_back();
        dependencies_.emplace_back();
    }
    return it->second;
}

void dependency_graph::add_edge(const migration* dependency, const migration* dependent) {
    const std::size_t from = index_.at(dependency);
    const std::size_t to = index_.at(dependent);
    if (!edges_.emplace(from, to).second) return;
    dependents_[from].push_back(to);
    dependencies_[to].push_back(from);
}

// rank[node] = its position in (version_number, id) order.
std::vector<std::size_t> dependency_graph::ranks() const {
    std::vector<std::size_t> by_version(nodes_.size());
    std::iota(by_version.begin(), by_version.end(), std::size_t{0});
    std::sort(by_version.begin(), by_version.end(),
              [&](std::size_t a, std::size_t b) { return version_less(nodes_[a], nodes_[b]); });
    std::vector<std::size_t> rank(nodes_.size());
    for (std::size_t r = 0; r < by_version.size(); ++r) rank[by_version[r]] = r;
    return rank;
}

dependency_graph::ordering dependency_graph::topological_order() const {
    const std::vector<std::size_t> rank = ranks();
    std::vector<std::size_t> by_rank(nodes_.size());
    for (std::size_t n = 0; n < nodes_.size(); ++n) by_rank[rank[n]] = n;

    std::vector<std::size_t> in_degree(nodes_.size());
    for (std::size_t n = 0; n < nodes_.size(); ++n) in_degree[n] = dependencies_[n].size();
    // Ready nodes by rank, lowest first: the tie-break is (version_number, id).
    std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
    for (std::size_t n = 0; n < nodes_.size(); ++n) {
        if (in_degree[n] == 0) ready.push(rank[n]);
    }
    ordering out;
    while (!ready.empty()) {
        const std::size_t n = by_rank[ready.top()];
        ready.pop();
        out.order.push_back(nodes_[n]);
        for (std::size_t d : dependents_[n]) {
            if (--in_degree[d] == 0) ready.push(rank[d]);
        }
    }
    if (out.order.size() != nodes_.size()) {
        out.order.clear();
        out.cycle = find_cycle(in_degree, rank);
    }
    return out;
}

// After Kahn's algorithm stalls, every node left has a dependency that is also left (its
// in-degree counts only unprocessed dependencies). Following dependencies from any node left
// must therefore revisit a node: a depth-first walk that never needs to backtrack. The oldest
// dependency is followed at each step so the reported cycle is deterministic.
std::vector<const migration*> dependency_graph::find_cycle(
    const std::vector<std::size_t>& in_degree, const std::vector<std::size_t>& rank) const {
    auto left = [&](std::size_t n) { return in_degree[n] > 0; };
    std::size_t current = nodes_.size();
    for (std::size_t n = 0; n < nodes_.size(); ++n) {
        if (left(n) && (current == nodes_.size() || rank[n] < rank[current])) current = n;
    }
    std::vector<std::size_t> path;
    std::vector<std::size_t> position(nodes_.size(), nodes_.size());
    while (position[current] == nodes_.size()) {
        position[current] = path.size();
        path.push_back(current);
        std::size_t next = nodes_.size();
        for (std::size_t d : dependencies_[current]) {
            if (left(d) && (next == nodes_.size() || rank[d] < rank[next])) next = d;
        }
        current = next;  // exists: see above
    }
    std::vector<std::size_t> cycle(path.begin() + static_cast<std::ptrdiff_t>(position[current]),
                                   path.end());
    // Start at the oldest member, so the same cycle reads the same whichever way it was reached.
    auto oldest = std::min_element(cycle.begin(), cycle.end(),
                                   [&](std::size_t a, std::size_t b) { return rank[a] < rank[b]; });
    std::rotate(cycle.begin(), oldest, cycle.end());
    std::vector<const migration*> out;
    for (std::size_t n : cycle) out.push_back(nodes_[n]);
    out.push_back(nodes_[cycle.front()]);
    return out;
}

std::vector<const migration*> dependency_graph::version_order() const {
    std::vector<const migration*> out = nodes_;
    std::sort(out.begin(), out.end(), version_less);
    return out;
}

std::string describe_cycle(const std::vector<const migration*>& cycle) {
    std::string out;
    for (const migration* m : cycle) {
        if (!out.empty()) out += " -> ";
        out += m->id;
    }
    return out;
}

}  // namespace bfm::core
