#pragma once
// Dependency ordering of a set of migrations (SPEC 2, step 2): Kahn's algorithm with ties broken
// by (version_number, id), and when no order exists, the cycle that prevents it. Knows nothing
// about targets or state; the planner and order-batch both build one of these.
//
// Built once per target of a fan-out (1,000 targets x 1,000 migrations), so it avoids a heap
// node per migration: a flat edge list, no sorting at all in the common case of nodes added in
// version order whose dependencies all point backwards, and no hash index either until a node
// comes out of order (binary search finds a node until then).

#include <boost/unordered/unordered_flat_map.hpp>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/migration.hpp"

namespace bfm::core {

class dependency_graph {
public:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    void reserve(std::size_t nodes);
    // Adds `m` as a node (once) and returns its index.
    std::size_t add(const migration* m);
    // Index of `m`, npos when it is not a node.
    std::size_t find(const migration* m) const;
    bool contains(const migration* m) const { return find(m) != npos; }
    // `dependent` must run after `dependency`. Both must be nodes; duplicates are ignored.
    void add_edge(const migration* dependency, const migration* dependent);
    // The same by node index (as returned by add()).
    void add_edge_at(std::size_t dependency, std::size_t dependent);

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

    // The same two orders as node indices, for callers that keep data per node.
    struct index_ordering {
        std::vector<std::size_t> order;
        std::vector<std::size_t> cycle;
    };
    index_ordering topological_order_indices() const;
    std::vector<std::size_t> version_order_indices() const;

private:
    std::vector<std::size_t> ranks() const;

    std::vector<const migration*> nodes_;
    // Node -> index, built only once version_ordered_ is false.
    boost::unordered_flat_map<const migration*, std::size_t> index_;
    // (dependency, dependent) by node index, in the order added; may repeat (see add_edge_at).
    std::vector<std::pair<std::size_t, std::size_t>> edges_;
    // Nodes were added in strictly increasing (version_number, id) order: node index is rank,
    // and nodes_ is sorted for binary search.
    bool version_ordered_ = true;
    // Every edge goes from a node to a later one (a dependency added before its dependent).
    bool edges_forward_ = true;
};

// "a -> b -> a" from a cycle as returned above, by migration ID.
std::string describe_cycle(const std::vector<const migration*>& cycle);

// True when `a` comes before `b` in (version_number, id) order. Versions compare as numbers.
// Inline: it is the comparison of every sort and binary search over a plan's nodes.
inline bool version_less(const migration* a, const migration* b) {
    if (a->version_number != b->version_number) return a->version_number < b->version_number;
    return a->id < b->id;
}

}  // namespace bfm::core
