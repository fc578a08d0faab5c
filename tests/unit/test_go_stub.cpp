// Convention D `.go` stubs read with the tokenizer: fields, forms, and every refusal.

#include <gtest/gtest.h>

#include <cctype>

#include "core/go_stub_parser.hpp"

namespace bfm::core {
namespace {

const std::string stub_file = "postgresql/core/20250115000000_bootstrap_solution.go";

std::string describe(const go_stub_parse& p) {
    std::string out;
    for (const load_error& e : p.errors) out += "\n  " + e.to_string();
    return out;
}

// The shape upstream's generator writes, with the fields gofmt-aligned.
std::string stub(const std::string& fields) {
    return "//go:build ignore\n"                                                  // 1
           "\n"                                                                   // 2
           "package core\n"                                                       // 3
           "\n"                                                                   // 4
           "import (\n"                                                           // 5
           "\t_ \"embed\"\n"                                                      // 6
           "\n"                                                                   // 7
           "\t\"github.com/toolsascode/bfm/api/migrations\"\n"                    // 8
           ")\n"                                                                  // 9
           "\n"                                                                   // 10
           "//go:embed 20250115000000_bootstrap_solution.up.sql\n"                // 11
           "var upSQL string\n"                                                   // 12
           "\n"                                                                   // 13
           "func init() {\n"                                                      // 14
           "\tmigrations.GlobalRegistry.Register(&migrations.MigrationScript{\n"  // 15
           + fields                                                               // 16...
           + "\t})\n}\n";
}

TEST(GoStub, GofmtAlignedDynamicSchemaStaysDynamicBesideAStructuredSchema) {
    // Upstream's regex read this stub as fixed schema "core" (§4.3).
    const auto p = parse_go_stub(
        stub("\t\tSchema:                 \"\", // Dynamic\n"          // 16
             "\t\tVersion:                \"20250115000000\",\n"       // 17
             "\t\tName:                   \"bootstrap_solution\",\n"   // 18
             "\t\tUpSQL:                  upSQL,\n"                    // 19
             "\t\tDependencies:           []string{},\n"               // 20
             "\t\tStructuredDependencies: []migrations.Dependency{\n"  // 21
             "\t\t\t{Connection: \"core\", Schema: \"core\", Target: \"create_orgs\", "
             "TargetType: \"name\"},\n"  // 22
             "\t\t},\n"
             "\t\tTags: []string{},\n"),
        stub_file, "postgresql");
    ASSERT_TRUE(p.errors.empty()) << describe(p);
    EXPECT_TRUE(p.metadata.schema_declared);
    EXPECT_EQ(p.metadata.schema, "");
    EXPECT_EQ(p.metadata.schema_line, 16);
    ASSERT_EQ(p.metadata.dependencies.size(), 1u);
    const dependency& d = p.metadata.dependencies[0];
    EXPECT_EQ(d.connection, "core");
    EXPECT_EQ(d.schema, "core");
    EXPECT_EQ(d.target, "create_orgs");
    EXPECT_EQ(d.target_type, dependency::kind::name);
    EXPECT_EQ(d.line, 22);
    EXPECT_EQ(d.source_file, stub_file);
}

TEST(GoStub, ReadsEveryFieldAndForm) {
    const auto p = parse_go_stub(
        stub("\t\tSchema: `core`,\n"                                            // 16
             "\t\tDependencies: []string{\"a\", \"b\",\n"                       // 17
             "\t\t\t\"c\", // trailing comment with \"quotes\" and {braces}\n"  // 18
             "\t\t},\n"                                                         // 19
             "\t\tStructuredDependencies: []backends.Dependency{\n"             // 20
             "\t\t\t&backends.Dependency{Target: \"20250101000000\", TargetType: "
             "\"version\", RequiresTable: \"orgs\", RequiresSchema: \"core\"},\n"  // 21
             "\t\t\tmigrations.Dependency{\n"                                      // 22
             "\t\t\t\tConnection: \"logs\",\n"
             "\t\t\t\tTarget:     \"streams\",\n"
             "\t\t\t},\n"
             "\t\t},\n"
             "\t\tTags: []string{\"Tier=gold\", \"expr=a=b\"},\n"  // 27
             "\t\tDownSQL: func() string { return \"}\" }(),\n"
             "\t\tMeta: map[string]interface{}{\"k\": 1},\n"),
        stub_file, "postgresql");
    ASSERT_TRUE(p.errors.empty()) << describe(p);
    EXPECT_EQ(p.metadata.schema, "core");
    EXPECT_EQ(p.metadata.file, stub_file);
    ASSERT_EQ(p.metadata.dependencies.size(), 5u);
    EXPECT_EQ(p.metadata.dependencies[0].target, "a");
    EXPECT_EQ(p.metadata.dependencies[0].connection, "");
    EXPECT_EQ(p.metadata.dependencies[0].line, 17);
    EXPECT_EQ(p.metadata.dependencies[2].target, "c");
    EXPECT_EQ(p.metadata.dependencies[2].line, 18);
    const dependency& by_version = p.metadata.dependencies[3];
    EXPECT_EQ(by_version.target, "20250101000000");
    EXPECT_EQ(by_version.target_type, dependency::kind::version);
    EXPECT_EQ(by_version.requires_table, "orgs");
    EXPECT_EQ(by_version.requires_schema, "core");
    EXPECT_EQ(by_version.line, 21);
    EXPECT_EQ(p.metadata.dependencies[4].connection, "logs");
    EXPECT_EQ(p.metadata.dependencies[4].target, "streams");
    EXPECT_EQ(p.metadata.dependencies[4].line, 22);
    ASSERT_EQ(p.metadata.tags.size(), 2u);
    EXPECT_EQ(p.metadata.tags[0].value, (tag{"tier", "gold"}));
    EXPECT_EQ(p.metadata.tags[0].line, 27);
    EXPECT_EQ(p.metadata.tags[1].value, (tag{"expr", "a=b"}));
}

TEST(GoStub, AbsentFieldsDeclareNothingAndNilIsEmpty) {
    const auto p = parse_go_stub(
        "package x\nvar s = backends.MigrationScript{Version: \"1\", Dependencies: nil, Tags: "
        "nil}\n",
        stub_file, "postgresql");
    ASSERT_TRUE(p.errors.empty()) << describe(p);
    EXPECT_FALSE(p.metadata.schema_declared);
    EXPECT_TRUE(p.metadata.dependencies.empty());
    EXPECT_TRUE(p.metadata.tags.empty());
}

TEST(GoStub, MigrationScriptInCommentsAndStringsIsNotTheLiteral) {
    const auto p = parse_go_stub(
        "package x\n"
        "// migrations.MigrationScript{Schema: \"wrong\"}\n"
        "var doc = \"MigrationScript{Schema: \\\"wrong\\\"}\"\n"
        "/* MigrationScript{ */\n"
        "var s = MigrationScript{Schema: \"right\"}\n",
        stub_file, "postgresql");
    ASSERT_TRUE(p.errors.empty()) << describe(p);
    EXPECT_EQ(p.metadata.schema, "right");
    EXPECT_EQ(p.metadata.schema_line, 5);
}

TEST(GoStub, EtcdSchemaMayBeAnAbsoluteKeyPrefix) {
    const auto p = parse_go_stub(
        "package metadata\nvar s = migrations.MigrationScript{Schema: \"/metadata/operations\"}",
        "etcd/metadata/20250115000000_seed_feature_flags.go", "etcd");
    ASSERT_TRUE(p.errors.empty()) << describe(p);
    EXPECT_EQ(p.metadata.schema, "/metadata/operations");
    const auto sql = parse_go_stub(
        "package core\nvar s = migrations.MigrationScript{Schema: \"/metadata/operations\"}",
        stub_file, "postgresql");
    ASSERT_EQ(sql.errors.size(), 1u) << describe(sql);
    EXPECT_NE(sql.errors[0].message.find("Schema"), std::string::npos);
}

struct stub_error_case {
    const char* label;
    std::string fields;  // starting at line 16
    int line;
    std::string contains;
};

void PrintTo(const stub_error_case& c, std::ostream* os) {
    *os << c.label;
}

class GoStubError : public testing::TestWithParam<stub_error_case> {};

TEST_P(GoStubError, NamesTheFieldAndLine) {
    const auto p = parse_go_stub(stub(GetParam().fields), stub_file, "postgresql");
    ASSERT_EQ(p.errors.size(), 1u) << describe(p);
    EXPECT_EQ(p.errors[0].file, stub_file);
    EXPECT_EQ(p.errors[0].line, GetParam().line) << describe(p);
    EXPECT_NE(p.errors[0].message.find(GetParam().contains), std::string::npos)
        << p.errors[0].message;
}

INSTANTIATE_TEST_SUITE_P(
    GoStub, GoStubError,
    testing::Values(
        stub_error_case{"schema from a constant", "\t\tVersion: \"1\",\n\t\tSchema: coreSchema,\n",
                        17, "Schema must be a string literal, found identifier coreSchema"},
        stub_error_case{"schema from a qualified constant", "\t\tSchema: consts.Core,\n", 16,
                        "identifier consts.Core"},
        stub_error_case{"schema from a call", "\t\tSchema: schemaFor(\"core\"),\n", 16,
                        "function call schemaFor(...)"},
        stub_error_case{"schema concatenated", "\t\tSchema: \"co\" + \"re\",\n", 16,
                        "Schema must be a string literal"},
        stub_error_case{"invalid schema name", "\t\tSchema: \"core; drop\",\n", 16, "schema name"},
        stub_error_case{"dependencies from a variable", "\t\tDependencies: deps,\n", 16,
                        "Dependencies must be a slice literal"},
        stub_error_case{"dependency entry not a string",
                        "\t\tDependencies: []string{\n\t\t\t\"a\",\n\t\t\tname,\n\t\t},\n", 18,
                        "each Dependencies entry must be a string literal"},
        stub_error_case{"dependency with a connection", "\t\tDependencies: []string{\"core:a\"},\n",
                        16, "StructuredDependencies"},
        stub_error_case{"structured without target",
                        "\t\tStructuredDependencies: []migrations.Dependency{\n"
                        "\t\t\t{Connection: \"core\"},\n\t\t},\n",
                        17, "non-empty Target"},
        stub_error_case{"structured unknown field",
                        "\t\tStructuredDependencies: []migrations.Dependency{\n"
                        "\t\t\t{Target: \"a\",\n\t\t\tOptional: \"yes\"},\n\t\t},\n",
                        18, "unknown Dependency field Optional"},
        stub_error_case{"structured field from a constant",
                        "\t\tStructuredDependencies: []migrations.Dependency{\n"
                        "\t\t\t{Target: targetName},\n\t\t},\n",
                        17, "Dependency field Target must be a string literal"},
        stub_error_case{"structured bad target type",
                        "\t\tStructuredDependencies: []migrations.Dependency{\n"
                        "\t\t\t{Target: \"a\", TargetType: \"id\"},\n\t\t},\n",
                        17, "TargetType must be"},
        stub_error_case{"structured version not digits",
                        "\t\tStructuredDependencies: []migrations.Dependency{\n"
                        "\t\t\t{Target: \"v1\", TargetType: \"version\"},\n\t\t},\n",
                        17, "must be digits"},
        stub_error_case{"structured entry not a literal",
                        "\t\tStructuredDependencies: []migrations.Dependency{\n"
                        "\t\t\tcoreDep,\n\t\t},\n",
                        17, "must be a literal"},
        stub_error_case{"tags malformed", "\t\tTags: []string{\"a=1\",\n\t\t\t\"gold\"},\n", 17,
                        "Tags: tag \"gold\" must be key=value"},
        stub_error_case{"tags duplicate key", "\t\tTags: []string{\"a=1\",\n\t\t\t\"A=2\"},\n", 17,
                        "one value per tag key"},
        stub_error_case{"tags from a function", "\t\tTags: defaultTags(),\n", 16,
                        "Tags must be a slice literal"},
        stub_error_case{"field twice", "\t\tSchema: \"a\",\n\t\tSchema: \"b\",\n", 17, "set twice"},
        stub_error_case{"missing comma", "\t\tSchema: \"a\"\n\t\tVersion: \"1\",\n", 17,
                        "expected ',' or '}'"}),
    [](const auto& p) {
        std::string name = p.param.label;
        for (char& c : name) {
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        }
        return name;
    });

TEST(GoStub, FileWithoutALiteralIsAnError) {
    const auto p = parse_go_stub("package core\n\nfunc helper() {}\n", stub_file, "postgresql");
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_EQ(p.errors[0].line, 0);
    EXPECT_NE(p.errors[0].message.find("no MigrationScript composite literal"), std::string::npos);
}

TEST(GoStub, TwoLiteralsAndSlicesAreRefused) {
    const auto two =
        parse_go_stub("package core\nvar a = MigrationScript{}\nvar b = MigrationScript{}\n",
                      stub_file, "postgresql");
    ASSERT_EQ(two.errors.size(), 1u);
    EXPECT_EQ(two.errors[0].line, 3);
    const auto slice =
        parse_go_stub("package core\nvar a = []MigrationScript{{}}\n", stub_file, "postgresql");
    ASSERT_EQ(slice.errors.size(), 1u);
    EXPECT_NE(slice.errors[0].message.find("slice"), std::string::npos);
}

TEST(GoStub, PositionalFieldsAndBrokenSourceAreErrors) {
    const auto positional = parse_go_stub(
        "package core\nvar a = MigrationScript{\n\"core\", \"1\"}\n", stub_file, "postgresql");
    ASSERT_EQ(positional.errors.size(), 1u);
    EXPECT_EQ(positional.errors[0].line, 3);
    EXPECT_NE(positional.errors[0].message.find("must be named"), std::string::npos);

    const auto broken = parse_go_stub("package core\nvar a = MigrationScript{Schema: \"core}\n",
                                      stub_file, "postgresql");
    ASSERT_EQ(broken.errors.size(), 1u);
    EXPECT_EQ(broken.errors[0].line, 2);
    EXPECT_NE(broken.errors[0].message.find("not valid Go"), std::string::npos);

    const auto truncated = parse_go_stub(
        "package core\nfunc init() {\n\tRegister(&migrations.MigrationScript{\n\t\tSchema: \"\",\n",
        stub_file, "postgresql");
    ASSERT_EQ(truncated.errors.size(), 1u);
    EXPECT_NE(truncated.errors[0].message.find("ends inside"), std::string::npos);
}

TEST(GoStub, HostileNestingIsAnErrorNotACrash) {
    const std::string braces(100000, '{');
    const auto deep = parse_go_stub("package x\nvar s = MigrationScript{Tags: " + braces + "\n",
                                    stub_file, "postgresql");
    ASSERT_EQ(deep.errors.size(), 1u) << describe(deep);
    EXPECT_NE(deep.errors[0].message.find("nested too deeply"), std::string::npos)
        << deep.errors[0].message;

    std::string ands;
    for (int i = 0; i < 50000; ++i) ands += "& ";
    const auto addresses = parse_go_stub(
        "package x\nvar s = MigrationScript{Schema: " + ands + "x}\n", stub_file, "postgresql");
    ASSERT_EQ(addresses.errors.size(), 1u) << describe(addresses);
    EXPECT_NE(addresses.errors[0].message.find("Schema must be a string literal"),
              std::string::npos);
}

}  // namespace
}  // namespace bfm::core
