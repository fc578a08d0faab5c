#pragma once
// Query strings of the per-migration read endpoints (pure): which parameters an endpoint takes,
// checked values, and client errors naming the parameter (unknown, repeated or malformed).

#include <boost/url/params_view.hpp>
#include <optional>

#include "core/migration_reads.hpp"
#include "net/list_query_params.hpp"

namespace bfm::net {

// Parameter groups, combined with |.
enum read_params : unsigned {
    target_params = 1,  // schema, connection
    page_params = 2,    // limit (1-1000, default 100), offset
    action_param = 4,   // action: up|down|rollback|baseline|force|repair|skip|reconcile
};

struct read_query_result {
    std::optional<core::read_query> query;
    std::optional<query_error> error;
};

read_query_result parse_read_query(const boost::urls::params_view& params, unsigned accepted);

}  // namespace bfm::net
