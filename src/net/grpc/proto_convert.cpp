#include "net/grpc/proto_convert.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace bfm::net::grpc_bridge {

namespace json = boost::json;

namespace {

constexpr std::string_view dry_run_suffix = " (dry-run)";

std::vector<std::string> strings_of(const google::protobuf::RepeatedPtrField<std::string>& in) {
    return {in.begin(), in.end()};
}

void read_target(const migration::MigrationTarget& target, core::raw_up_request& raw) {
    raw.target.backend = target.backend();
    raw.target.schema = target.schema();
    raw.target.tables = strings_of(target.tables());
    raw.target_version_text = target.version();
    raw.target.connection = target.connection();
    raw.tags = strings_of(target.tags());
}

// `schema_name` is an alias of `schema` (upstream: used when `schema` is empty).
std::optional<field_error> read_schema(const std::string& schema, const std::string& schema_name,
                                       core::raw_up_request& raw) {
    if (!schema.empty() && !schema_name.empty() && schema != schema_name) {
        return field_error{"conflicting_fields", "schema_name",
                           "fields \"schema\" and \"schema_name\" name different schemas"};
    }
    raw.schema = schema.empty() ? schema_name : schema;
    return std::nullopt;
}

void add_text(google::protobuf::RepeatedPtrField<std::string>& out, std::string text) {
    *out.Add() = std::move(text);
}

std::string target_label(const core::target_result& t) {
    return t.connection + "/" + t.schema;
}

// The upstream status word of a migration event; other events show the status they carry.
std::string progress_status(const core::job_event& event) {
    switch (event.type) {
        case core::job_event_type::migration_started:
        case core::job_event_type::statement_done:
            return "running";
        case core::job_event_type::migration_succeeded:
            return "success";
        case core::job_event_type::migration_failed:
            return "failed";
        case core::job_event_type::migration_skipped:
            return "skipped";
        case core::job_event_type::target_started:
        case core::job_event_type::job_started:
            return event.status.empty() ? "running" : event.status;
        case core::job_event_type::job_queued:
            return event.status.empty() ? "queued" : event.status;
        case core::job_event_type::target_finished:
        case core::job_event_type::job_finished:
            return event.status;
    }
    return event.status;
}

std::string progress_message(const core::job_event& event) {
    const std::string where = event.connection.empty() ? std::string("job " + event.job_id)
                                                       : event.connection + "/" + event.schema;
    std::string text;
    switch (event.type) {
        case core::job_event_type::job_queued:
            text = "job " + event.job_id + " queued";
            break;
        case core::job_event_type::job_started:
            text = "job " + event.job_id + " started";
            break;
        case core::job_event_type::target_started:
            text = where + ": target started";
            break;
        case core::job_event_type::migration_started:
            text = where + ": migration " + event.migration_id + " started";
            break;
        case core::job_event_type::statement_done:
            text = where + ": migration " + event.migration_id + " statement "
                   + std::to_string(event.statement_index + 1) + " done";
            break;
        case core::job_event_type::migration_succeeded:
            text = where + ": migration " + event.migration_id + " applied";
            break;
        case core::job_event_type::migration_failed:
            text = where + ": migration " + event.migration_id + " failed";
            break;
        case core::job_event_type::migration_skipped:
            text = where + ": migration " + event.migration_id + " skipped";
            break;
        case core::job_event_type::target_finished:
            text = where + ": target " + event.status;
            break;
        case core::job_event_type::job_finished:
            text = "job " + event.job_id + " " + event.status;
            break;
    }
    if (!event.error.empty()) text += ": " + event.error;
    return text;
}

}  // namespace

std::string field_error::to_string() const {
    if (field.empty()) return message;
    return "field \"" + field + "\": " + message;
}

raw_request_result to_raw_request(const migration::MigrateRequest& request) {
    core::raw_up_request raw;
    if (request.has_target()) read_target(request.target(), raw);
    raw.connection = request.connection();
    if (auto e = read_schema(request.schema(), request.schema_name(), raw)) return {{}, e};
    raw.dry_run = request.dry_run();
    raw.ignore_dependencies = request.ignore_dependencies();
    return {std::move(raw), std::nullopt};
}

raw_request_result to_raw_request(const migration::JobSpec& spec) {
    core::raw_up_request raw;
    if (spec.has_target()) read_target(spec.target(), raw);
    raw.connection = spec.connection();
    if (auto e = read_schema(spec.schema(), spec.schema_name(), raw)) return {{}, e};
    raw.schemas = strings_of(spec.schemas());
    raw.environment = spec.environment();
    raw.environments = strings_of(spec.environments());
    if (spec.has_schema_selector()) raw.schema_selector_like = spec.schema_selector().like();
    raw.ignore_dependencies = spec.ignore_dependencies();
    raw.allow_modified = spec.allow_modified();
    raw.strict_order = spec.strict_order();
    return {std::move(raw), std::nullopt};
}

job_options_result to_job_options(const migration::SubmitJobRequest& request) {
    job_options_result out;
    if (!request.kind().empty() && request.kind() != "up") {
        out.error = field_error{"unsupported_kind", "kind",
                                "kind \"" + request.kind().substr(0, 64)
                                    + "\" is not supported; jobs can only be of kind \"up\""};
        return out;
    }
    if (request.on_error() == "stop") {
        out.options.on_error = core::on_error_policy::stop;
    } else if (!request.on_error().empty() && request.on_error() != "continue") {
        out.error = field_error{"invalid_value", "on_error",
                                "on_error must be \"continue\" or \"stop\", not \""
                                    + request.on_error().substr(0, 64) + "\""};
        return out;
    }
    if (request.max_failures() < 0) {
        out.error =
            field_error{"invalid_value", "max_failures", "max_failures must be >= 0 (0: no limit)"};
        return out;
    }
    out.options.max_failures = request.max_failures();
    return out;
}

core::execution_origin grpc_origin(std::string_view rpc) {
    core::execution_origin origin;
    origin.method = core::execution_method::grpc;
    origin.executed_by = "grpc_client";
    origin.context_json = json::serialize(json::object{
        {"rpc", "/migration.MigrationService/" + std::string(rpc)}, {"connection_type", "grpc"}});
    return origin;
}

void to_proto(const core::run_result& result, migration::MigrateResponse& out) {
    for (const core::target_result& t : result.targets) {
        for (const core::migration_result& m : t.migrations) {
            // Upstream's down answer lists what it reverted under "applied" too.
            if (m.outcome == core::migration_outcome::applied
                || m.outcome == core::migration_outcome::rolled_back) {
                add_text(*out.mutable_applied(), m.migration_id);
            } else if (m.outcome == core::migration_outcome::would_apply
                       || m.outcome == core::migration_outcome::would_roll_back) {
                add_text(*out.mutable_applied(), m.migration_id + std::string(dry_run_suffix));
            } else if (m.outcome == core::migration_outcome::skipped) {
                add_text(*out.mutable_skipped(), m.migration_id);
            } else if (m.outcome == core::migration_outcome::failed) {
                add_text(*out.mutable_errors(),
                         target_label(t) + ": " + m.migration_id + ": " + m.error);
            }
        }
        if (!t.error.empty()) add_text(*out.mutable_errors(), target_label(t) + ": " + t.error);
    }
    out.set_success(result.success());
}

void to_proto(const core::run_result& result, migration::PlanResponse& out) {
    bool all_ok = true;
    for (const core::target_result& t : result.targets) {
        migration::PlanTarget& target = *out.add_targets();
        target.set_connection(t.connection);
        target.set_schema(t.schema);
        target.set_ok(t.error.empty());
        if (!t.error.empty()) add_text(*target.mutable_errors(), t.error);
        all_ok = all_ok && t.error.empty();
        for (const core::planned_step& s : t.plan) {
            migration::PlanStep& step = *target.add_steps();
            step.set_migration_id(s.migration_id);
            step.set_connection(s.connection);
            step.set_schema(s.schema);
            step.set_action(s.run ? "run" : "skip");
            step.set_reason(s.reason);
            step.set_dependency(s.dependency);
            step.set_out_of_order(s.out_of_order);
            step.set_transactional(s.transactional);
            step.set_sql(s.sql);
        }
    }
    out.set_ok(all_ok);
}

void to_proto(const core::job_summary& job, migration::Job& out) {
    out.set_job_id(job.job_id);
    out.set_kind(job.kind);
    out.set_status(std::string(core::to_string(job.status)));
    out.set_connection(job.connection);
    migration::JobCounts& c = *out.mutable_counts();
    c.set_targets_total(job.counts.targets_total);
    c.set_targets_done(job.counts.targets_done);
    c.set_targets_failed(job.counts.targets_failed);
    c.set_migrations_applied(job.counts.migrations_applied);
    c.set_migrations_skipped(job.counts.migrations_skipped);
    c.set_migrations_failed(job.counts.migrations_failed);
    out.set_progress(job.counts.progress());
    out.set_on_error(std::string(core::to_string(job.options.on_error)));
    out.set_max_failures(job.options.max_failures);
    out.set_cancel_requested(job.cancel_requested);
    out.set_submitted_by(job.submitted_by);
    out.set_execution_method(job.execution_method);
    out.set_error(job.error);
    out.set_created_at(job.created_at);
    out.set_started_at(job.started_at);
    out.set_finished_at(job.finished_at);
}

void to_proto(const core::job_target_row& row, migration::JobTarget& out) {
    out.set_seq(row.seq);
    out.set_connection(row.connection);
    out.set_schema(row.schema);
    out.set_status(std::string(core::to_string(row.status)));
    out.set_current_migration(row.current_migration);
    out.set_error(row.error);
    out.set_claimed_by(row.claimed_by);
    out.set_started_at(row.started_at);
    out.set_finished_at(row.finished_at);
    out.set_duration_ms(row.duration_ms);
    out.set_applied(row.applied);
    out.set_skipped(row.skipped);
    out.set_failed(row.failed);
    for (const core::migration_result& m : row.migrations) {
        migration::JobMigrationResult& r = *out.add_migrations();
        r.set_migration_id(m.migration_id);
        r.set_status(std::string(core::to_string(m.outcome)));
        r.set_error(m.error);
        r.set_duration_ms(m.duration_ms);
    }
}

void to_proto(const core::job_event& event, migration::JobEvent& out) {
    out.set_type(std::string(core::to_string(event.type)));
    out.set_job_id(event.job_id);
    out.set_connection(event.connection);
    out.set_schema(event.schema);
    out.set_migration_id(event.migration_id);
    out.set_status(event.status);
    out.set_error(event.error);
    out.set_statement_index(event.statement_index);
    out.set_duration_ms(event.duration_ms);
    out.set_at(event.at);
    out.set_progress(event.progress);
}

void to_progress(const core::job_event& event, migration::MigrateProgress& out) {
    out.set_migration_id(event.migration_id);
    out.set_status(progress_status(event));
    out.set_message(progress_message(event));
    out.set_progress(event.progress);
    to_proto(event, *out.mutable_event());
}

void to_proto(const core::migration_row& row, migration::MigrationListItem& out) {
    out.set_migration_id(row.migration_id);
    out.set_schema(row.schema);
    out.set_table(row.table);
    out.set_version(row.version);
    out.set_name(row.name);
    out.set_connection(row.connection);
    out.set_backend(row.backend);
    out.set_applied(row.status == "applied");
    out.set_status(row.status);
    out.set_applied_at(row.applied_at);
    out.set_error_message(row.error_message);
}

}  // namespace bfm::net::grpc_bridge
