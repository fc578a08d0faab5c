#pragma once
// Reads back the YAML subset that bfm::net::to_yaml writes (block mappings and sequences,
// two-space indentation, double-quoted keys, scalars and {} / [] in JSON syntax) into a JSON
// value. Anything outside the subset, an unquoted string included, is an error: the test that
// uses it proves the served YAML is both parseable and unambiguous. No YAML library is needed.

#include <boost/json/value.hpp>
#include <string_view>

namespace bfm::test {

// Throws std::runtime_error naming the line when `text` is not in the subset.
boost::json::value read_yaml_subset(std::string_view text);

}  // namespace bfm::test
