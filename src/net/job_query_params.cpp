#include "net/job_query_params.hpp"

#include <boost/url/param.hpp>
#include <cctype>
#include <set>

#include "net/json_response.hpp"

namespace bfm::net {

namespace {

// Reads status/limit/offset into `query`; `parse_status` maps the status text.
template <class Query, class ParseStatus>
std::optional<query_error> read_paged_query(const boost::urls::params_view& params,
                                            std::string_view status_names, ParseStatus parse_status,
                                            Query& query) {
    std::set<std::string, std::less<>> seen;
    for (const boost::urls::param& p : params) {
        const std::string_view name = p.key;
        const std::string& value = p.value;
        const std::string shown = truncate_for_message(name, 64);
        if (!seen.insert(p.key).second) {
            return query_error{"duplicate_parameter",
                               "query parameter \"" + shown + "\" is given more than once", shown};
        }
        if (name == "status") {
            auto status = parse_status(value);
            if (!status) {
                return invalid_parameter(
                    name, "query parameter \"status\" must be one of " + std::string(status_names));
            }
            query.status = *status;
        } else if (name == "limit" || name == "offset") {
            if (auto error = read_page_param(name, value, query.limit, query.offset)) return error;
        } else {
            return query_error{"unknown_parameter", "unknown query parameter \"" + shown + "\"",
                               shown};
        }
    }
    return std::nullopt;
}

}  // namespace

job_list_query_result parse_job_list_query(const boost::urls::params_view& params) {
    core::job_list_query query;
    if (auto e = read_paged_query(params, "queued, running, succeeded, failed, partial, cancelled",
                                  core::parse_job_status, query)) {
        return {std::nullopt, std::move(e)};
    }
    return {query, std::nullopt};
}

job_target_query_result parse_job_target_query(const boost::urls::params_view& params) {
    core::job_target_query query;
    if (auto e = read_paged_query(params, "queued, running, succeeded, failed, cancelled",
                                  core::parse_target_status, query)) {
        return {std::nullopt, std::move(e)};
    }
    return {query, std::nullopt};
}

std::optional<std::string> parse_job_id(std::string_view segment) {
    if (segment.size() != 36) return std::nullopt;
    std::string id(segment);
    for (std::size_t i = 0; i < id.size(); ++i) {
        const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
        const unsigned char c = static_cast<unsigned char>(id[i]);
        if (dash_position) {
            if (c != '-') return std::nullopt;
        } else if (std::isxdigit(c) == 0) {
            return std::nullopt;
        } else {
            id[i] = static_cast<char>(std::tolower(c));
        }
    }
    return id;
}

}  // namespace bfm::net
