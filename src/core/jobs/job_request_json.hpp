#pragma once
// A normalised job_request as JSON, stored with the job (bfm_jobs.request) so that any replica
// can run the job's targets, and after a restart the same request runs again.

#include <optional>
#include <string>

#include "core/job_request.hpp"

namespace bfm::core {

std::string job_request_to_json(const job_request& request);
// nullopt (and `error` set) when the stored text is not a request this version understands.
std::optional<job_request> job_request_from_json(std::string_view text, std::string& error);

}  // namespace bfm::core
