#pragma once
// POST /api/v1/jobs body (pure): the fields of POST /api/v1/migrations/up (parsed by
// parse_migrate_body, so both stay in step) plus "kind" ("up" only for now), "on_error"
// ("continue"|"stop") and "max_failures" (integer >= 0). Dry runs are refused: they are plans,
// not jobs. Null means "not given", as everywhere.

#include <optional>
#include <string>
#include <string_view>

#include "core/job_request.hpp"
#include "core/jobs/job_types.hpp"
#include "net/migrate_request_json.hpp"

namespace bfm::net {

struct job_body_result {
    std::optional<core::raw_up_request> request;
    std::string kind = "up";
    core::job_options options;
    // Codes as in migrate_request_json.hpp, plus unsupported_kind, invalid_value and
    // dry_run_not_a_job.
    std::optional<body_error> error;
};

job_body_result parse_job_body(std::string_view body);

}  // namespace bfm::net
