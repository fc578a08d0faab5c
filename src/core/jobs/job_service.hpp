#pragma once
// The job API every front end uses (HTTP now, gRPC and the dashboard later): submit a durable
// job, read it and its targets, cancel it, and follow its events.

#include <boost/asio/awaitable.hpp>
#include <string>

#include "core/job_request.hpp"
#include "core/jobs/event_bus.hpp"
#include "core/jobs/job_types.hpp"
#include "core/migration_result.hpp"

namespace bfm::core {

// Error codes in service_error for job calls: "job_not_found" (404), "invalid_job_id" (400),
// "state_unavailable" (503), "unknown_connection" (400).
class job_service {
public:
    virtual ~job_service() = default;

    // Persists the job and its known targets (state DB) and only then returns it, queued: an
    // acknowledged job is never lost. Dry runs are not jobs (use migrate_up / plan).
    virtual boost::asio::awaitable<service_outcome<job_summary>> submit_job(
        job_request request, job_options options) = 0;
    virtual boost::asio::awaitable<service_outcome<job_summary>> get_job(std::string job_id) = 0;
    virtual boost::asio::awaitable<service_outcome<job_page>> list_jobs(job_list_query query) = 0;
    virtual boost::asio::awaitable<service_outcome<job_target_page>> job_targets(
        std::string job_id, job_target_query query) = 0;
    // Queued targets are cancelled at once; running ones have their statement cancelled
    // server-side and end `cancelled` (the migration in flight rolled back). Cancelling a
    // finished job answers its summary unchanged.
    virtual boost::asio::awaitable<service_outcome<job_summary>> cancel_job(std::string job_id) = 0;

    // Live events of jobs run by this process (SPEC 6).
    virtual event_bus& events() = 0;
};

}  // namespace bfm::core
