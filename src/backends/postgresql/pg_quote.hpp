#pragma once
#include <string>
#include <string_view>

namespace bfm::pg {

// Double-quoted identifier with embedded quotes doubled: a"b -> "a""b". Callers still validate
// schema names first (SPEC 4); quoting is the second line of defence.
std::string quote_ident(std::string_view ident);

// Single-quoted string literal for the rare SQL that cannot take a bound parameter
// (SET LOCAL values): ' is doubled, and standard_conforming_strings is assumed on.
std::string quote_literal(std::string_view text);

}  // namespace bfm::pg
