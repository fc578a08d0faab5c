#pragma once
// The route template of a request path, as the metrics label it (pure): IDs become `{id}` so a
// label never carries a raw ID and the number of series stays bounded.

#include <string>
#include <string_view>

namespace bfm::net {

// "/api/v1/jobs/0190.../targets" -> "/api/v1/jobs/{id}/targets",
// "/api/v1/migrations/abc/status" -> "/api/v1/migrations/{id}/status"; fixed paths are
// returned as they are. Paths no route knows should be labelled "unmatched" by the caller.
std::string route_template(std::string_view path);

}  // namespace bfm::net
