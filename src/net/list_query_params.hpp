#pragma once
// GET /api/v1/migrations: query string -> core::list_query (pure). Unknown, repeated or
// malformed parameters are client errors naming the parameter.

#include <boost/url/params_view.hpp>
#include <optional>
#include <string>
#include <string_view>

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

// An invalid_parameter error naming `name`.
query_error invalid_parameter(std::string_view name, std::string message);

// Reads the paging parameter `name` ("limit": 1..max_list_limit, or "offset": >= 0) into `limit`
// or `offset`; the error when the value is not such a number. Shared by every list endpoint.
std::optional<query_error> read_page_param(std::string_view name, std::string_view value,
                                           std::size_t& limit, std::size_t& offset);

list_query_result parse_list_query(const boost::urls::params_view& params);

}  // namespace bfm::net
