#include "core/template.hpp"

#include <array>
#include <optional>

#include "core/text.hpp"

// The template language is deliberately tiny (SPEC 1.4). An action is `{{`, optional spaces,
// `.Name`, optional spaces, `}}`, all on one line; Name is one of the five variables in any
// letter case. The only other action is the escape `{{"{{"}}`, which renders a literal `{{`
// (Go's text/template spells it the same way, so upstream scripts that used it keep working).
// A lone `}}` needs no escape: outside an action it is ordinary text.

namespace bfm::core {

namespace {

constexpr std::string_view open_delim = "{{";
constexpr std::string_view close_delim = "}}";
constexpr std::string_view escaped_open = "\"{{\"";

enum class variable { schema, connection, backend, version, environment };

struct variable_name {
    std::string_view lower;
    variable which;
};

constexpr std::array<variable_name, 5> variables{{
    {"schema", variable::schema},
    {"connection", variable::connection},
    {"backend", variable::backend},
    {"version", variable::version},
    {"environment", variable::environment},
}};

constexpr std::string_view known_list = ".Schema, .Connection, .Backend, .Version, .Environment";

bool is_identifier_start(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_identifier_char(char c) {
    return is_identifier_start(c) || (c >= '0' && c <= '9');
}

// `.Ident` (the text between the braces, already trimmed).
bool is_field_reference(std::string_view action) {
    if (action.size() < 2 || action.front() != '.' || !is_identifier_start(action[1])) {
        return false;
    }
    for (char c : action.substr(1)) {
        if (!is_identifier_char(c)) return false;
    }
    return true;
}

std::optional<variable> lookup(std::string_view action) {
    if (!is_field_reference(action)) return std::nullopt;
    const std::string lower = to_lower_ascii(action.substr(1));
    for (const variable_name& v : variables) {
        if (v.lower == lower) return v.which;
    }
    return std::nullopt;
}

const std::string& value_of(variable v, const template_values& values) {
    switch (v) {
        case variable::schema:
            return values.schema;
        case variable::connection:
            return values.connection;
        case variable::backend:
            return values.backend;
        case variable::version:
            return values.version;
        case variable::environment:
            return values.environment;
    }
    return values.schema;  // unreachable: every enumerator is handled above
}

// One `{{ ... }}` found in a script. `end` is one past the closing `}}`; npos when the
// action is not closed on its line.
struct action_span {
    std::size_t begin = 0;
    std::size_t end = std::string_view::npos;
    std::string_view content;  // between the braces, trimmed
};

// The next action at or after `from`, or nullopt when there is no further `{{`.
std::optional<action_span> next_action(std::string_view script, std::size_t from) {
    const std::size_t open = script.find(open_delim, from);
    if (open == std::string_view::npos) return std::nullopt;
    action_span span;
    span.begin = open;
    const std::size_t inner = open + open_delim.size();
    std::size_t line_end = script.find('\n', inner);
    if (line_end == std::string_view::npos) line_end = script.size();
    const std::size_t close = script.substr(0, line_end).find(close_delim, inner);
    if (close == std::string_view::npos) return span;
    span.end = close + close_delim.size();
    span.content = trim(script.substr(inner, close - inner));
    return span;
}

// Long or binary action text is shortened for the message.
std::string shown_action(std::string_view content) {
    constexpr std::size_t max_shown = 60;
    bool printable = content.size() <= max_shown;
    for (char c : content) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) printable = false;
    }
    if (printable) return "{{" + std::string(content) + "}}";
    return "{{" + quote_for_message(content) + "}}";
}

std::string problem_with(std::string_view content) {
    if (is_field_reference(content)) {
        return "unknown template variable " + shown_action(content)
               + " (known: " + std::string(known_list) + ")";
    }
    return "unsupported template action " + shown_action(content) + ": only the variables "
           + std::string(known_list)
           + " may appear between {{ and }}; write {{\"{{\"}} for a literal {{";
}

}  // namespace

std::vector<load_error> check_template(std::string_view script, const std::string& file) {
    std::vector<load_error> errors;
    int line = 1;
    std::size_t counted_to = 0;  // `line` is the line number of this offset
    std::size_t pos = 0;
    while (auto span = next_action(script, pos)) {
        for (std::size_t i = counted_to; i < span->begin; ++i) {
            if (script[i] == '\n') ++line;
        }
        counted_to = span->begin;
        if (span->end == std::string_view::npos) {
            errors.push_back({file, line,
                              "unclosed {{: a template action must end with }} on the same line; "
                              "write {{\"{{\"}} for a literal {{"});
            // Nothing on the rest of this line can be closed either; go on with the next one.
            const std::size_t line_end = script.find('\n', span->begin);
            if (line_end == std::string_view::npos) break;
            pos = line_end;
            continue;
        }
        if (span->content != escaped_open && !lookup(span->content)) {
            errors.push_back({file, line, problem_with(span->content)});
        }
        pos = span->end;
    }
    return errors;
}

std::string render_template(std::string_view script, const template_values& values) {
    std::string out;
    out.reserve(script.size());
    std::size_t pos = 0;
    while (auto span = next_action(script, pos)) {
        out.append(script.substr(pos, span->begin - pos));
        if (span->end == std::string_view::npos) {
            // Not a template action (check_template refuses it): copied as it is.
            out.append(open_delim);
            pos = span->begin + open_delim.size();
            continue;
        }
        if (span->content == escaped_open) {
            out.append(open_delim);
        } else if (auto v = lookup(span->content)) {
            out.append(value_of(*v, values));
        } else {
            out.append(script.substr(span->begin, span->end - span->begin));
        }
        pos = span->end;
    }
    out.append(script.substr(pos));
    return out;
}

}  // namespace bfm::core
