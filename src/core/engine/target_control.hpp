#pragma once
// What a job's scheduler and a running target share: requests to stop (job cancelled, claim or
// lease lost) and what the target is doing now (heartbeat, cancel of the statement in flight).

#include <string>

namespace bfm::pg {
class target_session;
}

namespace bfm::core {

struct target_control {
    bool cancel_requested = false;  // the job was cancelled
    bool claim_lost = false;        // another replica owns the target now: stop writing
    bool shutting_down = false;     // this replica stops: hand the target back to the queue
    std::string current_migration;
    pg::target_session* active = nullptr;  // session running a migration now, if any

    bool should_stop() const { return cancel_requested || claim_lost || shutting_down; }
    std::string stop_reason() const {
        if (claim_lost) return "claim lost: another replica took the target over";
        if (cancel_requested) return "cancelled by request";
        return "this bfm process is shutting down; the target is queued again";
    }
};

}  // namespace bfm::core
