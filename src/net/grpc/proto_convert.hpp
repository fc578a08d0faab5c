#pragma once
// Between the generated protobuf messages and core types (pure, no gRPC calls). Requests become
// core::raw_up_request, which core::normalise_request validates exactly as for HTTP; results and
// jobs become the messages that mirror the HTTP JSON.

#include <optional>
#include <string>

#include "core/job_request.hpp"
#include "core/jobs/job_types.hpp"
#include "core/service.hpp"
#include "migration.pb.h"

namespace bfm::net::grpc_bridge {

// A client mistake in a request message: `field` names it ("schema_name", "target.tags").
struct field_error {
    std::string code;  // snake_case, as the HTTP error codes
    std::string field;
    std::string message;
    // "field \"<field>\": <message>" (or the message alone without a field).
    std::string to_string() const;
};

struct raw_request_result {
    std::optional<core::raw_up_request> request;
    std::optional<field_error> error;
};

// MigrateRequest (upstream): target, connection, schema or its alias schema_name (both given
// must agree), dry_run, ignore_dependencies.
raw_request_result to_raw_request(const migration::MigrateRequest& request);
// JobSpec (SubmitJob, Plan): the fields of POST /api/v1/migrations/up.
raw_request_result to_raw_request(const migration::JobSpec& spec);

// SubmitJobRequest's kind, on_error and max_failures.
struct job_options_result {
    core::job_options options;
    std::optional<field_error> error;
};
job_options_result to_job_options(const migration::SubmitJobRequest& request);

// "connection": ..., with the caller's RPC name, as HTTP records its endpoint.
core::execution_origin grpc_origin(std::string_view rpc);

// The upstream answer: IDs applied (dry runs: would-apply IDs with " (dry-run)"), skipped, and
// "connection/schema: ..." errors; success when every target succeeded.
void to_proto(const core::run_result& result, migration::MigrateResponse& out);
void to_proto(const core::run_result& result, migration::PlanResponse& out);

void to_proto(const core::job_summary& job, migration::Job& out);
void to_proto(const core::job_target_row& row, migration::JobTarget& out);
void to_proto(const core::job_event& event, migration::JobEvent& out);
// StreamMigrate's message for one job event (upstream status words for migration events).
void to_progress(const core::job_event& event, migration::MigrateProgress& out);

void to_proto(const core::migration_row& row, migration::MigrationListItem& out);

}  // namespace bfm::net::grpc_bridge
