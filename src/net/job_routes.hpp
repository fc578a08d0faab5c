#pragma once
// Paths of the job endpoints (pure): /api/v1/jobs and /api/v1/jobs/{id}[/targets|/cancel|
// /events]. The ID segment is returned as written; the handlers validate it.

#include <boost/beast/http/verb.hpp>
#include <optional>
#include <string_view>

#include "net/auth.hpp"

namespace bfm::net {

enum class job_endpoint { collection, job, targets, cancel, events };

struct job_route_match {
    job_endpoint endpoint;
    std::string_view id;  // empty for the collection
};

std::optional<job_route_match> match_job_route(std::string_view path);

// Whether `method` is served on the endpoint, and the Allow header value listing those that are.
bool job_method_allowed(job_endpoint endpoint, boost::beast::http::verb method);
std::string_view job_allowed_methods(job_endpoint endpoint);

// The role an allowed method needs (the role matrix): reads viewer, submit and cancel operator
// (a submitted job's kind may need more, see route_roles.hpp).
role job_required_role(job_endpoint endpoint, boost::beast::http::verb method);

}  // namespace bfm::net
