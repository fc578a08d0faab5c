// registry::resolve: upstream's schema-specific IDs `{schema}_{id}` (SPEC 1.3), matched against
// the known IDs instead of split on '_' (the upstream tracker bug, reference §3.2).

#include <gtest/gtest.h>

#include <cctype>

#include "core/registry.hpp"

namespace bfm::core {
namespace {

migration make(std::string connection, std::string version, std::string name,
               std::string schema = "", std::string backend = "postgresql") {
    migration m;
    m.backend = std::move(backend);
    m.connection = std::move(connection);
    m.version = std::move(version);
    m.version_number = std::stoull(m.version);
    m.name = std::move(name);
    m.schema = std::move(schema);
    m.id = m.version + "_" + m.name + "_" + m.backend + "_" + m.connection;
    return m;
}

// A convention B migration: the ID is the file stem.
migration make_seed(std::string connection, std::string schema, std::string table,
                    std::string version, std::string name) {
    migration m = make(std::move(connection), std::move(version), std::move(name), schema);
    m.table = std::move(table);
    m.id = schema + "_" + m.table + "_" + m.version + "_" + m.name;
    return m;
}

registry sample() {
    return registry({
        make("core", "20250101000000", "create_users"),
        make("guard", "20250101000000", "create_users", "guard"),
        make("core", "20250102000000", "add_email"),
        make("logs", "20250103000000", "events", "", "etcd"),
        make_seed("core", "core", "regions", "20250101120000", "create_regions"),
        // Connections `eu` and `x_eu` make `{schema}_x_eu_...` ambiguous (see below).
        make("eu", "20250104000000", "t"),
        make("x_eu", "20250104000000", "t"),
        make("core", "7", "seq"),
        // `a_b_c_1_x` ends with the other seed ID `b_c_1_x`.
        make_seed("core", "a", "b_c", "1", "x"),
        make_seed("core", "b", "c", "1", "x"),
    });
}

struct resolve_case {
    const char* label;
    const char* input;
    const char* expected_id;  // nullptr: nothing resolves
    const char* expected_schema;
};

void PrintTo(const resolve_case& c, std::ostream* os) {
    *os << c.label << ": " << c.input;
}

class RegistryResolve : public testing::TestWithParam<resolve_case> {};

TEST_P(RegistryResolve, FindsTheMigrationAndTheSchema) {
    const registry r = sample();
    const resolve_case& c = GetParam();
    const registry::resolved_id got = r.resolve(c.input);
    if (c.expected_id == nullptr) {
        EXPECT_EQ(got.m, nullptr) << "resolved to " << (got.m ? got.m->id : "") << " schema "
                                  << got.schema;
        EXPECT_EQ(got.schema, "");
        return;
    }
    ASSERT_NE(got.m, nullptr) << c.input;
    EXPECT_EQ(got.m->id, c.expected_id);
    EXPECT_EQ(got.schema, c.expected_schema);
}

INSTANTIATE_TEST_SUITE_P(
    Registry, RegistryResolve,
    testing::Values(
        // Plain IDs and aliases resolve as find() does, without a schema.
        resolve_case{"canonical id", "20250102000000_add_email_postgresql_core",
                     "20250102000000_add_email_postgresql_core", ""},
        resolve_case{"short alias", "20250102000000_add_email",
                     "20250102000000_add_email_postgresql_core", ""},
        resolve_case{"connection alias", "guard_20250101000000_create_users",
                     "20250101000000_create_users_postgresql_guard", ""},
        resolve_case{"seed id", "core_regions_20250101120000_create_regions",
                     "core_regions_20250101120000_create_regions", ""},
        // {schema}_{canonical id}: schemas with and without underscores.
        resolve_case{"simple schema", "tenant_20250102000000_add_email_postgresql_core",
                     "20250102000000_add_email_postgresql_core", "tenant"},
        resolve_case{"schema with underscores",
                     "cli_dev_eu_20250102000000_add_email_postgresql_core",
                     "20250102000000_add_email_postgresql_core", "cli_dev_eu"},
        resolve_case{"schema ending in digits",
                     "tenant_123_20250101000000_create_users_postgresql_core",
                     "20250101000000_create_users_postgresql_core", "tenant_123"},
        // Upstream took everything from the first 14-digit part as the ID.
        resolve_case{"schema containing a 14-digit part",
                     "t_20991231235959_20250102000000_add_email_postgresql_core",
                     "20250102000000_add_email_postgresql_core", "t_20991231235959"},
        resolve_case{"schema that is a 14-digit version after an underscore",
                     "_20250101000000_20250103000000_events_etcd_logs",
                     "20250103000000_events_etcd_logs", "_20250101000000"},
        resolve_case{"schema with a leading underscore", "__x_7_seq_postgresql_core",
                     "7_seq_postgresql_core", "__x"},
        resolve_case{"schema that looks like a connection",
                     "guard_20250101000000_create_users_postgresql_core",
                     "20250101000000_create_users_postgresql_core", "guard"},
        // Also readable as schema `tenant_a_core_regions` with the short alias
        // `20250101120000_create_regions`: a canonical ID wins over an alias.
        resolve_case{"schema before a seed id",
                     "tenant_a_core_regions_20250101120000_create_regions",
                     "core_regions_20250101120000_create_regions", "tenant_a"},
        // Schema `s` with `a_b_c_1_x`, or schema `s_a` with `b_c_1_x`: both canonical IDs.
        resolve_case{"two canonical ids match", "s_a_b_c_1_x", nullptr, nullptr},
        resolve_case{"plain seed id that ends with another", "a_b_c_1_x", "a_b_c_1_x", ""},
        resolve_case{"schema before the shorter seed id", "s_b_c_1_x", "b_c_1_x", "s"},
        // {schema}_{alias}.
        resolve_case{"schema and short alias", "cli_dev_20250102000000_add_email",
                     "20250102000000_add_email_postgresql_core", "cli_dev"},
        resolve_case{"schema and connection alias", "cli_dev_guard_20250101000000_create_users",
                     "20250101000000_create_users_postgresql_guard", "cli_dev"},
        // Not resolvable.
        resolve_case{"unknown id", "tenant_20250101000000_nothing_postgresql_core", nullptr,
                     nullptr},
        resolve_case{"empty", "", nullptr, nullptr},
        resolve_case{"only an underscore", "_", nullptr, nullptr},
        resolve_case{"schema without id", "tenant_", nullptr, nullptr},
        resolve_case{"missing schema", "_20250102000000_add_email_postgresql_core", nullptr,
                     nullptr},
        resolve_case{"invalid schema (starts with a digit)",
                     "1tenant_20250102000000_add_email_postgresql_core", nullptr, nullptr},
        resolve_case{"invalid schema (dash)", "cli-dev_20250102000000_add_email_postgresql_core",
                     nullptr, nullptr},
        resolve_case{"invalid schema (too long)",
                     "s234567890123456789012345678901234567890123456789012345678901234_"
                     "20250102000000_add_email_postgresql_core",
                     nullptr, nullptr},
        // A short alias shared by two migrations stays ambiguous behind a schema.
        resolve_case{"schema and ambiguous short alias", "tenant_20250101000000_create_users",
                     nullptr, nullptr},
        // `s_x_eu_...`: schema `s` with the alias of the migration in connection `x_eu`, or
        // schema `s_x` with the alias of the one in `eu`. Two different migrations: refused.
        resolve_case{"two migrations match", "s_x_eu_20250104000000_t", nullptr, nullptr},
        // One migration, two schemas: `tenant` + `core_7_seq` or `tenant_core` + `7_seq`.
        resolve_case{"one migration for two schemas", "tenant_core_7_seq", nullptr, nullptr},
        resolve_case{"the canonical id settles it", "tenant_core_7_seq_postgresql_core",
                     "7_seq_postgresql_core", "tenant_core"},
        resolve_case{"canonical id of the x_eu migration", "s_x_20250104000000_t_postgresql_x_eu",
                     "20250104000000_t_postgresql_x_eu", "s_x"},
        // Everything before the ID is the schema.
        resolve_case{"whole prefix is the schema", "a_b_20250102000000_add_email_postgresql_core",
                     "20250102000000_add_email_postgresql_core", "a_b"},
        resolve_case{"schema and a rollback suffix",
                     "tenant_20250102000000_add_email_postgresql_core_rollback", nullptr, nullptr}),
    [](const auto& p) {
        std::string name = p.param.label;
        for (char& c : name) {
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        }
        return name;
    });

TEST(RegistryResolve, EmptyRegistryResolvesNothing) {
    const registry r;
    const registry::resolved_id got = r.resolve("tenant_20250102000000_add_email_postgresql_core");
    EXPECT_EQ(got.m, nullptr);
    EXPECT_EQ(got.schema, "");
}

TEST(RegistryResolve, PointsIntoTheRegistry) {
    const registry r = sample();
    const registry::resolved_id got = r.resolve("cli_dev_eu_7_seq_postgresql_core");
    ASSERT_NE(got.m, nullptr);
    EXPECT_EQ(got.m, r.find("7_seq_postgresql_core"));
    EXPECT_EQ(got.schema, "cli_dev_eu");
}

}  // namespace
}  // namespace bfm::core
