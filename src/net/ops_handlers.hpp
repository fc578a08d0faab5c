#pragma once
// Operations endpoints (SPEC 7, 13): GET /ready, GET /api/v1/connections, GET /api/v1/targets
// and GET /metrics. Errors use the structured {"error": {"code", "message", "details"}} shape.

#include <boost/asio/awaitable.hpp>
#include <boost/url/params_view.hpp>
#include <string>

#include "core/service.hpp"
#include "net/json_response.hpp"

namespace bfm::net {

// 200 {"status":"ready","checks":{...}} or 503 {"status":"not_ready","reasons":[...],...}.
boost::asio::awaitable<json_reply> handle_ready(core::migration_service& service);

// {"items": [{name, backend, host, port, database, schema, max_connections, healthy,
// latency_ms, error}], "total"}. Never a password or a token.
boost::asio::awaitable<json_reply> handle_connections(core::migration_service& service);

// {"items": [{connection, schema, applied, pending, failed, modified, rolled_back,
// last_applied_at, status}], "total", "limit", "offset"}.
boost::asio::awaitable<json_reply> handle_targets(core::migration_service& service,
                                                  const boost::urls::params_view& params);

// The Prometheus text of GET /metrics, with the job gauges read from the state database now.
boost::asio::awaitable<std::string> metrics_text(core::migration_service& service);

}  // namespace bfm::net
