#include "core/registry.hpp"

#include <algorithm>
#include <tuple>

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
    }
}

const migration* registry::find(std::string_view id_or_alias) const {
    const std::string key(id_or_alias);
    if (auto it = by_id_.find(key); it != by_id_.end()) return &migrations_[it->second];
    auto it = by_alias_.find(key);
    if (it == by_alias_.end()) return nullptr;
    // The two alias forms of one migration differ in length, so every entry is a distinct
    // migration and more than one means the alias is ambiguous.
    return it->second.size() == 1 ? &migrations_[it->second.front()] : nullptr;
}

std::vector<const migration*> registry::select(const target_filter& filter) const {
    std::vector<const migration*> out;
    for (const migration& m : migrations_) {
        if (filter.matches(m)) out.push_back(&m);
    }
    return out;
}

}  // namespace bfm::core
