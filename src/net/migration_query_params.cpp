#include "net/migration_query_params.hpp"

#include <algorithm>
#include <array>
#include <boost/url/param.hpp>
#include <set>

#include "core/schema_name.hpp"
#include "net/json_response.hpp"

namespace bfm::net {

namespace {

constexpr std::array<std::string_view, 8> actions = {"up",    "down",   "rollback", "baseline",
                                                     "force", "repair", "skip",     "reconcile"};

bool has_control_character(std::string_view text) {
    return std::any_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// Reads one parameter into `q`; an error when the value is bad or the endpoint does not take it.
std::optional<query_error> read_one(std::string_view name, const std::string& value,
                                    unsigned accepted, core::read_query& q) {
    if ((accepted & target_params) != 0 && name == "schema") {
        if (auto problem = core::validate_schema_name(value)) {
            return invalid_parameter(name, "query parameter \"schema\": " + *problem);
        }
        q.schema = value;
    } else if ((accepted & target_params) != 0 && name == "connection") {
        if (value.empty() || value.size() > 128 || has_control_character(value)) {
            return invalid_parameter(name,
                                     "query parameter \"connection\" must be a connection name "
                                     "(1-128 printable characters)");
        }
        q.connection = value;
    } else if ((accepted & page_params) != 0 && (name == "limit" || name == "offset")) {
        if (auto error = read_page_param(name, value, q.limit, q.offset)) return error;
    } else if ((accepted & action_param) != 0 && name == "action") {
        if (std::find(actions.begin(), actions.end(), value) == actions.end()) {
            return invalid_parameter(
                name,
                "query parameter \"action\" must be one of up, down, rollback, "
                "baseline, force, repair, skip, reconcile");
        }
        q.action = value;
    } else {
        const std::string shown = truncate_for_message(name, 64);
        return query_error{"unknown_parameter", "unknown query parameter \"" + shown + "\"", shown};
    }
    return std::nullopt;
}

}  // namespace

read_query_result parse_read_query(const boost::urls::params_view& params, unsigned accepted) {
    core::read_query q;
    std::set<std::string, std::less<>> seen;
    for (const boost::urls::param& p : params) {
        if (!seen.insert(p.key).second) {
            const std::string shown = truncate_for_message(p.key, 64);
            return {
                std::nullopt,
                query_error{"duplicate_parameter",
                            "query parameter \"" + shown + "\" is given more than once", shown}};
        }
        if (auto e = read_one(p.key, p.value, accepted, q)) return {std::nullopt, std::move(e)};
    }
    return {std::move(q), std::nullopt};
}

}  // namespace bfm::net
