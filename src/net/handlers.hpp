#pragma once
// Endpoint handlers: each turns an already authenticated request into a json_reply by calling
// the migration service. Arguments that are views must outlive the returned awaitable (the
// router awaits it at once).

#include <boost/asio/awaitable.hpp>
#include <boost/url/params_view.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/service.hpp"
#include "net/auth.hpp"
#include "net/json_response.hpp"
#include "net/migrate_request_json.hpp"
#include "net/sse_stream.hpp"

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

// ---- jobs (SPEC 6); errors in the {"error": {"code", "message", "details"}} shape ----------

// A 200 answer that is not JSON (GET /metrics).
struct text_body {
    std::string content_type;
    std::string body;
};

// A streaming endpoint's answer: a stream to run, or (stream null) an ordinary reply; `text`,
// when set, is sent instead of `reply`.
struct stream_reply {
    json_reply reply;
    std::unique_ptr<response_stream> stream;
    std::optional<text_body> text;
};

// POST /api/v1/jobs: 202 {"job_id", "status_url", "events_url", "status"}. `caller`: the
// token's role; a kind that needs more (route_roles.hpp) is a 403.
boost::asio::awaitable<json_reply> handle_submit_job(core::migration_service& service,
                                                     std::string_view body, role caller);

// GET /api/v1/jobs: {"items": [job...], "total", "limit", "offset"}.
boost::asio::awaitable<json_reply> handle_list_jobs(core::job_service& service,
                                                    const boost::urls::params_view& params);

// `id` below is the raw path segment; anything but a UUID is a 400 invalid_job_id.

// GET /api/v1/jobs/{id}: the job.
boost::asio::awaitable<json_reply> handle_get_job(core::job_service& service, std::string_view id);

// GET /api/v1/jobs/{id}/targets: {"items": [target...], "total", "limit", "offset"}.
boost::asio::awaitable<json_reply> handle_job_targets(core::job_service& service,
                                                      std::string_view id,
                                                      const boost::urls::params_view& params);

// POST /api/v1/jobs/{id}/cancel: the job; 202 while targets are being cancelled, 200 when the
// answer is final.
boost::asio::awaitable<json_reply> handle_cancel_job(core::job_service& service,
                                                     std::string_view id);

// GET /api/v1/jobs/{id}/events: errors (bad ID, unknown job, state DB down) as a reply, else the
// SSE stream; `keep_alive` is the quiet time after which a comment is sent and the job re-read.
boost::asio::awaitable<stream_reply> handle_job_events(core::job_service& service,
                                                       std::string_view id,
                                                       std::chrono::milliseconds keep_alive);

// 400 invalid_job_id naming the (shortened) segment.
json_reply invalid_job_id_reply(std::string_view segment);

}  // namespace bfm::net
