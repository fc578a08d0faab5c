#pragma once
// JSON files of an sfm tree (etcd operation scripts, `.meta.json` sidecars) parsed with
// Boost.JSON, plus what Boost.JSON does not keep: where things are. A syntax error gets its line
// and column; members of a parsed array or object get the line they start on, so a problem in
// element 3 of a script names its line.

#include <boost/json/value.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bfm::core {

struct json_source_parse {
    boost::json::value value;
    std::string error;  // empty on success: "JSON syntax error at line L, column C: ..."
    int error_line = 0;

    bool ok() const { return error.empty(); }
};

// Parses the whole text (a UTF-8 byte order mark is skipped); nothing may follow the document.
json_source_parse parse_json_source(std::string_view text);

// One direct member of an array or object inside a document that parsed.
struct json_member_location {
    std::string key;               // objects only: the decoded key
    int line = 0;                  // where the member starts (its key for objects)
    std::size_t value_offset = 0;  // where its value starts, for members of nested values
};

// Members of the array or object whose '[' or '{' is at `value_offset` (0 = the document's
// root value) in a text that parse_json_source accepted, in document order (duplicate keys
// included).
std::vector<json_member_location> locate_json_members(std::string_view text,
                                                      std::size_t value_offset = 0);

}  // namespace bfm::core
