#include "net/target_query_params.hpp"

#include <boost/url/param.hpp>
#include <set>

#include "core/schema_name.hpp"
#include "net/json_response.hpp"

namespace bfm::net {

namespace {

// A schema filter: a schema name, or a prefix of one followed by '*'.
bool valid_schema_filter(std::string_view text) {
    if (!text.empty() && text.back() == '*') {
        text.remove_suffix(1);
        if (text.empty()) return true;  // "*": every schema
    }
    return !core::validate_schema_name(text).has_value();
}

}  // namespace

target_query_result parse_target_query(const boost::urls::params_view& params) {
    core::target_query query;
    std::set<std::string, std::less<>> seen;
    for (const boost::urls::param& p : params) {
        const std::string_view name = p.key;
        const std::string& value = p.value;
        const std::string shown = truncate_for_message(name, 64);
        if (!seen.insert(p.key).second) {
            return {
                std::nullopt,
                query_error{"duplicate_parameter",
                            "query parameter \"" + shown + "\" is given more than once", shown}};
        }
        if (name == "connection") {
            query.connection = value;
        } else if (name == "schema") {
            if (!valid_schema_filter(value)) {
                return {std::nullopt,
                        invalid_parameter(name,
                                          "query parameter \"schema\" must be a schema name, or a "
                                          "prefix of one followed by '*' (got \""
                                              + truncate_for_message(value, 64) + "\")")};
            }
            query.schema = value;
        } else if (name == "status") {
            if (value != "failed" && value != "pending" && value != "modified" && value != "ok") {
                return {std::nullopt,
                        invalid_parameter(name,
                                          "query parameter \"status\" must be one of failed, "
                                          "pending, modified, ok")};
            }
            query.status = value;
        } else if (name == "limit" || name == "offset") {
            if (auto error = read_page_param(name, value, query.limit, query.offset)) {
                return {std::nullopt, std::move(error)};
            }
        } else {
            return {std::nullopt, query_error{"unknown_parameter",
                                              "unknown query parameter \"" + shown + "\"", shown}};
        }
    }
    return {query, std::nullopt};
}

}  // namespace bfm::net
