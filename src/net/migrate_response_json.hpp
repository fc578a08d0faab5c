#pragma once
// The run-up answer shared by /api/v1/migrate and /api/v1/migrations/up (upstream-compatible):
// {"success", "applied": [ids], "skipped": [ids], "errors": [text], "targets": [{"connection",
// "schema", "applied", "skipped", "failed", "errors"}]}. IDs are plain migration IDs; in a dry
// run the would-apply ones carry the upstream suffix " (dry-run)". 200 when everything
// succeeded, 206 Partial Content otherwise.

#include "core/service.hpp"
#include "net/json_response.hpp"

namespace bfm::net {

json_reply migrate_reply(const core::run_result& result);

// POST /api/v1/migrations/plan: always 200; per target `ok`, planning `errors` and the ordered
// `steps` (action run|skip, reason, dependency, out_of_order, rendered sql).
json_reply plan_reply(const core::run_result& result);

}  // namespace bfm::net
