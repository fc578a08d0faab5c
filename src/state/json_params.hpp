#pragma once
// Lists as one bound JSON parameter: `x IN (SELECT jsonb_array_elements_text($1::jsonb))` keeps
// every value a bound parameter, however many there are. Where an index on x should be used,
// write `x = ANY(ARRAY(SELECT jsonb_array_elements_text($1::jsonb)))`: the planner guesses 100
// rows for the IN form and prefers a hash join over a full scan (15 ms for one schema among
// 120,000 state rows, against 0.09 ms through the index).

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <string>
#include <vector>

namespace bfm::state {

inline std::string json_array(const std::vector<std::string>& values) {
    boost::json::array array;
    array.reserve(values.size());
    for (const auto& v : values) array.emplace_back(v);
    return boost::json::serialize(array);
}

// Timestamps as the API shows them: RFC 3339, UTC, milliseconds ('' when NULL).
inline std::string sql_rfc3339(const std::string& column) {
    return "coalesce(to_char(" + column
           + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '')";
}

}  // namespace bfm::state
