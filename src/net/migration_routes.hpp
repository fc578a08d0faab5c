#pragma once
// Paths of the per-migration endpoints (pure): /api/v1/migrations/{id}[/status|/applied|
// /history|/executions|/skipped] and the recent lists /api/v1/migrations/executions/recent and
// /api/v1/migrations/skipped/recent. The ID segment is percent-decoded (`%2F`, `%20`...) after
// the path is split, so an encoded '/' stays inside the ID.

#include <boost/beast/http/verb.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace bfm::net {

enum class migration_endpoint {
    detail,
    status,
    applied,
    history,
    executions,
    skipped,
    recent_executions,
    recent_skipped,
};

struct migration_route_match {
    migration_endpoint endpoint;
    std::string id;  // decoded; empty for the recent lists
};

// The route for this method and (still encoded) path; nullopt when there is none, so the
// router can try its other routes (e.g. a POST to a path this table serves with GET only).
std::optional<migration_route_match> match_migration_route(boost::beast::http::verb method,
                                                           std::string_view path);

// The Allow header value for a path of this table ("GET"); empty when the path is not one.
std::string migration_allowed_methods(std::string_view path);

// A percent-decoded path segment; nullopt when its encoding is malformed.
std::optional<std::string> decode_path_segment(std::string_view encoded);

}  // namespace bfm::net
