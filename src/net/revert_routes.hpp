#pragma once
// Changing what is applied over HTTP (SPEC 3, 7): upstream's POST /api/v1/migrations/down and
// POST /api/v1/migrations/{id}/rollback, with its bugs fixed (state really becomes
// rolled_back, dependents are checked, a malformed body is refused instead of read as {}),
// and the operator fixes POST /api/v1/migrations/baseline, /repair and /{id}/force.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/service.hpp"
#include "net/json_response.hpp"

namespace bfm::net {

enum class revert_endpoint { down, rollback, baseline, repair, force };

struct revert_route_match {
    revert_endpoint endpoint;
    std::string id;  // rollback, force: the {id} segment, percent-decoded
};

// POST routes only; nullopt for anything else (other routes then get their chance). A {id}
// that does not decode as UTF-8-safe percent-encoding yields an empty id.
std::optional<revert_route_match> match_revert_route(std::string_view encoded_path);

// Body {migration_id, schemas, dry_run, ignore_dependencies} as upstream, plus bfm's
// connection, schema, steps, to_version and cascade (a down without migration_id reverts by
// count or version on the given connection's schemas).
boost::asio::awaitable<json_reply> handle_migrations_down(core::migration_service& service,
                                                          std::string_view body);

// Body {schemas} (optional; empty body = {}), plus cascade and dry_run. 404 for an unknown
// ID; 400 "no migrations to rollback" when it was applied on none of the schemas; else 200
// {success, message, applied, skipped, errors} (upstream answers 200 even when success is
// false, and so do we, with the reasons in errors).
boost::asio::awaitable<json_reply> handle_rollback(core::migration_service& service,
                                                   std::string_view id, std::string_view body);

// Baseline and repair: the body of POST /api/v1/migrations/up (connection, schema(s),
// environment, target filter) plus "reason" (required) and, for a baseline, "to_version".
// Force: {schemas, status, reason} for the migration in the path. Run as jobs that are
// awaited; answered like /migrations/up (the changed migrations are listed as applied).
boost::asio::awaitable<json_reply> handle_operator_fix(core::migration_service& service,
                                                       core::job_kind kind, std::string_view id,
                                                       std::string_view body);

}  // namespace bfm::net
