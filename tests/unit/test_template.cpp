#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "core/template.hpp"

namespace bfm::core {
namespace {

template_values sample_values() {
    template_values v;
    v.schema = "cli_dev";
    v.connection = "core";
    v.backend = "postgresql";
    v.version = "20250101120000";
    v.environment = "dev";
    return v;
}

std::string messages(const std::vector<load_error>& errors) {
    std::string out;
    for (const load_error& e : errors) out += e.to_string() + "\n";
    return out;
}

// --- accepted scripts render as expected ------------------------------------------------

struct render_case {
    const char* label;
    const char* script;
    const char* rendered;
};

void PrintTo(const render_case& c, std::ostream* os) {
    *os << c.label;
}

class TemplateRender : public testing::TestWithParam<render_case> {};

TEST_P(TemplateRender, IsAcceptedAndRendersTheValues) {
    const render_case& c = GetParam();
    EXPECT_EQ(messages(check_template(c.script, "f.sql")), "") << c.script;
    EXPECT_EQ(render_template(c.script, sample_values()), c.rendered);
}

std::string test_name(const testing::TestParamInfo<render_case>& p) {
    std::string name = p.param.label;
    for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(
    Template, TemplateRender,
    testing::Values(
        render_case{"schema", "SET search_path = {{.Schema}};", "SET search_path = cli_dev;"},
        render_case{"connection", "-- {{.Connection}}", "-- core"},
        render_case{"backend", "-- {{.Backend}}", "-- postgresql"},
        render_case{"version", "SELECT '{{.Version}}';", "SELECT '20250101120000';"},
        render_case{"environment", "SELECT '{{.Environment}}';", "SELECT 'dev';"},
        render_case{"lower case", "{{.schema}}.t", "cli_dev.t"},
        render_case{"upper case", "{{.SCHEMA}}.t", "cli_dev.t"},
        render_case{"mixed case", "{{.cOnNeCtIoN}}/{{.ENVironment}}", "core/dev"},
        render_case{"spaces inside the braces", "{{ .Schema }}.t", "cli_dev.t"},
        render_case{"tabs and uneven spaces", "{{\t.Version   }}", "20250101120000"},
        render_case{"several per line",
                    "CREATE TABLE {{.Schema}}.t_{{.Environment}} (v text DEFAULT "
                    "'{{.Connection}}/{{.Backend}}/{{.Version}}');",
                    "CREATE TABLE cli_dev.t_dev (v text DEFAULT "
                    "'core/postgresql/20250101120000');"},
        render_case{"several lines", "A {{.Schema}}\nB {{.Connection}}\r\nC\n",
                    "A cli_dev\nB core\r\nC\n"},
        render_case{"no variables at all", "SELECT 1;\n-- nothing here\n",
                    "SELECT 1;\n-- nothing here\n"},
        render_case{"empty script", "", ""},
        render_case{"escape renders a literal {{", "SELECT '{{\"{{\"}} x }}';",
                    "SELECT '{{ x }}';"},
        render_case{"escape with spaces", "{{ \"{{\" }}.Schema}}", "{{.Schema}}"},
        render_case{"escape beside a variable", "{{\"{{\"}}{{.Schema}}}}", "{{cli_dev}}"},
        render_case{"single braces untouched", "SELECT '{a}', '{.Schema}', '}}' ;",
                    "SELECT '{a}', '{.Schema}', '}}' ;"},
        render_case{"spaced braces untouched", "SELECT '{ {.Schema} }', '{ { x } }';",
                    "SELECT '{ {.Schema} }', '{ { x } }';"},
        render_case{"JSON braces untouched", "SELECT '{\"a\": {\"b\": 1}}'::jsonb;",
                    "SELECT '{\"a\": {\"b\": 1}}'::jsonb;"},
        render_case{"closing braces after a variable", "{{.Schema}}}", "cli_dev}"},
        render_case{"multi-byte UTF-8 around",
                    "-- für {{.Schema}} → 日本語{{.Environment}}🙂\nSELECT 'ü';",
                    "-- für cli_dev → 日本語dev🙂\nSELECT 'ü';"}),
    test_name);

// --- refused scripts -----------------------------------------------------------------------

TEST(Template, UnknownVariableNamesFileLineAndTheKnownOnes) {
    const std::vector<load_error> errors =
        check_template("SELECT 1;\n\nSELECT '{{.Foo}}';\n", "postgresql/core/1_x.up.sql");
    ASSERT_EQ(errors.size(), 1u) << messages(errors);
    EXPECT_EQ(errors[0].file, "postgresql/core/1_x.up.sql");
    EXPECT_EQ(errors[0].line, 3);
    EXPECT_EQ(errors[0].message,
              "unknown template variable {{.Foo}} (known: .Schema, .Connection, .Backend, "
              ".Version, .Environment)");
}

TEST(Template, UnknownVariableIsShownWithoutItsSpaces) {
    const std::vector<load_error> errors = check_template("{{  .tenant }}", "f");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].line, 1);
    EXPECT_EQ(errors[0].message.rfind("unknown template variable {{.tenant}} (known: ", 0), 0u)
        << errors[0].message;
}

TEST(Template, UnclosedActionIsRefusedWithItsLine) {
    const std::vector<load_error> errors =
        check_template("SELECT 1;\nSELECT '{{.Schema';\nSELECT 2;\n", "f.sql");
    ASSERT_EQ(errors.size(), 1u) << messages(errors);
    EXPECT_EQ(errors[0].file, "f.sql");
    EXPECT_EQ(errors[0].line, 2);
    EXPECT_EQ(errors[0].message.rfind("unclosed {{", 0), 0u) << errors[0].message;
    EXPECT_NE(errors[0].message.find("{{\"{{\"}}"), std::string::npos) << errors[0].message;
}

TEST(Template, ActionMustCloseOnTheSameLine) {
    const std::vector<load_error> errors = check_template("{{.Schema\n}}", "f");
    ASSERT_EQ(errors.size(), 1u) << messages(errors);
    EXPECT_EQ(errors[0].line, 1);
    EXPECT_EQ(errors[0].message.rfind("unclosed {{", 0), 0u);
}

TEST(Template, UnclosedAtTheEndOfTheScript) {
    const std::vector<load_error> errors = check_template("a\nb {{", "f");
    ASSERT_EQ(errors.size(), 1u) << messages(errors);
    EXPECT_EQ(errors[0].line, 2);
}

struct refused_case {
    const char* script;
    const char* message_start;
};

void PrintTo(const refused_case& c, std::ostream* os) {
    *os << c.script;
}

class TemplateRefused : public testing::TestWithParam<refused_case> {};

TEST_P(TemplateRefused, WithOneErrorOnLineOne) {
    const std::vector<load_error> errors = check_template(GetParam().script, "f");
    ASSERT_EQ(errors.size(), 1u) << messages(errors);
    EXPECT_EQ(errors[0].line, 1);
    EXPECT_EQ(errors[0].message.rfind(GetParam().message_start, 0), 0u) << errors[0].message;
}

INSTANTIATE_TEST_SUITE_P(
    Template, TemplateRefused,
    testing::Values(
        refused_case{"{{}}", "unsupported template action {{}}"},
        refused_case{"{{   }}", "unsupported template action {{}}"},
        refused_case{"{{Schema}}", "unsupported template action {{Schema}}"},
        refused_case{"{{.}}", "unsupported template action {{.}}"},
        refused_case{"{{. Schema}}", "unsupported template action {{. Schema}}"},
        refused_case{"{{.Schema.Name}}", "unsupported template action {{.Schema.Name}}"},
        refused_case{"{{- .Schema -}}", "unsupported template action {{- .Schema -}}"},
        refused_case{"{{.Schema | printf}}", "unsupported template action {{.Schema | printf}}"},
        refused_case{"{{ range .Tags }}", "unsupported template action {{range .Tags}}"},
        refused_case{"{{.Dependencies}}", "unknown template variable {{.Dependencies}}"},
        refused_case{"{{.Schemas}}", "unknown template variable {{.Schemas}}"},
        refused_case{"{{.Schem}}", "unknown template variable {{.Schem}}"},
        refused_case{"{{.1}}", "unsupported template action {{.1}}"},
        // A literal {{ without the escape is refused, so typos never render silently.
        refused_case{"SELECT '{{{.Schema}}'", "unsupported template action {{{.Schema}}"},
        refused_case{"{{\"}}\"}}", "unsupported template action {{\"}}"},
        refused_case{"{{'{{'}}", "unsupported template action {{'{{'}}"},
        refused_case{"{{.Schema\x01}}", "unsupported template action {{\".Schema\\x01\"}}"}));

TEST(Template, EveryProblemIsReportedWithItsOwnLine) {
    const std::vector<load_error> errors = check_template(
        "{{.A}} {{.Schema}} {{.B}}\n"
        "ok {{.Version}}\n"
        "{{.C\n"
        "{{ .D }}",
        "x.sql");
    ASSERT_EQ(errors.size(), 4u) << messages(errors);
    EXPECT_EQ(errors[0].line, 1);
    EXPECT_NE(errors[0].message.find("{{.A}}"), std::string::npos);
    EXPECT_EQ(errors[1].line, 1);
    EXPECT_NE(errors[1].message.find("{{.B}}"), std::string::npos);
    EXPECT_EQ(errors[2].line, 3);
    EXPECT_EQ(errors[2].message.rfind("unclosed {{", 0), 0u);
    EXPECT_EQ(errors[3].line, 4);
    EXPECT_NE(errors[3].message.find("{{.D}}"), std::string::npos);
}

TEST(Template, UnclosedActionHidesNothingOnLaterLines) {
    const std::vector<load_error> errors = check_template("{{ {{ {{\n{{.X}}", "f");
    ASSERT_EQ(errors.size(), 2u) << messages(errors);
    EXPECT_EQ(errors[0].line, 1);
    EXPECT_EQ(errors[1].line, 2);
}

TEST(Template, LongActionTextIsShortenedInTheMessage) {
    const std::string script = "{{ " + std::string(500, 'x') + " }}";
    const std::vector<load_error> errors = check_template(script, "f");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_LT(errors[0].message.size(), 300u) << errors[0].message;
}

// --- rendering never rewrites what is not a variable -----------------------------------------

TEST(Template, RenderLeavesUncheckedTextAsItIs) {
    // render_template is only called on accepted scripts, but must stay harmless otherwise.
    EXPECT_EQ(render_template("a {{.Foo}} b {{ c", sample_values()), "a {{.Foo}} b {{ c");
    EXPECT_EQ(render_template("{{{{.Schema}}", sample_values()), "{{{{.Schema}}");
    EXPECT_EQ(render_template("{{\n.Schema}}", sample_values()), "{{\n.Schema}}");
}

TEST(Template, ValuesAreInsertedVerbatimAndNotRenderedAgain) {
    template_values v = sample_values();
    v.schema = "{{.Connection}}";
    EXPECT_EQ(render_template("{{.Schema}}", v), "{{.Connection}}");
    v.schema.clear();
    EXPECT_EQ(render_template("[{{.Schema}}]", v), "[]");
}

}  // namespace
}  // namespace bfm::core
