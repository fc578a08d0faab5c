#pragma once
// POST /api/v1/jobs body (pure): the fields of POST /api/v1/migrations/up (parsed by
// parse_migrate_body, so both stay in step) plus "kind" ("up", "down" or "rollback"),
// "on_error" ("continue"|"stop") and "max_failures" (integer >= 0); kinds "baseline", "force"
// and "repair" take the fields of take_fix_fields. A down job names what to
// revert on each target with exactly one of "steps" (integer >= 1), "to_version" (digits) and
// "migration_id"/"migration_ids"; a rollback job with "migration_id"/"migration_ids"; both
// accept "cascade" (bool). Dry runs are refused: they are plans, not jobs. Null means "not
// given", as everywhere.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/job_request.hpp"
#include "core/jobs/job_types.hpp"
#include "net/migrate_request_json.hpp"

namespace bfm::net {

struct job_body_result {
    std::optional<core::raw_up_request> request;
    core::job_kind kind = core::job_kind::up;
    core::revert_spec revert;
    core::fix_spec fix;
    core::job_options options;
    // Codes as in migrate_request_json.hpp, plus unsupported_kind, invalid_value,
    // missing_field, conflicting_fields and dry_run_not_a_job.
    std::optional<body_error> error;
};

job_body_result parse_job_body(std::string_view body);

// The fields of an operator fix (kind baseline, force or repair): "reason" (required), for a
// baseline "to_version", for a force "migration_id" and "status". Taken out of `fields`.
std::optional<body_error> take_fix_fields(boost::json::object& fields, core::job_kind kind,
                                          core::fix_spec& fix);

// The down/rollback fields of a JSON object (also used by POST /api/v1/migrations/down): taken
// out of `fields` so that what remains can be parsed as an up request.
std::optional<body_error> take_revert_fields(boost::json::object& fields, core::job_kind kind,
                                             core::revert_spec& spec);

}  // namespace bfm::net
