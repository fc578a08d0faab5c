#include "net/job_routes.hpp"

namespace bfm::net {

namespace http = boost::beast::http;

std::optional<job_route_match> match_job_route(std::string_view path) {
    constexpr std::string_view collection = "/api/v1/jobs";
    if (path.substr(0, collection.size()) != collection) return std::nullopt;
    std::string_view rest = path.substr(collection.size());
    if (rest.empty()) return job_route_match{job_endpoint::collection, {}};
    if (rest.front() != '/') return std::nullopt;
    rest.remove_prefix(1);
    const std::size_t slash = rest.find('/');
    const std::string_view id = rest.substr(0, slash);
    if (id.empty()) return std::nullopt;
    if (slash == std::string_view::npos) return job_route_match{job_endpoint::job, id};
    const std::string_view action = rest.substr(slash + 1);
    if (action == "targets") return job_route_match{job_endpoint::targets, id};
    if (action == "cancel") return job_route_match{job_endpoint::cancel, id};
    if (action == "events") return job_route_match{job_endpoint::events, id};
    return std::nullopt;
}

bool job_method_allowed(job_endpoint endpoint, http::verb method) {
    switch (endpoint) {
        case job_endpoint::collection:
            return method == http::verb::get || method == http::verb::post;
        case job_endpoint::cancel:
            return method == http::verb::post;
        case job_endpoint::job:
        case job_endpoint::targets:
        case job_endpoint::events:
            return method == http::verb::get;
    }
    return false;
}

role job_required_role(job_endpoint endpoint, http::verb method) {
    switch (endpoint) {
        case job_endpoint::collection:
            return method == http::verb::get ? role::viewer : role::operator_;
        case job_endpoint::cancel:
            return role::operator_;
        case job_endpoint::job:
        case job_endpoint::targets:
        case job_endpoint::events:
            return role::viewer;
    }
    return role::admin;
}

std::string_view job_allowed_methods(job_endpoint endpoint) {
    switch (endpoint) {
        case job_endpoint::collection:
            return "GET, POST";
        case job_endpoint::cancel:
            return "POST";
        case job_endpoint::job:
        case job_endpoint::targets:
        case job_endpoint::events:
            return "GET";
    }
    return "";
}

}  // namespace bfm::net
