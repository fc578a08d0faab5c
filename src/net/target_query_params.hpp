#pragma once
// Query string of GET /api/v1/targets (pure): connection, schema (exact, or a prefix ending in
// '*'), status (failed|pending|modified|ok), limit (1-1000, default 100), offset. Unknown,
// repeated or malformed parameters are client errors naming the parameter.

#include <boost/url/params_view.hpp>
#include <optional>

#include "core/fleet_types.hpp"
#include "net/list_query_params.hpp"

namespace bfm::net {

struct target_query_result {
    std::optional<core::target_query> query;
    std::optional<query_error> error;
};

target_query_result parse_target_query(const boost::urls::params_view& params);

}  // namespace bfm::net
