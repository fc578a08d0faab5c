// Templates (SPEC 1.4): check_template on any text; render_template on what it accepts.
// Invariants: rendering never crashes; text without `{{` renders to itself; an accepted script
// rendered with values that contain no braces has no `{{` left unless the script escaped one.

#include <string>
#include <string_view>

#include "core/template.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view script(reinterpret_cast<const char*>(data), size);
    const std::vector<bfm::core::load_error> errors = bfm::core::check_template(script, "f.sql");
    for (const bfm::core::load_error& e : errors) {
        if (e.line < 1 || e.message.empty())
            bfm::fuzz::invariant_failed("bad error", e.to_string());
    }
    bfm::core::template_values values;
    values.schema = "cli_dev";
    values.connection = "core";
    values.backend = "postgresql";
    values.version = "20250101120000";
    values.environment = "dev";

    const bool has_open = script.find("{{") != std::string_view::npos;
    if (!has_open && !errors.empty()) {
        bfm::fuzz::invariant_failed("refused a script without {{");
    }
    if (!errors.empty()) return 0;
    const std::string rendered = bfm::core::render_template(script, values);
    if (!has_open && rendered != script) {
        bfm::fuzz::invariant_failed("text without {{ changed by rendering");
    }
    if (rendered.find("{{") != std::string::npos
        && script.find("\"{{\"") == std::string_view::npos) {
        bfm::fuzz::invariant_failed("accepted script left {{ after rendering");
    }
    return 0;
}
