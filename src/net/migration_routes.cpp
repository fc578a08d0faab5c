#include "net/migration_routes.hpp"

#include <array>
#include <boost/url/pct_string_view.hpp>

namespace bfm::net {

namespace http = boost::beast::http;

namespace {

constexpr std::string_view prefix = "/api/v1/migrations/";

struct migration_route {
    http::verb method;
    bool has_id;              // /api/v1/migrations/{id}/<suffix>; else /api/v1/migrations/<suffix>
    std::string_view suffix;  // "" with an ID: the migration itself
    migration_endpoint endpoint;
};

// Routes without an ID first: `executions/recent` is not the ID "executions".
constexpr std::array<migration_route, 8> routes = {{
    {http::verb::get, false, "executions/recent", migration_endpoint::recent_executions},
    {http::verb::get, false, "skipped/recent", migration_endpoint::recent_skipped},
    {http::verb::get, true, "", migration_endpoint::detail},
    {http::verb::get, true, "status", migration_endpoint::status},
    {http::verb::get, true, "applied", migration_endpoint::applied},
    {http::verb::get, true, "history", migration_endpoint::history},
    {http::verb::get, true, "executions", migration_endpoint::executions},
    {http::verb::get, true, "skipped", migration_endpoint::skipped},
}};

// The encoded ID segment and what follows it, for a path under the prefix.
struct split_path {
    std::string_view rest;    // everything after the prefix
    std::string_view id;      // first segment (encoded), never empty
    std::string_view suffix;  // after the ID's '/'; empty without one
    bool has_suffix = false;
};

std::optional<split_path> split(std::string_view path) {
    if (path.substr(0, prefix.size()) != prefix) return std::nullopt;
    split_path out;
    out.rest = path.substr(prefix.size());
    const std::size_t slash = out.rest.find('/');
    out.id = out.rest.substr(0, slash);
    if (out.id.empty()) return std::nullopt;
    if (slash != std::string_view::npos) {
        out.has_suffix = true;
        out.suffix = out.rest.substr(slash + 1);
    }
    return out;
}

bool path_matches(const migration_route& r, const split_path& p) {
    if (!r.has_id) return p.rest == r.suffix;
    if (r.suffix.empty()) return !p.has_suffix;
    return p.has_suffix && p.suffix == r.suffix;
}

}  // namespace

std::optional<std::string> decode_path_segment(std::string_view encoded) {
    auto checked = boost::urls::make_pct_string_view(encoded);
    if (!checked) return std::nullopt;
    return checked->decode();
}

std::optional<migration_route_match> match_migration_route(http::verb method,
                                                           std::string_view path) {
    const std::optional<split_path> p = split(path);
    if (!p) return std::nullopt;
    for (const migration_route& r : routes) {
        if (r.method != method || !path_matches(r, *p)) continue;
        if (!r.has_id) return migration_route_match{r.endpoint, {}};
        std::optional<std::string> id = decode_path_segment(p->id);
        if (!id || id->empty()) return std::nullopt;
        return migration_route_match{r.endpoint, std::move(*id)};
    }
    return std::nullopt;
}

std::string migration_allowed_methods(std::string_view path) {
    const std::optional<split_path> p = split(path);
    if (!p) return {};
    std::string allowed;
    for (const migration_route& r : routes) {
        if (!path_matches(r, *p)) continue;
        const std::string_view name = http::to_string(r.method);
        if (allowed.find(name) != std::string::npos) continue;
        if (!allowed.empty()) allowed += ", ";
        allowed += name;
    }
    return allowed;
}

}  // namespace bfm::net
