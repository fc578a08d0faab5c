#include "net/list_query_params.hpp"

#include <algorithm>
#include <array>
#include <boost/url/param.hpp>
#include <charconv>
#include <set>

#include "net/json_response.hpp"

namespace bfm::net {

namespace {

constexpr std::array<std::string_view, 5> statuses = {"pending", "applied", "failed", "rolled_back",
                                                      "missing"};

// Parses a whole decimal number; anything else (sign, spaces, overflow) is nullopt.
std::optional<std::size_t> parse_count(std::string_view text) {
    std::size_t value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
    return value;
}

}  // namespace

query_error invalid_parameter(std::string_view name, std::string message) {
    return {"invalid_parameter", std::move(message), std::string(name)};
}

std::optional<query_error> read_page_param(std::string_view name, std::string_view value,
                                           std::size_t& limit, std::size_t& offset) {
    const auto n = parse_count(value);
    if (name == "limit") {
        if (!n || *n < 1 || *n > max_list_limit) {
            return invalid_parameter(name, "query parameter \"limit\" must be an integer from 1 to "
                                               + std::to_string(max_list_limit));
        }
        limit = *n;
        return std::nullopt;
    }
    if (!n) return invalid_parameter(name, "query parameter \"offset\" must be an integer >= 0");
    offset = *n;
    return std::nullopt;
}

list_query_result parse_list_query(const boost::urls::params_view& params) {
    core::list_query q;
    std::set<std::string, std::less<>> seen;
    for (const boost::urls::param& p : params) {
        const std::string_view name = p.key;
        const std::string& value = p.value;
        if (!seen.insert(p.key).second) {
            return {std::nullopt, query_error{"duplicate_parameter",
                                              "query parameter \"" + truncate_for_message(name, 64)
                                                  + "\" is given more than once",
                                              truncate_for_message(name, 64)}};
        }
        if (name == "schema") {
            q.schema = value;
        } else if (name == "table") {
            q.table = value;
        } else if (name == "connection") {
            q.connection = value;
        } else if (name == "backend") {
            q.backend = value;
        } else if (name == "version") {
            q.version = value;
        } else if (name == "status") {
            if (std::find(statuses.begin(), statuses.end(), value) == statuses.end()) {
                return {
                    std::nullopt,
                    invalid_parameter(name,
                                      "query parameter \"status\" must be one of pending, applied, "
                                      "failed, rolled_back, missing")};
            }
            q.status = value;
        } else if (name == "limit" || name == "offset") {
            if (auto error = read_page_param(name, value, q.limit, q.offset)) {
                return {std::nullopt, std::move(error)};
            }
        } else {
            const std::string shown = truncate_for_message(name, 64);
            return {std::nullopt, query_error{"unknown_parameter",
                                              "unknown query parameter \"" + shown + "\"", shown}};
        }
    }
    return {std::move(q), std::nullopt};
}

}  // namespace bfm::net
