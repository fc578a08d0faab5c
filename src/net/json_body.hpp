#pragma once
// Small strict readers for JSON request bodies of the simpler endpoints.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/json_response.hpp"

namespace bfm::net {

struct json_object_result {
    boost::json::object object;
    std::optional<json_reply> error;  // 400 malformed_json / invalid_body
};

json_object_result parse_json_object(std::string_view body);

// nullopt when read; a 400 reply naming `field` when the type is wrong (null counts as absent).
std::optional<json_reply> read_string(const boost::json::value& v, std::string_view field,
                                      std::string& out);
std::optional<json_reply> read_string_list(const boost::json::value& v, std::string_view field,
                                           std::vector<std::string>& out);

}  // namespace bfm::net
