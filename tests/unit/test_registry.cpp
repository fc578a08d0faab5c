#include <gtest/gtest.h>

#include <cctype>

#include "core/registry.hpp"

namespace bfm::core {
namespace {

migration make(std::string connection, std::string version, std::string name,
               std::string schema = "", std::string table = "",
               std::string backend = "postgresql") {
    migration m;
    m.backend = std::move(backend);
    m.connection = std::move(connection);
    m.version = std::move(version);
    m.version_number = std::stoull(m.version);
    m.name = std::move(name);
    m.schema = std::move(schema);
    m.table = std::move(table);
    m.id = m.version + "_" + m.name + "_" + m.backend + "_" + m.connection;
    return m;
}

std::vector<std::string> ids(const std::vector<const migration*>& ms) {
    std::vector<std::string> out;
    for (const migration* m : ms) out.push_back(m->id);
    return out;
}

registry sample() {
    return registry({
        make("core", "20250102000000", "add_email", "core", "users"),
        make("core", "20250101000000", "create_users", "core", "users"),
        make("guard", "20250101000000", "create_users", "guard", "users"),
        make("core", "20250103000000", "create_orgs", "", "orgs"),
        make("logs", "9", "first", "", "events", "etcd"),
        make("logs", "10", "second", "", "events", "etcd"),
    });
}

TEST(Registry, OrdersByNumericVersionThenId) {
    const registry r = sample();
    std::vector<std::string> order;
    for (const migration& m : r.all()) order.push_back(m.id);
    EXPECT_EQ(order, (std::vector<std::string>{
                         "9_first_etcd_logs",
                         "10_second_etcd_logs",
                         "20250101000000_create_users_postgresql_core",
                         "20250101000000_create_users_postgresql_guard",
                         "20250102000000_add_email_postgresql_core",
                         "20250103000000_create_orgs_postgresql_core",
                     }));
    EXPECT_EQ(r.size(), 6u);
}

struct find_case {
    const char* lookup;
    const char* expected_id;  // nullptr: no match
};

// gtest prints parameters of failed tests with this.
void PrintTo(const find_case& c, std::ostream* os) {
    *os << c.lookup;
}

class RegistryFind : public testing::TestWithParam<find_case> {};

TEST_P(RegistryFind, ResolvesIdsAndUnambiguousAliases) {
    const registry r = sample();
    const migration* m = r.find(GetParam().lookup);
    if (GetParam().expected_id == nullptr) {
        EXPECT_EQ(m, nullptr) << "found " << (m ? m->id : "");
    } else {
        ASSERT_NE(m, nullptr) << GetParam().lookup;
        EXPECT_EQ(m->id, GetParam().expected_id);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Registry, RegistryFind,
    testing::Values(
        find_case{"20250102000000_add_email_postgresql_core",
                  "20250102000000_add_email_postgresql_core"},
        find_case{"20250102000000_add_email", "20250102000000_add_email_postgresql_core"},
        find_case{"core_20250102000000_add_email", "20250102000000_add_email_postgresql_core"},
        // Same {version}_{name} in core and guard: the short alias is ambiguous.
        find_case{"20250101000000_create_users", nullptr},
        find_case{"guard_20250101000000_create_users",
                  "20250101000000_create_users_postgresql_guard"},
        find_case{"core_20250101000000_create_users",
                  "20250101000000_create_users_postgresql_core"},
        find_case{"9_first", "9_first_etcd_logs"}, find_case{"nothing", nullptr},
        find_case{"", nullptr}, find_case{"core_9_first", nullptr}));

TEST(Registry, EmptyRegistryFindsNothing) {
    const registry r;
    EXPECT_EQ(r.find("x"), nullptr);
    EXPECT_TRUE(r.select({}).empty());
}

struct select_case {
    const char* label;
    target_filter filter;
    std::vector<std::string> expected;
};

// gtest prints parameters of failed tests with this.
void PrintTo(const select_case& c, std::ostream* os) {
    *os << c.label;
}

target_filter filter_with(auto&& edit) {
    target_filter f;
    edit(f);
    return f;
}

class RegistrySelect : public testing::TestWithParam<select_case> {};

TEST_P(RegistrySelect, AppliesEveryFieldInOrder) {
    const registry r = sample();
    EXPECT_EQ(ids(r.select(GetParam().filter)), GetParam().expected) << GetParam().label;
}

INSTANTIATE_TEST_SUITE_P(
    Registry, RegistrySelect,
    testing::Values(select_case{"empty filter selects everything",
                                {},
                                {"9_first_etcd_logs", "10_second_etcd_logs",
                                 "20250101000000_create_users_postgresql_core",
                                 "20250101000000_create_users_postgresql_guard",
                                 "20250102000000_add_email_postgresql_core",
                                 "20250103000000_create_orgs_postgresql_core"}},
                    select_case{"postgres means postgresql",
                                filter_with([](target_filter& f) {
                                    f.backend = "postgres";
                                    f.connection = "guard";
                                }),
                                {"20250101000000_create_users_postgresql_guard"}},
                    select_case{"backend etcd",
                                filter_with([](target_filter& f) { f.backend = " ETCD"; }),
                                {"9_first_etcd_logs", "10_second_etcd_logs"}},
                    select_case{"declared schema",
                                filter_with([](target_filter& f) { f.schema = "core"; }),
                                {"20250101000000_create_users_postgresql_core",
                                 "20250102000000_add_email_postgresql_core"}},
                    select_case{"tables",
                                filter_with([](target_filter& f) {
                                    f.connection = "core";
                                    f.tables = {"orgs", "nothing"};
                                }),
                                {"20250103000000_create_orgs_postgresql_core"}},
                    select_case{"exact version",
                                filter_with([](target_filter& f) {
                                    f.version = {"20250102000000", false, 20250102000000ULL};
                                }),
                                {"20250102000000_add_email_postgresql_core"}},
                    select_case{"exact version compares numerically",
                                filter_with([](target_filter& f) {
                                    f.version = {"0010", false, 10};
                                }),
                                {"10_second_etcd_logs"}},
                    select_case{"up to a version",
                                filter_with([](target_filter& f) {
                                    f.connection = "core";
                                    f.version = {"20250102000000", true, 20250102000000ULL};
                                }),
                                {"20250101000000_create_users_postgresql_core",
                                 "20250102000000_add_email_postgresql_core"}},
                    select_case{"up to is numeric, not textual",
                                filter_with([](target_filter& f) {
                                    f.version = {"9", true, 9};
                                }),
                                {"9_first_etcd_logs"}},
                    select_case{"fields are ANDed",
                                filter_with([](target_filter& f) {
                                    f.connection = "guard";
                                    f.schema = "core";
                                }),
                                {}}),
    [](const auto& p) {
        std::string name = p.param.label;
        for (char& c : name) {
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        }
        return name;
    });

}  // namespace
}  // namespace bfm::core
