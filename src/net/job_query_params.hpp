#pragma once
// Query strings and path IDs of the job endpoints (pure). Unknown, repeated or malformed
// parameters are client errors naming the parameter, as for GET /api/v1/migrations.

#include <boost/url/params_view.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/jobs/job_types.hpp"
#include "net/list_query_params.hpp"

namespace bfm::net {

struct job_list_query_result {
    std::optional<core::job_list_query> query;
    std::optional<query_error> error;
};

struct job_target_query_result {
    std::optional<core::job_target_query> query;
    std::optional<query_error> error;
};

// GET /api/v1/jobs: status (job status), limit (1-1000, default 50), offset.
job_list_query_result parse_job_list_query(const boost::urls::params_view& params);

// GET /api/v1/jobs/{id}/targets: status (target status), limit (1-1000, default 100), offset.
job_target_query_result parse_job_target_query(const boost::urls::params_view& params);

// A job ID from the path: a UUID, 8-4-4-4-12 hex digits. Returned in lower case (as the
// service writes them); nullopt when it is not a UUID.
std::optional<std::string> parse_job_id(std::string_view segment);

}  // namespace bfm::net
