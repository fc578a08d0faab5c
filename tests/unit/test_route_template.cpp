// Metrics labels: request paths become route templates without IDs (net/route_template.hpp).
#include <gtest/gtest.h>

#include "net/route_template.hpp"

namespace {

using bfm::net::route_template;

TEST(RouteTemplate, FixedPathsStayAsTheyAre) {
    for (const char* path :
         {"/health", "/ready", "/metrics", "/api/v1/jobs", "/api/v1/migrations",
          "/api/v1/migrations/up", "/api/v1/migrations/down", "/api/v1/migrations/plan",
          "/api/v1/migrations/order-batch", "/api/v1/migrations/reindex",
          "/api/v1/migrations/baseline", "/api/v1/migrations/repair",
          "/api/v1/migrations/executions/recent", "/api/v1/migrations/skipped/recent",
          "/api/v1/targets", "/api/v1/connections", "/api/v1/openapi.json"}) {
        EXPECT_EQ(route_template(path), path);
    }
}

TEST(RouteTemplate, IdsBecomePlaceholders) {
    const std::string job = "/api/v1/jobs/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    EXPECT_EQ(route_template(job), "/api/v1/jobs/{id}");
    EXPECT_EQ(route_template(job + "/targets"), "/api/v1/jobs/{id}/targets");
    EXPECT_EQ(route_template(job + "/events"), "/api/v1/jobs/{id}/events");
    EXPECT_EQ(route_template(job + "/cancel"), "/api/v1/jobs/{id}/cancel");
    const std::string m = "/api/v1/migrations/20250101_create_users_postgresql_core";
    EXPECT_EQ(route_template(m), "/api/v1/migrations/{id}");
    for (const char* action :
         {"status", "applied", "history", "executions", "skipped", "rollback", "force"}) {
        EXPECT_EQ(route_template(m + "/" + action), std::string("/api/v1/migrations/{id}/") + action);
    }
}

TEST(RouteTemplate, UnknownActionsDoNotLeakIntoLabels) {
    EXPECT_EQ(route_template("/api/v1/jobs/x/secret-123"), "/api/v1/jobs/{id}/{other}");
    EXPECT_EQ(route_template("/api/v1/migrations/x/y/z"), "/api/v1/migrations/{id}/{other}");
}

}  // namespace
