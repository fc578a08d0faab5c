#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace bfm::core {

// SPEC 4: a schema name must match ^[A-Za-z_][A-Za-z0-9_]{0,62}$. Returns an error message
// naming the value and the rule, or nullopt when the name is valid.
std::optional<std::string> validate_schema_name(std::string_view name);

}  // namespace bfm::core
