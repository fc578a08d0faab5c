#pragma once
// GET /api/v1/migrations/{id}[/status|/applied|/history|/executions|/skipped] and the recent
// lists: query parameters checked, the service asked, its answer as JSON. Errors keep the
// upstream shape ({"error": "<text>", "code", "details"}): 404 migration not found, 400 for a
// bad parameter (details.field names it) or ID, 503 when the state database is unavailable.

#include <boost/asio/awaitable.hpp>
#include <boost/url/params_view.hpp>

#include "core/service.hpp"
#include "net/json_response.hpp"
#include "net/migration_routes.hpp"

namespace bfm::net {

// `match` and `params` must outlive the returned awaitable.
boost::asio::awaitable<json_reply> handle_migration_read(core::migration_service& service,
                                                         const migration_route_match& match,
                                                         const boost::urls::params_view& params);

}  // namespace bfm::net
