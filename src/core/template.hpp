#pragma once
// Script templates (SPEC 1.4): {{.Schema}}, {{.Connection}}, {{.Backend}}, {{.Version}},
// {{.Environment}}, names case-insensitive, spaces allowed inside the braces ({{ .Schema }}).
// Anything else between {{ and }} is refused when the migration is loaded, never rendered as
// "<no value>" at run time. Rendering is the same on every path (up, down, dry-run, plan).

#include <string>
#include <string_view>
#include <vector>

#include "core/load_error.hpp"

namespace bfm::core {

struct template_values {
    std::string schema;       // the run schema (validated before it gets here)
    std::string connection;
    std::string backend;
    std::string version;
    std::string environment;  // request environment, or the schema minus the tenant prefix
};

// Problems in a script's template syntax: unknown variables, an unclosed {{, anything but a
// variable inside {{ }}. Each names `file` and the 1-based line.
std::vector<load_error> check_template(std::string_view script, const std::string& file);

// Substitutes the variables. Only call on scripts check_template accepted; text outside {{ }}
// is copied unchanged.
std::string render_template(std::string_view script, const template_values& values);

}  // namespace bfm::core
