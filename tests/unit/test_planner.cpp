#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/planner.hpp"
#include "core/planner_graph.hpp"

namespace bfm::core {
namespace {

// A migration of backend postgresql; `schema` empty = dynamic. Its checksum is derived from the
// name so a test can "edit the file" by recording another one.
migration mig(std::string connection, std::string version, std::string name,
              std::string schema = "") {
    migration m;
    m.backend = "postgresql";
    m.connection = std::move(connection);
    m.version = std::move(version);
    m.version_number = std::stoull(m.version);
    m.name = std::move(name);
    m.schema = std::move(schema);
    m.id = m.version + "_" + m.name + "_postgresql_" + m.connection;
    m.checksum = "v1:" + m.name;
    m.up_path = "postgresql/" + m.connection + "/" + m.version + "_" + m.name + ".up.sql";
    return m;
}

migration with_deps(migration m, std::vector<dependency> deps) {
    m.dependencies = std::move(deps);
    return m;
}

// `-- bfm:depends [connection:]name` on line 3 of the up file.
dependency on(std::string target, std::string connection = "", int line = 3) {
    dependency d;
    d.connection = std::move(connection);
    d.target = std::move(target);
    d.line = line;
    return d;
}

dependency on_version(std::string version, std::string connection = "") {
    dependency d = on(std::move(version), std::move(connection));
    d.target_type = dependency::kind::version;
    return d;
}

class fake_state final : public state_lookup {
public:
    const states* target(const std::string& connection, const std::string& schema) const override {
        auto it = targets_.find({connection, schema});
        return it == targets_.end() ? nullptr : &it->second;
    }

    fake_state& record(const std::string& connection, const std::string& schema,
                       const std::string& id, std::string status, std::string checksum) {
        targets_[{connection, schema}][id] = {std::move(status), std::move(checksum)};
        return *this;
    }
    // Applied with the checksum the file has now (see mig()).
    fake_state& applied(const std::string& connection, const std::string& schema,
                        const migration& m) {
        return record(connection, schema, m.id, "applied", m.checksum);
    }

private:
    std::map<std::pair<std::string, std::string>, states> targets_;
};

const migration* get(const registry& r, const std::string& id) {
    const migration* m = r.find(id);
    EXPECT_NE(m, nullptr) << id;
    return m;
}

std::vector<const migration*> pick(const registry& r, const std::vector<std::string>& ids) {
    std::vector<const migration*> out;
    for (const auto& id : ids) out.push_back(get(r, id));
    return out;
}

std::vector<std::string> step_ids(const target_plan& p) {
    std::vector<std::string> out;
    for (const auto& s : p.steps) out.push_back(s.m->id);
    return out;
}

// "id run|skip conn/schema" per step: order, action and place in one comparison.
std::vector<std::string> step_lines(const target_plan& p) {
    std::vector<std::string> out;
    for (const auto& s : p.steps) {
        out.push_back(s.m->id + (s.action == step_action::run ? " run " : " skip ") + s.connection
                      + "/" + s.schema);
    }
    return out;
}

std::vector<std::string> ordered_ids(const order_result& r) {
    std::vector<std::string> out;
    for (const migration* m : r.ordered) out.push_back(m->id);
    return out;
}

using strings = std::vector<std::string>;
using schema_pairs = std::vector<std::pair<std::string, std::string>>;

// ---------------------------------------------------------------------------------------------
// Ordering: which steps a selection expands to, in which order (no recorded state).

struct order_case {
    const char* label;
    std::vector<migration> migrations;
    strings selected;
    strings expected;
};

void PrintTo(const order_case& c, std::ostream* os) {
    *os << c.label;
}

class PlannerOrder : public testing::TestWithParam<order_case> {};

TEST_P(PlannerOrder, ExpandsAndOrders) {
    const auto& c = GetParam();
    const registry r(c.migrations);
    const fake_state state;
    const auto plan = plan_target(r, pick(r, c.selected), "core", "cli_a", state, {});
    EXPECT_TRUE(plan.ok()) << (plan.errors.empty() ? "" : plan.errors.front());
    EXPECT_EQ(step_ids(plan), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Planner, PlannerOrder,
    testing::Values(
        order_case{"chain a<-b<-c, only c selected",
                   {mig("core", "1", "a"), with_deps(mig("core", "2", "b"), {on("a")}),
                    with_deps(mig("core", "3", "c"), {on("b")})},
                   {"3_c_postgresql_core"},
                   {"1_a_postgresql_core", "2_b_postgresql_core", "3_c_postgresql_core"}},
        order_case{"dependencies newer than their dependents still go first",
                   {with_deps(mig("core", "1", "c"), {on("b")}),
                    with_deps(mig("core", "2", "b"), {on("a")}), mig("core", "3", "a")},
                   {"1_c_postgresql_core"},
                   {"3_a_postgresql_core", "2_b_postgresql_core", "1_c_postgresql_core"}},
        order_case{"ties broken by version, then id",
                   {mig("core", "2", "x"), mig("core", "1", "z"), mig("core", "1", "y")},
                   {"2_x_postgresql_core", "1_z_postgresql_core", "1_y_postgresql_core"},
                   {"1_y_postgresql_core", "1_z_postgresql_core", "2_x_postgresql_core"}},
        // Ready set after s and r: {q(1), p(5)}; a FIFO queue would give s, r, p, q.
        order_case{"a migration freed by its dependency beats an older-queued newer one",
                   {mig("core", "5", "p"), with_deps(mig("core", "1", "q"), {on("r")}),
                    mig("core", "3", "r"), mig("core", "2", "s")},
                   {"5_p_postgresql_core", "1_q_postgresql_core", "3_r_postgresql_core",
                    "2_s_postgresql_core"},
                   {"2_s_postgresql_core", "3_r_postgresql_core", "1_q_postgresql_core",
                    "5_p_postgresql_core"}},
        order_case{"versions compare as numbers (9 before 10)",
                   {mig("core", "10", "b"), mig("core", "9", "a")},
                   {"10_b_postgresql_core", "9_a_postgresql_core"},
                   {"9_a_postgresql_core", "10_b_postgresql_core"}},
        order_case{"diamond",
                   {mig("core", "4", "a"), with_deps(mig("core", "3", "b"), {on("a")}),
                    with_deps(mig("core", "2", "c"), {on("a")}),
                    with_deps(mig("core", "1", "d"), {on("b"), on("c")})},
                   {"1_d_postgresql_core"},
                   {"4_a_postgresql_core", "2_c_postgresql_core", "3_b_postgresql_core",
                    "1_d_postgresql_core"}},
        order_case{"duplicates in the selection are one step",
                   {mig("core", "1", "a"), mig("core", "2", "b")},
                   {"2_b_postgresql_core", "1_a_postgresql_core", "2_b_postgresql_core"},
                   {"1_a_postgresql_core", "2_b_postgresql_core"}},
        order_case{"unrelated migrations keep version order",
                   {mig("core", "1", "a"), with_deps(mig("core", "3", "c"), {on("b")}),
                    mig("core", "2", "b"), mig("core", "4", "d")},
                   {"4_d_postgresql_core", "3_c_postgresql_core", "1_a_postgresql_core"},
                   {"1_a_postgresql_core", "2_b_postgresql_core", "3_c_postgresql_core",
                    "4_d_postgresql_core"}}));

TEST(Planner, DependencyStepsAreMarkedWithTheirDependent) {
    const registry r({mig("core", "1", "a"), with_deps(mig("core", "2", "b"), {on("a")}),
                      with_deps(mig("core", "3", "c"), {on("b")})});
    const auto plan =
        plan_target(r, pick(r, {"3_c_postgresql_core"}), "core", "cli_a", fake_state{}, {});
    ASSERT_EQ(plan.steps.size(), 3u);
    EXPECT_TRUE(plan.steps[0].dependency);
    EXPECT_EQ(plan.steps[0].reason, "dependency of 2_b_postgresql_core");
    EXPECT_TRUE(plan.steps[1].dependency);
    EXPECT_EQ(plan.steps[1].reason, "dependency of 3_c_postgresql_core");
    EXPECT_FALSE(plan.steps[2].dependency);
    EXPECT_EQ(plan.steps[2].reason, "");
    EXPECT_TRUE(plan.has_work());
    EXPECT_EQ(plan.connection, "core");
    EXPECT_EQ(plan.schema, "cli_a");
}

TEST(Planner, TagsDoNotRemoveDependencies) {
    migration tagged = with_deps(mig("core", "2", "gold_only"), {on("base")});
    tagged.tags = {{"tier", "gold"}};
    const registry r({mig("core", "1", "base"), tagged, mig("core", "3", "other")});
    // What a `tier=gold` filter selects: only the tagged migration.
    const auto plan =
        plan_target(r, pick(r, {"2_gold_only_postgresql_core"}), "core", "cli_a", fake_state{}, {});
    EXPECT_EQ(step_ids(plan), (strings{"1_base_postgresql_core", "2_gold_only_postgresql_core"}));
    EXPECT_TRUE(plan.steps[0].dependency);
}

// ---------------------------------------------------------------------------------------------
// Places and per-target dependency state.

registry tenant_registry() {
    return registry({
        mig("core", "20250101000000", "create_orgs", "core"),
        // Dynamic organization migrations (tenant schemas), the first older than its core
        // dependency so that only the dependency edge puts core first.
        with_deps(mig("organization", "20240101000000", "org_settings"),
                  {on("create_orgs", "core")}),
        mig("organization", "20250201000000", "base"),
        with_deps(mig("organization", "20250301000000", "feature"), {on("base")}),
    });
}

TEST(Planner, CrossConnectionDependencyRunsOnItsOwnConnectionAndSchemaFirst) {
    const registry r = tenant_registry();
    const auto plan =
        plan_target(r, pick(r, {"20240101000000_org_settings_postgresql_organization"}),
                    "organization", "cli_a", fake_state{}, {});
    ASSERT_TRUE(plan.ok()) << plan.errors.front();
    EXPECT_EQ(step_lines(plan), (strings{"20250101000000_create_orgs_postgresql_core run core/core",
                                         "20240101000000_org_settings_postgresql_organization run "
                                         "organization/cli_a"}));
    EXPECT_TRUE(plan.steps[0].dependency);
}

TEST(Planner, CrossConnectionDependencyAppliedInItsOwnPlaceIsNotAdded) {
    const registry r = tenant_registry();
    fake_state state;
    state.applied("core", "core", *get(r, "20250101000000_create_orgs_postgresql_core"));
    const auto plan =
        plan_target(r, pick(r, {"20240101000000_org_settings_postgresql_organization"}),
                    "organization", "cli_a", state, {});
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(step_ids(plan), (strings{"20240101000000_org_settings_postgresql_organization"}));
}

TEST(Planner, DependencyAppliedForThisTenantIsNotAdded) {
    const registry r = tenant_registry();
    fake_state state;
    state.applied("organization", "cli_a", *get(r, "20250201000000_base_postgresql_organization"));
    const auto plan = plan_target(r, pick(r, {"20250301000000_feature_postgresql_organization"}),
                                  "organization", "cli_a", state, {});
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(step_lines(plan),
              (strings{"20250301000000_feature_postgresql_organization run organization/cli_a"}));
}

// Upstream asked "is it applied?" without a schema: tenant A's run satisfied tenant B.
TEST(Planner, DependencyAppliedOnlyForAnotherTenantIsAdded) {
    const registry r = tenant_registry();
    fake_state state;
    state.applied("organization", "cli_a", *get(r, "20250201000000_base_postgresql_organization"));
    const auto plan = plan_target(r, pick(r, {"20250301000000_feature_postgresql_organization"}),
                                  "organization", "cli_b", state, {});
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(step_lines(plan),
              (strings{"20250201000000_base_postgresql_organization run organization/cli_b",
                       "20250301000000_feature_postgresql_organization run organization/cli_b"}));
    EXPECT_TRUE(plan.steps[0].dependency);
}

TEST(Planner, NonAppliedStatesOfADependencyDoNotSatisfyIt) {
    const registry r = tenant_registry();
    for (const char* status : {"pending", "failed", "rolled_back", "missing", "running"}) {
        fake_state state;
        state.record("organization", "cli_a", "20250201000000_base_postgresql_organization", status,
                     "v1:base");
        const auto plan =
            plan_target(r, pick(r, {"20250301000000_feature_postgresql_organization"}),
                        "organization", "cli_a", state, {});
        EXPECT_EQ(step_ids(plan), (strings{"20250201000000_base_postgresql_organization",
                                           "20250301000000_feature_postgresql_organization"}))
            << status;
        EXPECT_EQ(plan.steps.front().action, step_action::run) << status;
    }
}

TEST(Planner, AppliedDependencySatisfiesWithoutExpandingItsOwnDependencies) {
    const registry r({mig("core", "1", "a"), with_deps(mig("core", "2", "b"), {on("a")}),
                      with_deps(mig("core", "3", "c"), {on("b")})});
    fake_state state;
    state.applied("core", "cli_a", *get(r, "2_b_postgresql_core"));
    const auto plan = plan_target(r, pick(r, {"3_c_postgresql_core"}), "core", "cli_a", state, {});
    EXPECT_EQ(step_ids(plan), (strings{"3_c_postgresql_core"}));
}

// Decision: a migration already applied here runs nothing, so its pending dependencies are not
// pulled into this plan (they would run as a side effect of a plan with nothing to do).
TEST(Planner, AppliedSelectedMigrationDoesNotPullInItsPendingDependency) {
    const registry r({mig("core", "1", "a"), with_deps(mig("core", "2", "b"), {on("a")})});
    fake_state state;
    state.applied("core", "cli_a", *get(r, "2_b_postgresql_core"));
    const auto plan = plan_target(r, pick(r, {"2_b_postgresql_core"}), "core", "cli_a", state, {});
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(step_lines(plan), (strings{"2_b_postgresql_core skip core/cli_a"}));
    EXPECT_FALSE(plan.has_work());
}

TEST(Planner, FixedMigrationsRunInTheirDeclaredSchemaWithoutARunSchema) {
    const registry r({mig("core", "1", "users", "core"), mig("core", "2", "audit", "audit")});
    const auto plan =
        plan_target(r, pick(r, {"1_users_postgresql_core", "2_audit_postgresql_core"}), "core", "",
                    fake_state{}, {});
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(step_lines(plan), (strings{"1_users_postgresql_core run core/core",
                                         "2_audit_postgresql_core run core/audit"}));
}

TEST(Planner, FixedMigrationKeepsItsDeclaredSchemaUnderARunSchema) {
    const registry r({mig("core", "1", "users", "core"), mig("core", "2", "prefs")});
    const auto plan =
        plan_target(r, pick(r, {"1_users_postgresql_core", "2_prefs_postgresql_core"}), "core",
                    "cli_a", fake_state{}, {});
    EXPECT_EQ(step_lines(plan), (strings{"1_users_postgresql_core run core/core",
                                         "2_prefs_postgresql_core run core/cli_a"}));
}

TEST(Planner, DynamicMigrationWithoutRunSchemaIsAnError) {
    const registry r({mig("organization", "1", "prefs"), mig("organization", "2", "fixed", "org")});
    const auto plan = plan_target(
        r, pick(r, {"1_prefs_postgresql_organization", "2_fixed_postgresql_organization"}),
        "organization", "", fake_state{}, {});
    EXPECT_EQ(plan.errors, (strings{"migration 1_prefs_postgresql_organization has a dynamic "
                                    "schema and the request gave none"}));
    EXPECT_TRUE(plan.steps.empty());
    EXPECT_FALSE(plan.has_work());
}

TEST(Planner, DynamicDependencyOfAFixedMigrationWithoutRunSchemaIsAnError) {
    const registry r(
        {mig("core", "1", "prefs"), with_deps(mig("core", "2", "fixed", "core"), {on("prefs")})});
    const auto plan =
        plan_target(r, pick(r, {"2_fixed_postgresql_core"}), "core", "", fake_state{}, {});
    EXPECT_EQ(plan.errors,
              (strings{"migration 1_prefs_postgresql_core (dependency of 2_fixed_postgresql_core) "
                       "has a dynamic schema and the request gave none"}));
    EXPECT_TRUE(plan.steps.empty());
}

// ---------------------------------------------------------------------------------------------
// Structural errors: nothing runs.

TEST(Planner, TwoMigrationCycleIsAnErrorNamingThePath) {
    const registry r(
        {with_deps(mig("core", "1", "a"), {on("b")}), with_deps(mig("core", "2", "b"), {on("a")})});
    const auto plan =
        plan_target(r, pick(r, {"1_a_postgresql_core"}), "core", "cli_a", fake_state{}, {});
    EXPECT_EQ(plan.errors,
              (strings{"dependency cycle: 1_a_postgresql_core -> 2_b_postgresql_core -> "
                       "1_a_postgresql_core (each migration depends on the next)"}));
    EXPECT_FALSE(plan.ok());
    EXPECT_TRUE(plan.steps.empty());
    EXPECT_FALSE(plan.has_work());
}

TEST(Planner, ThreeMigrationCycleIsNamedWithoutItsDependents) {
    // x depends on the cycle a -> c -> b -> a but is not part of it.
    const registry r({with_deps(mig("core", "0", "x"), {on("a")}),
                      with_deps(mig("core", "1", "a"), {on("c")}),
                      with_deps(mig("core", "2", "b"), {on("a")}),
                      with_deps(mig("core", "3", "c"), {on("b")}), mig("core", "4", "free")});
    const auto plan = plan_target(r, pick(r, {"0_x_postgresql_core", "4_free_postgresql_core"}),
                                  "core", "cli_a", fake_state{}, {});
    EXPECT_EQ(plan.errors,
              (strings{"dependency cycle: 1_a_postgresql_core -> 3_c_postgresql_core -> "
                       "2_b_postgresql_core -> 1_a_postgresql_core (each migration depends on "
                       "the next)"}));
    EXPECT_TRUE(plan.steps.empty());
    EXPECT_FALSE(plan.has_work());
}

TEST(Planner, MissingDependencyIsAnErrorWithFileAndLine) {
    const registry r(
        {with_deps(mig("core", "1", "m"), {on("nope", "", 4)}), mig("core", "2", "ok")});
    const auto plan = plan_target(r, pick(r, {"1_m_postgresql_core", "2_ok_postgresql_core"}),
                                  "core", "cli_a", fake_state{}, {});
    EXPECT_EQ(plan.errors, (strings{"migration 1_m_postgresql_core "
                                    "(postgresql/core/1_m.up.sql:4) depends on nope: no such "
                                    "migration"}));
    EXPECT_TRUE(plan.steps.empty());
}

TEST(Planner, EveryStructuralErrorIsReported) {
    const registry r({with_deps(mig("core", "1", "m"), {on("nope"), on("gone", "core", 5)}),
                      mig("core", "2", "d")});
    const auto plan = plan_target(r, pick(r, {"1_m_postgresql_core", "2_d_postgresql_core"}),
                                  "core", "", fake_state{}, {});
    EXPECT_EQ(plan.errors,
              (strings{"migration 1_m_postgresql_core has a dynamic schema and the request gave "
                       "none",
                       "migration 2_d_postgresql_core has a dynamic schema and the request gave "
                       "none"}));
    const auto tenant =
        plan_target(r, pick(r, {"1_m_postgresql_core"}), "core", "cli_a", fake_state{}, {});
    EXPECT_EQ(tenant.errors,
              (strings{"migration 1_m_postgresql_core (postgresql/core/1_m.up.sql:3) depends on "
                       "nope: no such migration",
                       "migration 1_m_postgresql_core (postgresql/core/1_m.up.sql:5) depends on "
                       "core:gone: no such migration"}));
}

TEST(Planner, AmbiguousDependencyIsAnError) {
    const registry r({mig("core", "5", "shared", "core"), mig("guard", "5", "shared", "guard"),
                      with_deps(mig("org", "6", "o"), {on("shared")})});
    const auto plan =
        plan_target(r, pick(r, {"6_o_postgresql_org"}), "org", "cli_a", fake_state{}, {});
    EXPECT_EQ(plan.errors,
              (strings{"migration 6_o_postgresql_org (postgresql/org/6_o.up.sql:3): ambiguous "
                       "dependency shared matches 5_shared_postgresql_core, "
                       "5_shared_postgresql_guard; qualify it as connection:name"}));
    EXPECT_TRUE(plan.steps.empty());
}

// ---------------------------------------------------------------------------------------------
// ignore_dependencies.

TEST(Planner, IgnoreDependenciesIsVersionOrderWithoutExpansionOrValidation) {
    const registry r({with_deps(mig("core", "1", "a"), {on("b")}),
                      with_deps(mig("core", "2", "b"), {on("a"), on("nope")}),
                      with_deps(mig("core", "3", "c"), {on("missing")}), mig("core", "4", "d"),
                      with_deps(mig("core", "0", "z"), {on("d")})});
    plan_options options;
    options.ignore_dependencies = true;
    // A cycle (a, b), a missing dependency (b, c), a dependency after its dependent (z on d).
    const auto all = plan_target(r,
                                 pick(r, {"4_d_postgresql_core", "2_b_postgresql_core",
                                          "1_a_postgresql_core", "0_z_postgresql_core"}),
                                 "core", "cli_a", fake_state{}, options);
    EXPECT_TRUE(all.ok()) << all.errors.front();
    EXPECT_EQ(step_ids(all), (strings{"0_z_postgresql_core", "1_a_postgresql_core",
                                      "2_b_postgresql_core", "4_d_postgresql_core"}));
    const auto one =
        plan_target(r, pick(r, {"3_c_postgresql_core"}), "core", "cli_a", fake_state{}, options);
    EXPECT_TRUE(one.ok());
    EXPECT_EQ(step_ids(one), (strings{"3_c_postgresql_core"}));
}

TEST(Planner, IgnoreDependenciesChecksNoRequirements) {
    migration o = with_deps(mig("org", "2", "o"), {on("base", "core")});
    o.dependencies[0].requires_table = "orgs";
    o.depends_schemas = {"shared"};
    const registry r({mig("core", "1", "base", "core"), o});
    fake_state state;
    state.applied("core", "core", *get(r, "1_base_postgresql_core"));
    plan_options options;
    options.ignore_dependencies = true;
    const auto plan =
        plan_target(r, pick(r, {"2_o_postgresql_org"}), "org", "cli_a", state, options);
    EXPECT_TRUE(plan.required_schemas.empty());
    EXPECT_TRUE(plan.required_tables.empty());
}

// ---------------------------------------------------------------------------------------------
// Diff against recorded state.

TEST(Planner, AppliedWithSameChecksumIsSkipped) {
    const registry r({mig("core", "1", "a", "core"), mig("core", "2", "b", "core")});
    fake_state state;
    state.applied("core", "core", *get(r, "1_a_postgresql_core"));
    const auto plan = plan_target(r, pick(r, {"1_a_postgresql_core", "2_b_postgresql_core"}),
                                  "core", "", state, {});
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(step_lines(plan),
              (strings{"1_a_postgresql_core skip core/core", "2_b_postgresql_core run core/core"}));
    EXPECT_EQ(plan.steps[0].reason, "already applied");
    EXPECT_TRUE(plan.has_work());
}

TEST(Planner, NothingToDoWhenEverythingIsApplied) {
    const registry r({mig("core", "1", "a", "core")});
    fake_state state;
    state.applied("core", "core", *get(r, "1_a_postgresql_core"));
    const auto plan = plan_target(r, pick(r, {"1_a_postgresql_core"}), "core", "", state, {});
    EXPECT_TRUE(plan.ok());
    EXPECT_FALSE(plan.has_work());
}

TEST(Planner, ChecksumDriftIsRefused) {
    const registry r({mig("core", "1", "a", "core"), mig("core", "2", "b", "core")});
    fake_state state;
    state.record("core", "core", "1_a_postgresql_core", "applied", "v1:old");
    const auto plan = plan_target(r, pick(r, {"1_a_postgresql_core", "2_b_postgresql_core"}),
                                  "core", "", state, {});
    EXPECT_EQ(plan.errors,
              (strings{"1_a_postgresql_core on core/core was applied with checksum v1:old but "
                       "the file now has v1:a; run repair or pass allow_modified"}));
    EXPECT_FALSE(plan.ok());
}

TEST(Planner, ChecksumDriftIsSkippedWithAllowModified) {
    const registry r({mig("core", "1", "a", "core"), mig("core", "2", "b", "core")});
    fake_state state;
    state.record("core", "core", "1_a_postgresql_core", "applied", "v1:old");
    plan_options options;
    options.allow_modified = true;
    const auto plan = plan_target(r, pick(r, {"1_a_postgresql_core", "2_b_postgresql_core"}),
                                  "core", "", state, options);
    ASSERT_TRUE(plan.ok()) << plan.errors.front();
    EXPECT_EQ(step_lines(plan),
              (strings{"1_a_postgresql_core skip core/core", "2_b_postgresql_core run core/core"}));
    EXPECT_EQ(plan.steps[0].reason, "applied; file modified since (recorded v1:old, now v1:a)");
}

// Rows imported from upstream carry no checksum: nothing to compare, not a modification.
TEST(Planner, AppliedWithoutRecordedChecksumIsAlreadyApplied) {
    const registry r({mig("core", "1", "a", "core")});
    fake_state state;
    state.record("core", "core", "1_a_postgresql_core", "applied", "");
    const auto plan = plan_target(r, pick(r, {"1_a_postgresql_core"}), "core", "", state, {});
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(plan.steps[0].reason, "already applied");
}

TEST(Planner, EveryOtherStatusRuns) {
    const registry r({mig("core", "1", "a", "core")});
    for (const char* status : {"pending", "failed", "rolled_back", "missing", "running"}) {
        fake_state state;
        state.record("core", "core", "1_a_postgresql_core", status, "v1:other");
        const auto plan = plan_target(r, pick(r, {"1_a_postgresql_core"}), "core", "", state, {});
        EXPECT_TRUE(plan.ok()) << status;
        EXPECT_EQ(step_lines(plan), (strings{"1_a_postgresql_core run core/core"})) << status;
    }
}

registry three_core() {
    return registry({mig("core", "1", "a", "core"), mig("core", "2", "b", "core"),
                     mig("core", "3", "c", "core"), mig("guard", "9", "g", "core")});
}

TEST(Planner, OlderThanNewestAppliedIsFlaggedOutOfOrder) {
    const registry r = three_core();
    fake_state state;
    state.applied("core", "core", *get(r, "1_a_postgresql_core"));
    state.applied("core", "core", *get(r, "3_c_postgresql_core"));
    const auto plan = plan_target(
        r, pick(r, {"1_a_postgresql_core", "2_b_postgresql_core", "3_c_postgresql_core"}), "core",
        "", state, {});
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(step_lines(plan),
              (strings{"1_a_postgresql_core skip core/core", "2_b_postgresql_core run core/core",
                       "3_c_postgresql_core skip core/core"}));
    EXPECT_FALSE(plan.steps[0].out_of_order);
    EXPECT_TRUE(plan.steps[1].out_of_order);
    EXPECT_FALSE(plan.steps[2].out_of_order);
}

TEST(Planner, OutOfOrderIsRefusedWithStrictOrder) {
    const registry r = three_core();
    fake_state state;
    state.applied("core", "core", *get(r, "3_c_postgresql_core"));
    plan_options options;
    options.strict_order = true;
    const auto plan = plan_target(r, pick(r, {"2_b_postgresql_core", "3_c_postgresql_core"}),
                                  "core", "", state, options);
    EXPECT_EQ(plan.errors,
              (strings{"2_b_postgresql_core (version 2) is older than 3_c_postgresql_core "
                       "(version 3), already applied on core/core; strict_order refuses to run "
                       "it out of order"}));
}

TEST(Planner, OutOfOrderCountsOnlyThisTargetAndThisConnection) {
    const registry r = three_core();
    fake_state state;
    // Newer migrations applied elsewhere: another schema, and (recorded in this schema) another
    // connection's migration.
    state.applied("core", "cli_other", *get(r, "3_c_postgresql_core"));
    state.applied("core", "core", *get(r, "9_g_postgresql_guard"));
    plan_options options;
    options.strict_order = true;
    const auto plan = plan_target(r, pick(r, {"2_b_postgresql_core"}), "core", "", state, options);
    ASSERT_TRUE(plan.ok()) << plan.errors.front();
    EXPECT_FALSE(plan.steps[0].out_of_order);
}

// ---------------------------------------------------------------------------------------------
// Requirements handed to the executor.

TEST(Planner, DependsSchemaIsRequiredUnlessThePlanCreatesIt) {
    migration o = mig("org", "2", "o");
    o.depends_schemas = {"shared", "audit", "cli_a"};
    const registry r({mig("org", "1", "audit_log", "audit"), o});
    // audit_log runs in org/audit, o in org/cli_a: only `shared` must exist beforehand.
    const auto plan = plan_target(r, pick(r, {"1_audit_log_postgresql_org", "2_o_postgresql_org"}),
                                  "org", "cli_a", fake_state{}, {});
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(plan.required_schemas, (schema_pairs{{"org", "shared"}}));

    // A step that is skipped creates nothing.
    fake_state state;
    state.applied("org", "audit", *get(r, "1_audit_log_postgresql_org"));
    const auto skipped =
        plan_target(r, pick(r, {"1_audit_log_postgresql_org", "2_o_postgresql_org"}), "org",
                    "cli_a", state, {});
    EXPECT_EQ(skipped.required_schemas, (schema_pairs{{"org", "shared"}, {"org", "audit"}}));
}

TEST(Planner, DependsSchemaOfASkippedStepIsNotRequired) {
    migration o = mig("org", "2", "o");
    o.depends_schemas = {"shared"};
    const registry r({o});
    fake_state state;
    state.applied("org", "cli_a", *get(r, "2_o_postgresql_org"));
    const auto plan = plan_target(r, pick(r, {"2_o_postgresql_org"}), "org", "cli_a", state, {});
    EXPECT_TRUE(plan.required_schemas.empty());
}

registry requires_registry() {
    dependency d = on("create_orgs", "core");
    d.requires_table = "orgs";
    d.requires_schema = "core";
    return registry({mig("core", "1", "create_orgs", "core"), with_deps(mig("org", "2", "o"), {d}),
                     with_deps(mig("org", "3", "p"), {d})});
}

TEST(Planner, RequiresTableAndSchemaOfAnAppliedDependency) {
    const registry r = requires_registry();
    fake_state state;
    state.applied("core", "core", *get(r, "1_create_orgs_postgresql_core"));
    const auto plan = plan_target(r, pick(r, {"2_o_postgresql_org", "3_p_postgresql_org"}), "org",
                                  "cli_a", state, {});
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(step_ids(plan), (strings{"2_o_postgresql_org", "3_p_postgresql_org"}));
    ASSERT_EQ(plan.required_tables.size(), 1u);  // deduplicated
    EXPECT_EQ(plan.required_tables[0].connection, "core");
    EXPECT_EQ(plan.required_tables[0].schema, "core");
    EXPECT_EQ(plan.required_tables[0].table, "orgs");
    EXPECT_EQ(plan.required_schemas, (schema_pairs{{"core", "core"}}));
}

TEST(Planner, RequiresTableOfADependencyThisPlanRunsIsAssumedCreated) {
    const registry r = requires_registry();
    const auto plan =
        plan_target(r, pick(r, {"2_o_postgresql_org"}), "org", "cli_a", fake_state{}, {});
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(step_lines(plan), (strings{"1_create_orgs_postgresql_core run core/core",
                                         "2_o_postgresql_org run org/cli_a"}));
    EXPECT_TRUE(plan.required_tables.empty());
    EXPECT_TRUE(plan.required_schemas.empty());  // core/core is created by the first step
}

TEST(Planner, RequiresTableOfASelectedButAlreadyAppliedDependency) {
    const registry r = requires_registry();
    fake_state state;
    state.applied("core", "core", *get(r, "1_create_orgs_postgresql_core"));
    const auto plan =
        plan_target(r, pick(r, {"1_create_orgs_postgresql_core", "2_o_postgresql_org"}), "org",
                    "cli_a", state, {});
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(step_lines(plan), (strings{"1_create_orgs_postgresql_core skip core/core",
                                         "2_o_postgresql_org run org/cli_a"}));
    ASSERT_EQ(plan.required_tables.size(), 1u);
    EXPECT_EQ(plan.required_tables[0].table, "orgs");
}

// ---------------------------------------------------------------------------------------------
// resolve_dependency.

registry resolve_registry() {
    return registry({
        mig("core", "20250101000000", "create_orgs", "core"),
        mig("core", "20250102000000", "shared", "core"),
        mig("guard", "20250102000000", "shared", "guard"),
        mig("guard", "20250103000000", "twice", "guard"),
        mig("guard", "20250104000000", "twice", "guard"),
        mig("logs", "9", "first"),
        mig("logs", "10", "x"),
        mig("core", "20250105000000", "x", "core"),
        mig("org", "20250106000000", "x"),
    });
}

struct resolve_case {
    const char* label;
    const char* from;
    dependency dep;
    const char* expected;  // a migration ID, or the error (exact)
    bool is_error = false;
};

void PrintTo(const resolve_case& c, std::ostream* os) {
    *os << c.label;
}

dependency in_schema(dependency d, std::string schema) {
    d.schema = std::move(schema);
    return d;
}

dependency declared_in(dependency d, std::string file, int line) {
    d.source_file = std::move(file);
    d.line = line;
    return d;
}

class ResolveDependency : public testing::TestWithParam<resolve_case> {};

TEST_P(ResolveDependency, FindsExactlyOneOrSaysWhy) {
    const auto& c = GetParam();
    const registry r = resolve_registry();
    const migration* from = get(r, c.from);
    ASSERT_NE(from, nullptr);
    const auto got = resolve_dependency(r, *from, c.dep);
    if (c.is_error) {
        EXPECT_EQ(got.target, nullptr);
        EXPECT_EQ(got.error, c.expected);
    } else {
        EXPECT_EQ(got.error, "");
        ASSERT_NE(got.target, nullptr);
        EXPECT_EQ(got.target->id, c.expected);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Resolve, ResolveDependency,
    testing::Values(
        resolve_case{"by name, any connection", "20250106000000_x_postgresql_org",
                     on("create_orgs"), "20250101000000_create_orgs_postgresql_core"},
        resolve_case{"by qualified name", "20250106000000_x_postgresql_org", on("shared", "guard"),
                     "20250102000000_shared_postgresql_guard"},
        resolve_case{"same connection wins over another", "20250105000000_x_postgresql_core",
                     on("shared"), "20250102000000_shared_postgresql_core"},
        resolve_case{"ambiguous across connections", "20250106000000_x_postgresql_org",
                     on("shared"),
                     "migration 20250106000000_x_postgresql_org "
                     "(postgresql/org/20250106000000_x.up.sql:3): ambiguous dependency shared "
                     "matches 20250102000000_shared_postgresql_core, "
                     "20250102000000_shared_postgresql_guard; qualify it as connection:name",
                     true},
        resolve_case{"ambiguous inside one connection", "20250106000000_x_postgresql_org",
                     on("twice", "guard"),
                     "migration 20250106000000_x_postgresql_org "
                     "(postgresql/org/20250106000000_x.up.sql:3): ambiguous dependency "
                     "guard:twice matches 20250103000000_twice_postgresql_guard, "
                     "20250104000000_twice_postgresql_guard; depend on one of them by version "
                     "(connection:@version)",
                     true},
        resolve_case{"declared schema narrows", "20250106000000_x_postgresql_org",
                     in_schema(on("shared"), "guard"), "20250102000000_shared_postgresql_guard"},
        resolve_case{"declared schema must match exactly (dynamic is not core)",
                     "20250101000000_create_orgs_postgresql_core", in_schema(on("first"), "core"),
                     "migration 20250101000000_create_orgs_postgresql_core "
                     "(postgresql/core/20250101000000_create_orgs.up.sql:3) depends on first "
                     "(schema core): no such migration",
                     true},
        resolve_case{"by version", "20250106000000_x_postgresql_org", on_version("20250101000000"),
                     "20250101000000_create_orgs_postgresql_core"},
        resolve_case{"by version written with @", "20250106000000_x_postgresql_org",
                     on_version("@20250101000000", "core"),
                     "20250101000000_create_orgs_postgresql_core"},
        resolve_case{"by version, numerically", "20250106000000_x_postgresql_org",
                     on_version("0009"), "9_first_postgresql_logs"},
        resolve_case{"by version, same connection wins", "20250105000000_x_postgresql_core",
                     on_version("20250102000000"), "20250102000000_shared_postgresql_core"},
        resolve_case{"by version, ambiguous", "20250106000000_x_postgresql_org",
                     on_version("20250102000000"),
                     "migration 20250106000000_x_postgresql_org "
                     "(postgresql/org/20250106000000_x.up.sql:3): ambiguous dependency "
                     "@20250102000000 matches 20250102000000_shared_postgresql_core, "
                     "20250102000000_shared_postgresql_guard; qualify it as connection:@version",
                     true},
        resolve_case{"version that is not a number", "20250106000000_x_postgresql_org",
                     on_version("@2025-01"),
                     "migration 20250106000000_x_postgresql_org "
                     "(postgresql/org/20250106000000_x.up.sql:3) depends on @2025-01: not a "
                     "version number",
                     true},
        resolve_case{"never itself: same name elsewhere", "20250105000000_x_postgresql_core",
                     on("x", "core"),
                     "migration 20250105000000_x_postgresql_core "
                     "(postgresql/core/20250105000000_x.up.sql:3) depends on core:x: no such "
                     "migration",
                     true},
        resolve_case{"a qualified x elsewhere is found (only itself is excluded)",
                     "20250106000000_x_postgresql_org", on("x", "logs"), "10_x_postgresql_logs"},
        resolve_case{"missing, declared in a .go stub", "20250106000000_x_postgresql_org",
                     declared_in(on("nope", "core"), "postgresql/org/20250106000000_x.go", 12),
                     "migration 20250106000000_x_postgresql_org "
                     "(postgresql/org/20250106000000_x.go:12) depends on core:nope: no such "
                     "migration",
                     true}));

// ---------------------------------------------------------------------------------------------
// order_by_dependencies (order-batch).

TEST(OrderByDependencies, OrdersInsideTheSetAndAddsNothing) {
    const registry r({mig("core", "1", "a"), with_deps(mig("core", "2", "b"), {on("a")}),
                      with_deps(mig("core", "3", "c"), {on("d")}), mig("core", "4", "d"),
                      with_deps(mig("core", "0", "e"), {on("c")})});
    const auto got = order_by_dependencies(
        r, pick(r, {"0_e_postgresql_core", "3_c_postgresql_core", "2_b_postgresql_core",
                    "4_d_postgresql_core", "2_b_postgresql_core"}));
    EXPECT_EQ(got.error, "");
    // a is outside the set: b does not wait for it and it is not added.
    EXPECT_EQ(ordered_ids(got), (strings{"2_b_postgresql_core", "4_d_postgresql_core",
                                         "3_c_postgresql_core", "0_e_postgresql_core"}));
}

TEST(OrderByDependencies, CycleIsAnError) {
    const registry r({with_deps(mig("core", "1", "a"), {on("b")}),
                      with_deps(mig("core", "2", "b"), {on("a")}), mig("core", "3", "c")});
    const auto got = order_by_dependencies(
        r, pick(r, {"1_a_postgresql_core", "2_b_postgresql_core", "3_c_postgresql_core"}));
    EXPECT_EQ(got.error,
              "dependency cycle: 1_a_postgresql_core -> 2_b_postgresql_core -> "
              "1_a_postgresql_core (each migration depends on the next)");
    EXPECT_TRUE(got.ordered.empty());
}

TEST(OrderByDependencies, UnresolvableDependencyIsAnError) {
    const registry r({with_deps(mig("core", "1", "a"), {on("nope")}),
                      with_deps(mig("core", "2", "b"), {on("gone")})});
    const auto got =
        order_by_dependencies(r, pick(r, {"1_a_postgresql_core", "2_b_postgresql_core"}));
    EXPECT_EQ(got.error,
              "migration 1_a_postgresql_core (postgresql/core/1_a.up.sql:3) depends on nope: no "
              "such migration; migration 2_b_postgresql_core (postgresql/core/2_b.up.sql:3) "
              "depends on gone: no such migration");
    EXPECT_TRUE(got.ordered.empty());
}

TEST(OrderByDependencies, EmptySetIsEmpty) {
    const registry r({mig("core", "1", "a")});
    const auto got = order_by_dependencies(r, {});
    EXPECT_EQ(got.error, "");
    EXPECT_TRUE(got.ordered.empty());
}

// ---------------------------------------------------------------------------------------------
// dependency_graph itself (the helper both of the above use).

TEST(OrderGraph, CycleGivesNoOrderNeverVersionOrder) {
    const migration a = mig("core", "1", "a"), b = mig("core", "2", "b"), c = mig("core", "3", "c");
    dependency_graph g;
    for (const migration* m : {&a, &b, &c}) g.add(m);
    g.add_edge(&b, &a);  // a depends on b
    g.add_edge(&a, &b);  // b depends on a
    g.add_edge(&a, &b);  // duplicate edge: ignored
    const auto sorted = g.topological_order();
    EXPECT_TRUE(sorted.order.empty());
    EXPECT_EQ(describe_cycle(sorted.cycle),
              "1_a_postgresql_core -> 2_b_postgresql_core -> 1_a_postgresql_core");
    std::vector<std::string> by_version;
    for (const migration* m : g.version_order()) by_version.push_back(m->id);
    EXPECT_EQ(by_version,
              (strings{"1_a_postgresql_core", "2_b_postgresql_core", "3_c_postgresql_core"}));
}

TEST(OrderGraph, AddingANodeTwiceKeepsOneNode) {
    const migration a = mig("core", "1", "a");
    dependency_graph g;
    EXPECT_EQ(g.add(&a), g.add(&a));
    EXPECT_EQ(g.nodes().size(), 1u);
    EXPECT_TRUE(g.contains(&a));
    EXPECT_EQ(g.topological_order().order.size(), 1u);
}

}  // namespace
}  // namespace bfm::core
