#pragma once
// JSON shapes of jobs, their target rows and their progress events (HTTP answers and SSE
// data). Empty timestamps and texts are null.

#include <boost/json/object.hpp>

#include "core/jobs/job_types.hpp"

namespace bfm::net {

// job_id, kind, status, connection, counts{...}, progress, on_error, max_failures,
// cancel_requested, submitted_by, execution_method, error, created_at, started_at, finished_at.
boost::json::object job_json(const core::job_summary& job);

// seq, connection, schema, status, current_migration, error, claimed_by, started_at,
// finished_at, duration_ms, applied, skipped, failed, migrations[{migration_id, status, error,
// duration_ms}].
boost::json::object job_target_json(const core::job_target_row& row);

// type, job_id, connection, schema, migration_id, status, error, statement_index, duration_ms,
// at, progress.
boost::json::object job_event_json(const core::job_event& event);

// The job_finished event for a job seen final in the state DB (its events may have been
// published by another replica).
core::job_event finished_event(const core::job_summary& job);

}  // namespace bfm::net
