#pragma once
// Immutable set of loaded migrations with lookups by ID and alias.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/migration.hpp"
#include "core/target_filter.hpp"

namespace bfm::core {

class registry {
public:
    registry() = default;
    // Takes migrations whose IDs are already known to be unique (the loader checks).
    explicit registry(std::vector<migration> migrations);

    // All migrations ordered by (version_number, id).
    const std::vector<migration>& all() const { return migrations_; }
    std::size_t size() const { return migrations_.size(); }

    // Exact canonical ID, or the aliases `{version}_{name}` and `{connection}_{version}_{name}`
    // when they are unambiguous. nullptr when nothing (or more than one migration) matches.
    const migration* find(std::string_view id_or_alias) const;

    // Upstream's schema-specific IDs `{schema}_{id}` (id a canonical ID or an alias), resolved
    // by matching known IDs, never by splitting on '_': `cli_dev_eu_20250101_x_postgresql_core`
    // gives schema `cli_dev_eu`. Also accepts a plain ID or alias (schema empty then).
    struct resolved_id {
        const migration* m = nullptr;
        std::string schema;
    };
    resolved_id resolve(std::string_view input) const;

    // Indexes of the migrations with this name / this numeric version, in registry order
    // (dependency resolution; all() holds them). Empty when there are none.
    const std::vector<std::size_t>& with_name(const std::string& name) const;
    const std::vector<std::size_t>& with_version(std::uint64_t version) const;

    // Migrations matching the filter, ordered by (version_number, id).
    std::vector<const migration*> select(const target_filter& filter) const;

private:
    // Lets find() look up a string_view without building a std::string: the planner calls it
    // for every recorded row of every target.
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };
    template <typename T>
    using string_map = std::unordered_map<std::string, T, string_hash, std::equal_to<>>;

    std::vector<migration> migrations_;
    string_map<std::size_t> by_id_;
    string_map<std::vector<std::size_t>> by_alias_;
    std::unordered_map<std::string, std::vector<std::size_t>> by_name_;
    std::unordered_map<std::uint64_t, std::vector<std::size_t>> by_version_;
};

using registry_ptr = std::shared_ptr<const registry>;

}  // namespace bfm::core
