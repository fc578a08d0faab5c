// The per-migration read paths (pure): which path and method is which endpoint, the ID segment
// percent-decoded after the split, the Allow value for other methods, and the query strings.
#include <gtest/gtest.h>

#include <boost/url/parse.hpp>

#include "net/migration_query_params.hpp"
#include "net/migration_routes.hpp"

namespace {

namespace http = boost::beast::http;
using bfm::net::match_migration_route;
using bfm::net::migration_endpoint;

const std::string base = "/api/v1/migrations/";

TEST(MigrationRoutes, EachSuffixIsItsEndpoint) {
    const std::vector<std::pair<std::string, migration_endpoint>> cases{
        {"", migration_endpoint::detail},
        {"/status", migration_endpoint::status},
        {"/applied", migration_endpoint::applied},
        {"/history", migration_endpoint::history},
        {"/executions", migration_endpoint::executions},
        {"/skipped", migration_endpoint::skipped},
    };
    for (const auto& [suffix, endpoint] : cases) {
        auto m = match_migration_route(http::verb::get, base + "20250101_x_postgresql_core" + suffix);
        ASSERT_TRUE(m) << suffix;
        EXPECT_EQ(m->endpoint, endpoint) << suffix;
        EXPECT_EQ(m->id, "20250101_x_postgresql_core") << suffix;
    }
}

TEST(MigrationRoutes, RecentListsAreNotIds) {
    auto e = match_migration_route(http::verb::get, base + "executions/recent");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->endpoint, migration_endpoint::recent_executions);
    EXPECT_EQ(e->id, "");
    auto s = match_migration_route(http::verb::get, base + "skipped/recent");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->endpoint, migration_endpoint::recent_skipped);
    // Without "/recent" they are IDs like any other.
    auto d = match_migration_route(http::verb::get, base + "executions");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->endpoint, migration_endpoint::detail);
    EXPECT_EQ(d->id, "executions");
}

TEST(MigrationRoutes, IdIsDecodedAfterTheSplit) {
    auto slash = match_migration_route(http::verb::get, base + "a%2Fb/history");
    ASSERT_TRUE(slash);
    EXPECT_EQ(slash->endpoint, migration_endpoint::history);
    EXPECT_EQ(slash->id, "a/b");

    auto space = match_migration_route(http::verb::get, base + "20250103000000_add%20user%2Bnotes_postgresql_org");
    ASSERT_TRUE(space);
    EXPECT_EQ(space->id, "20250103000000_add user+notes_postgresql_org");

    // '+' in a path is a plus, not a space (that is only for query strings).
    auto plus = match_migration_route(http::verb::get, base + "a+b/status");
    ASSERT_TRUE(plus);
    EXPECT_EQ(plus->id, "a+b");

    auto utf8 = match_migration_route(http::verb::get, base + "caf%C3%A9");
    ASSERT_TRUE(utf8);
    EXPECT_EQ(utf8->id, "caf\xC3\xA9");
}

TEST(MigrationRoutes, OtherPathsDoNotMatch) {
    for (const std::string path :
         {"/api/v1/migrations", "/api/v1/migrations/", "/api/v1/migrations//status",
          "/api/v1/migrations/x/", "/api/v1/migrations/x/unknown", "/api/v1/migrations/x/status/y",
          "/api/v1/migrationsx/y", "/api/v2/migrations/x", "/api/v1/migrations/x/history/",
          "/api/v1/migrations/%2", "/api/v1/migrations/%ZZ/status"}) {
        EXPECT_FALSE(match_migration_route(http::verb::get, path)) << path;
    }
}

TEST(MigrationRoutes, OnlyGetIsServedSoPostFallsThrough) {
    for (const auto verb : {http::verb::post, http::verb::put, http::verb::delete_}) {
        EXPECT_FALSE(match_migration_route(verb, base + "x")) << http::to_string(verb);
        EXPECT_FALSE(match_migration_route(verb, base + "x/status")) << http::to_string(verb);
        EXPECT_FALSE(match_migration_route(verb, base + "executions/recent"));
    }
    // A POST route of another table (the lead's rollback) is not this table's business.
    EXPECT_FALSE(match_migration_route(http::verb::post, base + "x/rollback"));
}

TEST(MigrationRoutes, AllowedMethodsNameGetForKnownPathsOnly) {
    EXPECT_EQ(bfm::net::migration_allowed_methods(base + "x/status"), "GET");
    EXPECT_EQ(bfm::net::migration_allowed_methods(base + "x"), "GET");
    EXPECT_EQ(bfm::net::migration_allowed_methods(base + "skipped/recent"), "GET");
    EXPECT_EQ(bfm::net::migration_allowed_methods(base + "x/unknown"), "");
    EXPECT_EQ(bfm::net::migration_allowed_methods("/api/v1/jobs"), "");
}

TEST(MigrationRoutes, DecodePathSegment) {
    EXPECT_EQ(bfm::net::decode_path_segment("a%20b%2Fc"), "a b/c");
    EXPECT_EQ(bfm::net::decode_path_segment("plain"), "plain");
    EXPECT_FALSE(bfm::net::decode_path_segment("bad%G1"));
    EXPECT_FALSE(bfm::net::decode_path_segment("cut%4"));
}

// ---- query strings --------------------------------------------------------------------------

bfm::net::read_query_result parse(const std::string& query, unsigned accepted) {
    const std::string target = query.empty() ? std::string("/x") : "/x?" + query;
    auto url = boost::urls::parse_origin_form(target);
    EXPECT_TRUE(url) << query;
    return bfm::net::parse_read_query(url->params(), accepted);
}

constexpr unsigned all_params =
    bfm::net::target_params | bfm::net::page_params | bfm::net::action_param;

TEST(MigrationReadQuery, DefaultsAndValues) {
    auto none = parse("", all_params);
    ASSERT_TRUE(none.query);
    EXPECT_EQ(none.query->limit, 100u);
    EXPECT_EQ(none.query->offset, 0u);
    EXPECT_EQ(none.query->schema, "");

    auto all = parse("schema=cli_a&connection=org&limit=1000&offset=7&action=skip", all_params);
    ASSERT_TRUE(all.query) << all.error->message;
    EXPECT_EQ(all.query->schema, "cli_a");
    EXPECT_EQ(all.query->connection, "org");
    EXPECT_EQ(all.query->limit, 1000u);
    EXPECT_EQ(all.query->offset, 7u);
    EXPECT_EQ(all.query->action, "skip");
}

TEST(MigrationReadQuery, BadValuesNameTheParameter) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"limit=0", "limit"},        {"limit=1001", "limit"},     {"limit=-1", "limit"},
        {"limit=ten", "limit"},      {"limit=", "limit"},         {"offset=-3", "offset"},
        {"offset=1e3", "offset"},    {"schema=1bad", "schema"},   {"schema=", "schema"},
        {"schema=a%20b", "schema"},  {"connection=", "connection"}, {"action=drop", "action"},
        {"connection=a%0Ab", "connection"},
    };
    for (const auto& [query, parameter] : cases) {
        auto r = parse(query, all_params);
        ASSERT_TRUE(r.error) << query;
        EXPECT_EQ(r.error->code, "invalid_parameter") << query;
        EXPECT_EQ(r.error->parameter, parameter) << query;
        EXPECT_NE(r.error->message.find(parameter), std::string::npos) << r.error->message;
    }
}

TEST(MigrationReadQuery, UnknownRepeatedAndNotAcceptedParameters) {
    auto unknown = parse("sort=asc", all_params);
    ASSERT_TRUE(unknown.error);
    EXPECT_EQ(unknown.error->code, "unknown_parameter");
    EXPECT_EQ(unknown.error->parameter, "sort");

    auto twice = parse("limit=5&limit=6", all_params);
    ASSERT_TRUE(twice.error);
    EXPECT_EQ(twice.error->code, "duplicate_parameter");
    EXPECT_EQ(twice.error->parameter, "limit");

    // The detail and status endpoints take no paging; only history takes `action`.
    auto paging = parse("limit=5", bfm::net::target_params);
    ASSERT_TRUE(paging.error);
    EXPECT_EQ(paging.error->code, "unknown_parameter");
    EXPECT_EQ(paging.error->parameter, "limit");
    auto action = parse("action=up", bfm::net::target_params | bfm::net::page_params);
    ASSERT_TRUE(action.error);
    EXPECT_EQ(action.error->parameter, "action");
}

}  // namespace
