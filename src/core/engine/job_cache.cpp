#include "core/engine/job_cache.hpp"

namespace bfm::core {

std::optional<job_summary> job_cache::find(const std::string& job_id) const {
    auto it = entries_.find(job_id);
    if (it == entries_.end()) return std::nullopt;
    const auto& e = it->second;
    if (is_final(e.summary.status) || std::chrono::steady_clock::now() - e.stored < ttl_) {
        return e.summary;
    }
    return std::nullopt;
}

void job_cache::put(const job_summary& summary) {
    const auto now = std::chrono::steady_clock::now();
    auto it = entries_.find(summary.job_id);
    if (it != entries_.end()) {
        const job_summary& old = it->second.summary;
        const bool older = (is_final(old.status) && !is_final(summary.status))
                           || summary.counts.targets_done < old.counts.targets_done;
        if (!older) it->second.summary = summary;
        it->second.stored = now;
        return;
    }
    if (entries_.size() >= capacity_) {
        // Rare (capacity distinct jobs polled recently): start over rather than track ages.
        entries_.clear();
    }
    entries_.emplace(summary.job_id, entry{summary, now});
}

}  // namespace bfm::core
