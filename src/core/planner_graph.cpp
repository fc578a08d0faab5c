#include "core/planner_graph.hpp"

#include <algorithm>
#include <functional>
#include <numeric>
#include <queue>
#include <stdexcept>

namespace bfm::core {

namespace {

// Adjacency lists in two flat arrays: the neighbours of node n are
// targets[start[n]] .. targets[start[n + 1]].
struct adjacency {
    std::vector<std::size_t> start;
    std::vector<std::size_t> targets;

    // From (from, to) pairs; `reverse` lists each edge under `to` instead.
    adjacency(std::size_t nodes, const std::vector<std::pair<std::size_t, std::size_t>>& edges,
              bool reverse)
        : start(nodes + 1, 0), targets(edges.size()) {
        for (const auto& [from, to] : edges) ++start[(reverse ? to : from) + 1];
        std::partial_sum(start.begin(), start.end(), start.begin());
        std::vector<std::size_t> next(start.begin(), start.end() - 1);
        for (const auto& [from, to] : edges) {
            targets[next[reverse ? to : from]++] = reverse ? from : to;
        }
    }
    std::size_t degree(std::size_t n) const { return start[n + 1] - start[n]; }
    template <typename F>
    void for_each(std::size_t n, F f) const {
        for (std::size_t i = start[n]; i < start[n + 1]; ++i) f(targets[i]);
    }
};

// After Kahn's algorithm stalls, every node left has a dependency that is also left (its
// in-degree counts only unprocessed dependencies). Following dependencies from any node left
// must therefore revisit a node: a depth-first walk that never needs to backtrack. The oldest
// dependency is followed at each step so the reported cycle is deterministic.
std::vector<std::size_t> find_cycle(const adjacency& dependencies,
                                    const std::vector<std::size_t>& in_degree,
                                    const std::vector<std::size_t>& rank) {
    const std::size_t none = in_degree.size();
    auto left = [&](std::size_t n) { return in_degree[n] > 0; };
    std::size_t current = none;
    for (std::size_t n = 0; n < none; ++n) {
        if (left(n) && (current == none || rank[n] < rank[current])) current = n;
    }
    std::vector<std::size_t> path;
    std::vector<std::size_t> position(none, none);
    while (position[current] == none) {
        position[current] = path.size();
        path.push_back(current);
        std::size_t next = none;
        dependencies.for_each(current, [&](std::size_t d) {
            if (left(d) && (next == none || rank[d] < rank[next])) next = d;
        });
        current = next;  // exists: see above
    }
    std::vector<std::size_t> cycle(path.begin() + static_cast<std::ptrdiff_t>(position[current]),
                                   path.end());
    // Start at the oldest member, so the same cycle reads the same whichever way it was reached.
    auto oldest = std::min_element(cycle.begin(), cycle.end(),
                                   [&](std::size_t a, std::size_t b) { return rank[a] < rank[b]; });
    std::rotate(cycle.begin(), oldest, cycle.end());
    cycle.push_back(cycle.front());
    return cycle;
}

std::vector<const migration*> to_migrations(const std::vector<const migration*>& nodes,
                                            const std::vector<std::size_t>& indices) {
    std::vector<const migration*> out;
    out.reserve(indices.size());
    for (std::size_t n : indices) out.push_back(nodes[n]);
    return out;
}

}  // namespace

void dependency_graph::reserve(std::size_t nodes) {
    nodes_.reserve(nodes);
}

std::size_t dependency_graph::add(const migration* m) {
    if (version_ordered_) {
        // Newer than every node: not one of them, and the nodes stay in order.
        if (nodes_.empty() || version_less(nodes_.back(), m)) {
            nodes_.push_back(m);
            return nodes_.size() - 1;
        }
        if (const std::size_t known = find(m); known != npos) return known;
        // Out of order from here on: binary search no longer works, index every node.
        version_ordered_ = false;
        index_.reserve(nodes_.size() + 1);
        for (std::size_t n = 0; n < nodes_.size(); ++n) index_.emplace(nodes_[n], n);
    }
    auto [it, inserted] = index_.emplace(m, nodes_.size());
    if (inserted) nodes_.push_back(m);
    return it->second;
}

std::size_t dependency_graph::find(const migration* m) const {
    if (version_ordered_) {
        auto it = std::lower_bound(nodes_.begin(), nodes_.end(), m, version_less);
        return it != nodes_.end() && *it == m ? static_cast<std::size_t>(it - nodes_.begin())
                                              : npos;
    }
    auto it = index_.find(m);
    return it == index_.end() ? npos : it->second;
}

void dependency_graph::add_edge(const migration* dependency, const migration* dependent) {
    const std::size_t from = find(dependency);
    const std::size_t to = find(dependent);
    if (from == npos || to == npos) throw std::out_of_range("dependency_graph: edge to a non-node");
    add_edge_at(from, to);
}

// Duplicates are kept here and dropped when an order is computed: checking now would cost a
// search per edge, and the fast path of topological_order_indices() never looks at them.
void dependency_graph::add_edge_at(std::size_t dependency, std::size_t dependent) {
    if (dependency >= dependent) edges_forward_ = false;
    edges_.emplace_back(dependency, dependent);
}

// rank[node] = its position in (version_number, id) order.
std::vector<std::size_t> dependency_graph::ranks() const {
    std::vector<std::size_t> by_version(nodes_.size());
    std::iota(by_version.begin(), by_version.end(), std::size_t{0});
    if (version_ordered_) return by_version;  // rank is node index
    std::sort(by_version.begin(), by_version.end(),
              [&](std::size_t a, std::size_t b) { return version_less(nodes_[a], nodes_[b]); });
    std::vector<std::size_t> rank(nodes_.size());
    for (std::size_t r = 0; r < by_version.size(); ++r) rank[by_version[r]] = r;
    return rank;
}

dependency_graph::index_ordering dependency_graph::topological_order_indices() const {
    const std::size_t count = nodes_.size();
    index_ordering out;
    if (version_ordered_ && edges_forward_) {
        // Rank is node index and every node's dependencies come before it, so the lowest node
        // not yet taken is always free to go and the lowest free one: Kahn's algorithm would
        // return the nodes as they are. Nor can forward edges close a cycle.
        out.order.resize(count);
        std::iota(out.order.begin(), out.order.end(), std::size_t{0});
        return out;
    }
    const std::vector<std::size_t> rank = ranks();
    std::vector<std::size_t> by_rank(count);
    for (std::size_t n = 0; n < count; ++n) by_rank[rank[n]] = n;

    auto edges = edges_;
    std::sort(edges.begin(), edges.end());
    edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
    const adjacency dependents(count, edges, false);
    const adjacency dependencies(count, edges, true);

    std::vector<std::size_t> in_degree(count);
    for (std::size_t n = 0; n < count; ++n) in_degree[n] = dependencies.degree(n);
    // Ready nodes by rank, lowest first: the tie-break is (version_number, id).
    std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
    for (std::size_t n = 0; n < count; ++n) {
        if (in_degree[n] == 0) ready.push(rank[n]);
    }
    out.order.reserve(count);
    while (!ready.empty()) {
        const std::size_t n = by_rank[ready.top()];
        ready.pop();
        out.order.push_back(n);
        dependents.for_each(n, [&](std::size_t d) {
            if (--in_degree[d] == 0) ready.push(rank[d]);
        });
    }
    if (out.order.size() != count) {
        out.order.clear();
        out.cycle = find_cycle(dependencies, in_degree, rank);
    }
    return out;
}

dependency_graph::ordering dependency_graph::topological_order() const {
    const index_ordering sorted = topological_order_indices();
    return {to_migrations(nodes_, sorted.order), to_migrations(nodes_, sorted.cycle)};
}

std::vector<std::size_t> dependency_graph::version_order_indices() const {
    std::vector<std::size_t> out(nodes_.size());
    std::iota(out.begin(), out.end(), std::size_t{0});
    if (!version_ordered_) {
        std::sort(out.begin(), out.end(),
                  [&](std::size_t a, std::size_t b) { return version_less(nodes_[a], nodes_[b]); });
    }
    return out;
}

std::vector<const migration*> dependency_graph::version_order() const {
    return to_migrations(nodes_, version_order_indices());
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
