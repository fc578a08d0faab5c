#pragma once
// A JSON value as block-style YAML. Every string (keys included) is double-quoted with JSON's
// escapes, which YAML's double-quoted style reads the same way, so no scalar can be mistaken
// for a number, boolean, null or anchor. Empty objects and arrays are written as {} and [].

#include <boost/json/value.hpp>
#include <string>

namespace bfm::net {

std::string to_yaml(const boost::json::value& value);

}  // namespace bfm::net
