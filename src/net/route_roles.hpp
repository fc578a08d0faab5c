#pragma once
// The role matrix (docs/decisions.md, "Roles"): which role each kind of job needs. Routes
// declare theirs in the router's table and in job_routes.cpp.
//   viewer   every GET: reads, job status, events, targets, connections
//   operator + run, plan and cancel: migrate, up, down, rollback, plan, order-batch, jobs
//   admin    + reindex and the operator fixes (baseline, force, repair)

#include "core/job_request.hpp"
#include "net/auth.hpp"
#include "net/json_response.hpp"

namespace bfm::net {

// A job's kind decides the role POST /api/v1/jobs needs beyond operator.
role required_role(core::job_kind kind);

// 403 {"error": "role viewer may not ...; it needs operator", "code": "forbidden"}.
json_reply forbidden_reply(role have, role need);

}  // namespace bfm::net
