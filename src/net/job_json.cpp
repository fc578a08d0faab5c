#include "net/job_json.hpp"

#include <boost/json/array.hpp>

namespace bfm::net {

namespace json = boost::json;

namespace {

json::value text_or_null(const std::string& text) {
    if (text.empty()) return nullptr;
    return json::value(text);
}

json::object counts_json(const core::job_counts& c) {
    return json::object{
        {"targets_total", c.targets_total},           {"targets_done", c.targets_done},
        {"targets_failed", c.targets_failed},         {"migrations_applied", c.migrations_applied},
        {"migrations_skipped", c.migrations_skipped}, {"migrations_failed", c.migrations_failed}};
}

json::object migration_json(const core::migration_result& m) {
    return json::object{{"migration_id", m.migration_id},
                        {"status", core::to_string(m.outcome)},
                        {"error", text_or_null(m.error)},
                        {"duration_ms", m.duration_ms}};
}

}  // namespace

json::object job_json(const core::job_summary& job) {
    json::object out;
    out["job_id"] = job.job_id;
    out["kind"] = job.kind;
    out["status"] = core::to_string(job.status);
    out["connection"] = job.connection;
    out["counts"] = counts_json(job.counts);
    out["progress"] = job.counts.progress();
    out["on_error"] = core::to_string(job.options.on_error);
    out["max_failures"] = job.options.max_failures;
    out["cancel_requested"] = job.cancel_requested;
    out["submitted_by"] = job.submitted_by;
    out["execution_method"] = job.execution_method;
    out["error"] = text_or_null(job.error);
    out["created_at"] = text_or_null(job.created_at);
    out["started_at"] = text_or_null(job.started_at);
    out["finished_at"] = text_or_null(job.finished_at);
    return out;
}

json::object job_target_json(const core::job_target_row& row) {
    json::array migrations;
    migrations.reserve(row.migrations.size());
    for (const core::migration_result& m : row.migrations) migrations.push_back(migration_json(m));
    json::object out;
    out["seq"] = row.seq;
    out["connection"] = row.connection;
    out["schema"] = row.schema;
    out["status"] = core::to_string(row.status);
    out["current_migration"] = text_or_null(row.current_migration);
    out["error"] = text_or_null(row.error);
    out["claimed_by"] = text_or_null(row.claimed_by);
    out["started_at"] = text_or_null(row.started_at);
    out["finished_at"] = text_or_null(row.finished_at);
    out["duration_ms"] = row.duration_ms;
    out["applied"] = row.applied;
    out["skipped"] = row.skipped;
    out["failed"] = row.failed;
    out["migrations"] = std::move(migrations);
    return out;
}

json::object job_event_json(const core::job_event& event) {
    json::object out;
    out["type"] = core::to_string(event.type);
    out["job_id"] = event.job_id;
    out["connection"] = text_or_null(event.connection);
    out["schema"] = text_or_null(event.schema);
    out["migration_id"] = text_or_null(event.migration_id);
    out["status"] = text_or_null(event.status);
    out["error"] = text_or_null(event.error);
    if (event.statement_index >= 0) {
        out["statement_index"] = event.statement_index;
    } else {
        out["statement_index"] = nullptr;
    }
    out["duration_ms"] = event.duration_ms;
    out["at"] = text_or_null(event.at);
    out["progress"] = event.progress;
    return out;
}

core::job_event finished_event(const core::job_summary& job) {
    core::job_event event;
    event.type = core::job_event_type::job_finished;
    event.job_id = job.job_id;
    event.connection = job.connection;
    event.status = std::string(core::to_string(job.status));
    event.error = job.error;
    event.at = job.finished_at;
    event.progress = job.counts.progress();
    return event;
}

}  // namespace bfm::net
