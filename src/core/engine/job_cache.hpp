#pragma once
// Recent job summaries in memory, so that status polling (GET /api/v1/jobs/{id}, thousands of
// requests a second from dashboards and scripts) does not become one state query per request.
// A final job never changes and is served from here; a running one is re-read after `ttl`,
// unless this replica updated it meanwhile (every target it finishes refreshes the entry).

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/jobs/job_types.hpp"

namespace bfm::core {

class job_cache {
public:
    explicit job_cache(std::chrono::milliseconds ttl, std::size_t capacity = 10000)
        : ttl_(ttl), capacity_(capacity) {}

    // The cached summary when it is final or younger than the TTL.
    std::optional<job_summary> find(const std::string& job_id) const;
    // Keeps the newer of the cached and the given summary (finishers may report out of order).
    void put(const job_summary& summary);

private:
    struct entry {
        job_summary summary;
        std::chrono::steady_clock::time_point stored;
    };
    std::chrono::milliseconds ttl_;
    std::size_t capacity_;
    std::unordered_map<std::string, entry> entries_;
};

}  // namespace bfm::core
