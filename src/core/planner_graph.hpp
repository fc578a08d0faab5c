#pragma once
// Dependency ordering of a set of migrations (SPEC 2, step 2): Kahn's algorithm with ties broken
// by (version_number, id), and when no order exists, the cycle that prevents it. Knows nothing
// about targets or state; the planner and order-batch both build one of these.

#include <cstddef>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/migration.hpp"

namespace bfm::core {

class dependency_graph {
public:
    // Adds `m` as a node (once) and returns its index.
    std::size_t add(const migration* m);
    bool contains(const migration* m) const { return index_.count(m) != 0; }
    // `dependent` must run after `dependency`. Both must be nodes; duplicates are ignored.
    void add_edge(const migration* dependency, const migration* dependent);

    const std::vector<const migration*>& nodes() const { return nodes_; }

    struct ordering {
        std::vector<const migration*> order;  // every node; empty when there is a cycle
        // A cycle as a path where each migration depends on the next, the first repeated at the
        // end ("a -> b -> a"), starting at its oldest member. Empty when `order` is valid.
        std::vector<const migration*> cycle;
    };
    // Dependencies before dependents; among migrations free to go, the lowest
    // (version_number, id) first. Never falls back to version order on a cycle (upstream did).
    ordering topological_order() const;
    // Every node by (version_number, id), edges ignored (ignore_dependencies).
    std::vector<const migration*> version_order() const;

private:
    std::vector<std::size_t> ranks() const;
    std::vector<const migration*> find_cycle(const std::vector<std::size_t>& in_degree,
                                             const std::vector<std::size_t>& rank) const;

    std::vector<const migration*> nodes_;
    std::unordered_map<const migration*, std::size_t> index_;
    std::vector<std::vector<std::size_t>> dependents_;    // node -> nodes that depend on it
    std::vector<std::vector<std::size_t>> dependencies_;  // node -> nodes it depends on
    std::set<std::pair<std::size_t, std::size_t>> edges_;
};

// "a -> b -> a" from a cycle as returned above, by migration ID.
std::string describe_cycle(const std::vector<const migration*>& cycle);

// True when `a` comes before `b` in (version_number, id) order. Versions compare as numbers.
bool version_less(const migration* a, const migration* b);

}  // namespace bfm::core
