#pragma once
// The OpenAPI 3 document (docs/openapi.json, compiled in at build time: cmake/embed_text.cmake)
// and its YAML rendering, both served by GET /api/v1/openapi.json and /api/v1/openapi.yaml.

#include <string>
#include <string_view>

namespace bfm::net {

// docs/openapi.json, byte for byte (generated source).
std::string_view openapi_json_text();

// The same document as YAML (to_yaml), rendered on first use.
const std::string& openapi_yaml_text();

}  // namespace bfm::net
