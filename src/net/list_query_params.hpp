#pragma once
// GET /api/v1/migrations: query string -> core::list_query (pure). Unknown, repeated or
// malformed parameters are client errors naming the parameter.

#include <boost/url/params_view.hpp>
#include <optional>
#include <string>

#include "core/service.hpp"

namespace bfm::net {

struct query_error {
    std::string code;  // unknown_parameter, duplicate_parameter, invalid_parameter
    std::string message;
    std::string parameter;
};

struct list_query_result {
    std::optional<core::list_query> query;
    std::optional<query_error> error;
};

inline constexpr std::size_t max_list_limit = 1000;

list_query_result parse_list_query(const boost::urls::params_view& params);

}  // namespace bfm::net
