#include "core/revert_planner.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "core/planner.hpp"

namespace bfm::core {

namespace {

bool parse_version(const std::string& text, std::uint64_t& out) {
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return !text.empty() && ec == std::errc() && ptr == end;
}

// The migrations the spec names, before dependents are considered.
std::set<const migration*> chosen(const registry& reg, const std::vector<applied_migration>& newest_first,
                                  const revert_spec& spec, revert_plan& plan) {
    auto& errors = plan.errors;
    std::set<const migration*> out;
    if (spec.steps > 0) {
        const auto n = std::min<std::size_t>(static_cast<std::size_t>(spec.steps), newest_first.size());
        for (std::size_t i = 0; i < n; ++i) out.insert(newest_first[i].m);
    } else if (!spec.to_version.empty()) {
        std::uint64_t version = 0;
        if (!parse_version(spec.to_version, version)) {
            errors.push_back("to_version \"" + spec.to_version + "\" is not a version number");
            return out;
        }
        for (const auto& a : newest_first) {
            if (a.m->version_number > version) out.insert(a.m);
        }
    } else {
        for (const auto& id : spec.migration_ids) {
            const migration* m = reg.find(id);
            const auto applied = std::find_if(newest_first.begin(), newest_first.end(),
                                              [&](const applied_migration& a) { return a.m == m; });
            if (m == nullptr) {
                errors.push_back("unknown migration " + id);
            } else if (applied == newest_first.end()) {
                plan.not_applied.push_back(m);
            } else {
                out.insert(m);
            }
        }
    }
    return out;
}

}  // namespace

revert_plan plan_revert(const registry& reg, std::vector<applied_migration> applied,
                        const revert_spec& spec) {
    revert_plan plan;
    std::sort(applied.begin(), applied.end(),
              [](const applied_migration& a, const applied_migration& b) {
                  return a.attempt_id > b.attempt_id;
              });
    std::set<const migration*> revert = chosen(reg, applied, spec, plan);
    if (!plan.ok()) return plan;

    // Applied migrations that depend on one being reverted: reverted too (cascade) or a refusal.
    for (bool grew = true; grew;) {
        grew = false;
        for (const auto& a : applied) {
            if (revert.count(a.m)) continue;
            for (const auto& dep : a.m->dependencies) {
                const migration* target = resolve_dependency(reg, *a.m, dep).target;
                if (target == nullptr || !revert.count(target)) continue;
                if (spec.cascade) {
                    revert.insert(a.m);
                    grew = true;
                } else {
                    plan.errors.push_back("cannot revert " + target->id + ": applied migration "
                                          + a.m->id
                                          + " depends on it (revert it too, or ask for cascade)");
                }
                break;
            }
        }
    }
    for (const auto& a : applied) {
        if (!revert.count(a.m)) continue;
        if (!a.m->down_sql) plan.errors.push_back(a.m->id + " has no down script");
        plan.order.push_back(a.m);
    }
    if (!plan.ok()) plan.order.clear();
    return plan;
}

}  // namespace bfm::core
