#include "net/route_template.hpp"

#include <array>

namespace bfm::net {

namespace {

constexpr std::string_view jobs = "/api/v1/jobs/";
constexpr std::string_view migrations = "/api/v1/migrations/";

// Second segments of /api/v1/migrations/... that are not an ID.
constexpr std::array<std::string_view, 9> fixed_migration_paths = {
    "up",      "down",   "plan",   "order-batch", "reindex", "executions/recent", "skipped/recent",
    "baseline", "repair"};
// Actions after an ID.
constexpr std::array<std::string_view, 10> actions = {
    "targets", "cancel",   "events",   "status", "applied", "history", "executions",
    "skipped", "rollback", "force"};

template <std::size_t N>
bool is_one_of(std::string_view word, const std::array<std::string_view, N>& words) {
    for (std::string_view w : words) {
        if (w == word) return true;
    }
    return false;
}

// `{prefix}{id}` or `{prefix}{id}/{action}`.
std::string with_id(std::string_view prefix, std::string_view rest) {
    const std::size_t slash = rest.find('/');
    std::string out = std::string(prefix) + "{id}";
    if (slash == std::string_view::npos) return out;
    const std::string_view action = rest.substr(slash + 1);
    out += '/';
    out += is_one_of(action, actions) ? std::string(action) : std::string("{other}");
    return out;
}

}  // namespace

std::string route_template(std::string_view path) {
    if (path.substr(0, jobs.size()) == jobs && path.size() > jobs.size()) {
        return with_id(jobs, path.substr(jobs.size()));
    }
    if (path.substr(0, migrations.size()) == migrations && path.size() > migrations.size()) {
        const std::string_view rest = path.substr(migrations.size());
        if (is_one_of(rest, fixed_migration_paths)) return std::string(path);
        return with_id(migrations, rest);
    }
    return std::string(path);
}

}  // namespace bfm::net
