#pragma once
// Durable jobs (SPEC 6): what a job and its per-target rows look like to every layer. The state
// store persists them (bfm_jobs, bfm_job_targets); the HTTP/gRPC layers show them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/migration_result.hpp"

namespace bfm::core {

enum class job_status { queued, running, succeeded, failed, partial, cancelled };
std::string_view to_string(job_status s);
std::optional<job_status> parse_job_status(std::string_view text);
bool is_final(job_status s);

// A target of a job: waiting, being migrated by some replica, or done one way or another.
enum class target_status { queued, running, succeeded, failed, cancelled };
std::string_view to_string(target_status s);
std::optional<target_status> parse_target_status(std::string_view text);

enum class on_error_policy { continue_, stop };
std::string_view to_string(on_error_policy p);

// How a job reacts to failing targets (SPEC 3): by default the others go on.
struct job_options {
    on_error_policy on_error = on_error_policy::continue_;
    std::int64_t max_failures = 0;  // 0 = no limit; else stop once this many targets failed
};

struct job_counts {
    std::int64_t targets_total = 0;
    std::int64_t targets_done = 0;  // finished in any way (succeeded, failed, cancelled)
    std::int64_t targets_failed = 0;
    std::int64_t migrations_applied = 0;
    std::int64_t migrations_skipped = 0;
    std::int64_t migrations_failed = 0;
    // 0-100, from targets_done / targets_total (100 for a finished job).
    int progress() const;
};

struct job_summary {
    std::string job_id;  // UUIDv7: time-sortable
    std::string kind = "up";
    job_status status = job_status::queued;
    std::string connection;
    job_counts counts;
    job_options options;
    bool cancel_requested = false;
    std::string submitted_by;
    std::string execution_method;  // api|grpc|cli|dashboard|auto_migrate
    std::string error;              // job-level failure (e.g. schema discovery failed)
    std::string created_at;         // RFC 3339 UTC; empty when not reached yet
    std::string started_at;
    std::string finished_at;
};

struct job_target_row {
    std::int64_t seq = 0;  // position in the job, from 0
    std::string connection;
    std::string schema;
    target_status status = target_status::queued;
    std::string current_migration;  // while running
    std::string error;
    std::string claimed_by;  // replica that runs / ran it
    std::string started_at;
    std::string finished_at;
    std::int64_t duration_ms = 0;
    std::int64_t applied = 0;
    std::int64_t skipped = 0;
    std::int64_t failed = 0;
    std::vector<migration_result> migrations;  // once finished, in execution order
};

struct job_list_query {
    std::optional<job_status> status;
    std::size_t limit = 50;  // 1..1000
    std::size_t offset = 0;
};

struct job_target_query {
    std::optional<target_status> status;
    std::size_t limit = 100;  // 1..1000
    std::size_t offset = 0;
};

struct job_page {
    std::vector<job_summary> items;  // newest first
    std::size_t total = 0;
};

struct job_target_page {
    std::vector<job_target_row> items;  // by seq
    std::size_t total = 0;
};

// Progress events (SPEC 6), published on the event bus and streamed over SSE / gRPC.
enum class job_event_type {
    job_queued,
    job_started,
    target_started,
    migration_started,
    statement_done,  // no-transaction migrations only
    migration_succeeded,
    migration_failed,
    migration_skipped,
    target_finished,
    job_finished,
};
std::string_view to_string(job_event_type t);

struct job_event {
    job_event_type type = job_event_type::job_queued;
    std::string job_id;
    std::string connection;
    std::string schema;
    std::string migration_id;
    std::string status;  // target/job status for *_finished, outcome for migration events
    std::string error;
    std::int64_t statement_index = -1;  // statement_done: 0-based index; -1 otherwise
    std::int64_t duration_ms = 0;
    std::string at;    // RFC 3339 UTC with milliseconds
    int progress = 0;  // job-level 0-100 at the time of the event
};

}  // namespace bfm::core
