#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/revert_planner.hpp"

namespace bfm::core {
namespace {

migration mig(std::string version, std::string name, bool with_down = true) {
    migration m;
    m.backend = "postgresql";
    m.connection = "app";
    m.version = std::move(version);
    m.version_number = std::stoull(m.version);
    m.name = std::move(name);
    m.id = m.version + "_" + m.name + "_postgresql_app";
    m.checksum = "v1:" + m.name;
    if (with_down) m.down_sql = "DROP TABLE " + m.name + ";";
    return m;
}

dependency on(std::string name) {
    dependency d;
    d.target = std::move(name);
    return d;
}

class RevertPlanner : public ::testing::Test {
protected:
    // accounts <- orders (depends on accounts); audit is independent; legacy has no down.
    RevertPlanner() : reg_(make()) {}

    static registry make() {
        std::vector<migration> all;
        all.push_back(mig("1", "accounts"));
        auto orders = mig("2", "orders");
        orders.dependencies.push_back(on("accounts"));
        all.push_back(orders);
        all.push_back(mig("3", "audit"));
        all.push_back(mig("4", "legacy", false));
        return registry(std::move(all));
    }

    const migration* m(const std::string& name) const { return reg_.find(name_to_id(name)); }
    static std::string name_to_id(const std::string& name) {
        const char* version = name == "accounts" ? "1" : name == "orders" ? "2" : name == "audit" ? "3" : "4";
        return std::string(version) + "_" + name + "_postgresql_app";
    }

    // Applied in the order given (attempt IDs increase like UUIDv7s).
    std::vector<applied_migration> applied(const std::vector<std::string>& names) const {
        std::vector<applied_migration> out;
        int n = 0;
        for (const auto& name : names) {
            out.push_back({m(name), "0190000" + std::to_string(n++)});
        }
        return out;
    }

    static std::vector<std::string> ids(const revert_plan& plan) {
        std::vector<std::string> out;
        for (const auto* x : plan.order) out.push_back(x->name);
        return out;
    }

    registry reg_;
};

TEST_F(RevertPlanner, StepsRevertTheMostRecentlyAppliedFirst) {
    revert_spec spec;
    spec.steps = 2;
    // Applied out of version order: audit (3) before orders (2). Reverse application order wins.
    const auto plan = plan_revert(reg_, applied({"accounts", "audit", "orders"}), spec);
    ASSERT_TRUE(plan.ok()) << plan.errors.front();
    EXPECT_EQ(ids(plan), (std::vector<std::string>{"orders", "audit"}));
}

TEST_F(RevertPlanner, MoreStepsThanAppliedRevertsEverything) {
    revert_spec spec;
    spec.steps = 10;
    const auto plan = plan_revert(reg_, applied({"accounts", "orders"}), spec);
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(ids(plan), (std::vector<std::string>{"orders", "accounts"}));
}

TEST_F(RevertPlanner, ToVersionRevertsEverythingAboveIt) {
    revert_spec spec;
    spec.to_version = "1";
    const auto plan = plan_revert(reg_, applied({"accounts", "orders", "audit"}), spec);
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(ids(plan), (std::vector<std::string>{"audit", "orders"}));
}

TEST_F(RevertPlanner, ADependencyOfAnAppliedMigrationIsRefusedWithoutCascade) {
    revert_spec spec;
    spec.migration_ids = {name_to_id("accounts")};
    const auto plan = plan_revert(reg_, applied({"accounts", "orders"}), spec);
    ASSERT_FALSE(plan.ok());
    EXPECT_TRUE(plan.order.empty());
    EXPECT_NE(plan.errors.front().find("2_orders_postgresql_app depends on it"), std::string::npos)
        << plan.errors.front();
}

TEST_F(RevertPlanner, CascadeRevertsTheDependentsFirst) {
    revert_spec spec;
    spec.migration_ids = {name_to_id("accounts")};
    spec.cascade = true;
    const auto plan = plan_revert(reg_, applied({"accounts", "orders", "audit"}), spec);
    ASSERT_TRUE(plan.ok()) << plan.errors.front();
    EXPECT_EQ(ids(plan), (std::vector<std::string>{"orders", "accounts"}));
}

TEST_F(RevertPlanner, ADependentThatIsNotAppliedDoesNotBlock) {
    revert_spec spec;
    spec.migration_ids = {name_to_id("accounts")};
    const auto plan = plan_revert(reg_, applied({"accounts", "audit"}), spec);
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(ids(plan), (std::vector<std::string>{"accounts"}));
}

TEST_F(RevertPlanner, ANamedMigrationThatIsNotAppliedIsSkippedNotAnError) {
    revert_spec spec;
    spec.migration_ids = {name_to_id("audit")};
    const auto plan = plan_revert(reg_, applied({"accounts"}), spec);
    ASSERT_TRUE(plan.ok());
    EXPECT_TRUE(plan.order.empty());
    ASSERT_EQ(plan.not_applied.size(), 1u);
    EXPECT_EQ(plan.not_applied.front()->name, "audit");
}

TEST_F(RevertPlanner, AMigrationWithoutDownScriptStopsTheWholePlan) {
    revert_spec spec;
    spec.steps = 2;
    const auto plan = plan_revert(reg_, applied({"accounts", "audit", "legacy"}), spec);
    ASSERT_FALSE(plan.ok());
    EXPECT_TRUE(plan.order.empty()) << "nothing is reverted when one step cannot be";
    EXPECT_EQ(plan.errors.front(), "4_legacy_postgresql_app has no down script");
}

TEST_F(RevertPlanner, UnknownIdsAndBadVersionsAreErrors) {
    revert_spec unknown;
    unknown.migration_ids = {"9_nothing_postgresql_app"};
    EXPECT_EQ(plan_revert(reg_, applied({"accounts"}), unknown).errors.front(),
              "unknown migration 9_nothing_postgresql_app");
    revert_spec bad;
    bad.to_version = "1x";
    EXPECT_FALSE(plan_revert(reg_, applied({"accounts"}), bad).ok());
}

}  // namespace
}  // namespace bfm::core
