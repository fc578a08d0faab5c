#pragma once
// Strict JSON decoding of the run-up request bodies into core::raw_up_request (pure, no I/O):
// POST /api/v1/migrate (the original guide's body) and POST /api/v1/migrations/up (upstream's).
// Wrong types and unknown fields are errors, never ignored; null means "not given".

#include <optional>
#include <string>
#include <string_view>

#include "core/job_request.hpp"

namespace bfm::net {

// Every kind also takes allow_modified and strict_order; target.tags is ["key=value", ...].
enum class migrate_body_kind {
    migrate,        // {target, connection, schema, schema_name, environment, dry_run}
    migrations_up,  // the above plus schemas[] and ignore_dependencies
    plan,           // as migrations_up; always a dry run
};

// A client mistake in the body. `code`: malformed_json, invalid_body, invalid_type,
// unknown_field, conflicting_fields. `field` names the field ("target.tables[1]"), may be empty.
struct body_error {
    std::string code;
    std::string message;
    std::string field;
};

struct migrate_body_result {
    std::optional<core::raw_up_request> request;
    std::optional<body_error> error;
};

migrate_body_result parse_migrate_body(std::string_view body, migrate_body_kind kind);

}  // namespace bfm::net
