#pragma once
// Endpoint handlers: each turns an already authenticated request into a json_reply by calling
// the migration service. Arguments that are views must outlive the returned awaitable (the
// router awaits it at once).

#include <boost/asio/awaitable.hpp>
#include <boost/url/params_view.hpp>
#include <string_view>

#include "core/service.hpp"
#include "net/json_response.hpp"
#include "net/migrate_request_json.hpp"

namespace bfm::net {

// GET /health, GET /api/v1/health: 200 {"status":"healthy","checks":{...}} or 503 unhealthy.
boost::asio::awaitable<json_reply> handle_health(core::migration_service& service);

// POST /api/v1/migrate and POST /api/v1/migrations/up. `endpoint` is the request path, recorded
// in the execution context.
boost::asio::awaitable<json_reply> handle_run_up(core::migration_service& service,
                                                 migrate_body_kind kind, std::string_view body,
                                                 std::string_view endpoint);

// GET /api/v1/migrations.
boost::asio::awaitable<json_reply> handle_list_migrations(core::migration_service& service,
                                                          const boost::urls::params_view& params);

// POST /api/v1/migrations/order-batch.
boost::asio::awaitable<json_reply> handle_order_batch(core::migration_service& service,
                                                      std::string_view body);

// POST /api/v1/migrations/reindex.
boost::asio::awaitable<json_reply> handle_reindex(core::migration_service& service,
                                                  std::string_view body);

}  // namespace bfm::net
