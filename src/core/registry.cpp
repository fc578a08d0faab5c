#include "core/registry.hpp"

#include <algorithm>
#include <tuple>

#include "core/schema_name.hpp"

namespace bfm::core {

registry::registry(std::vector<migration> migrations) : migrations_(std::move(migrations)) {
    std::sort(migrations_.begin(), migrations_.end(), [](const migration& a, const migration& b) {
        return std::tie(a.version_number, a.id) < std::tie(b.version_number, b.id);
    });
    for (std::size_t i = 0; i < migrations_.size(); ++i) {
        const migration& m = migrations_[i];
        by_id_.emplace(m.id, i);
        const std::string short_alias = m.version + "_" + m.name;
        by_alias_[short_alias].push_back(i);
        by_alias_[m.connection + "_" + short_alias].push_back(i);
        by_name_[m.name].push_back(i);
        by_version_[m.version_number].push_back(i);
    }
}

const std::vector<std::size_t>& registry::with_name(const std::string& name) const {
    static const std::vector<std::size_t> none;
    auto it = by_name_.find(name);
    return it == by_name_.end() ? none : it->second;
}

const std::vector<std::size_t>& registry::with_version(std::uint64_t version) const {
    static const std::vector<std::size_t> none;
    auto it = by_version_.find(version);
    return it == by_version_.end() ? none : it->second;
}

const migration* registry::find(std::string_view id_or_alias) const {
    if (auto it = by_id_.find(id_or_alias); it != by_id_.end()) return &migrations_[it->second];
    auto it = by_alias_.find(id_or_alias);
    if (it == by_alias_.end()) return nullptr;
    // The two alias forms of one migration differ in length, so every entry is a distinct
    // migration and more than one means the alias is ambiguous.
    return it->second.size() == 1 ? &migrations_[it->second.front()] : nullptr;
}

registry::resolved_id registry::resolve(std::string_view input) const {
    if (const migration* m = find(input)) return {m, ""};
    // `{schema}_{id}`: try every '_' as the end of the schema and keep the splits whose rest is
    // a known ID or alias. Schemas may contain '_' (`cli_dev_eu`, `tenant_123`) and IDs always
    // do, so no single split position is right; only the set of known IDs can tell.
    //
    // A rest that is a canonical ID wins over one that is only an alias, as in find(): a seed
    // ID `core_regions_20250101120000_create_regions` ends with its own alias
    // `20250101120000_create_regions`, so `t_core_regions_2025..._create_regions` is schema `t`.
    // Within one kind, two splits are ambiguous and resolve to nothing, also when they name the
    // same migration for different schemas: `tenant_core_20250101000000_x` is schema `tenant`
    // with the alias `core_20250101000000_x`, or schema `tenant_core` with `20250101000000_x`.
    // Guessing there could migrate the wrong tenant; the caller can send the canonical ID.
    resolved_id by_id;
    resolved_id by_alias;
    int id_splits = 0;
    int alias_splits = 0;
    for (std::size_t p = input.find('_'); p != std::string_view::npos; p = input.find('_', p + 1)) {
        const std::string_view schema = input.substr(0, p);
        if (validate_schema_name(schema)) continue;
        const std::string rest(input.substr(p + 1));
        if (auto it = by_id_.find(rest); it != by_id_.end()) {
            ++id_splits;
            by_id = {&migrations_[it->second], std::string(schema)};
        } else if (const migration* m = find(rest)) {
            ++alias_splits;
            by_alias = {m, std::string(schema)};
        }
    }
    if (id_splits > 0) return id_splits == 1 ? by_id : resolved_id{};
    return alias_splits == 1 ? by_alias : resolved_id{};
}

std::vector<const migration*> registry::select(const target_filter& filter) const {
    std::vector<const migration*> out;
    for (const migration& m : migrations_) {
        if (filter.matches(m)) out.push_back(&m);
    }
    return out;
}

}  // namespace bfm::core
