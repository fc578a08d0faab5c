// The migration read endpoints against the real `bfm serve`: migrations applied to two tenants
// over HTTP, then every read endpoint's answer (applied per schema, history order, pagination
// totals, skips, 404 for an unknown ID, IDs with URL-encoded characters, and the state after a
// real rollback on one tenant).

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "support/http_client.hpp"
#include "support/job_fleet.hpp"
#include "support/pg_test_env.hpp"

namespace json = boost::json;
using bfm::test::fleet_token;
using bfm::test::http_request;

namespace {

constexpr const char* state_db = "bfm_e2e_reads_state";
constexpr const char* app_db = "bfm_e2e_reads_app";
const std::string items_id = "20250101000000_create_items_postgresql_app";
// A name with a space and a '+': the ID needs URL-encoding in a path.
const std::string notes_id = "20250101000100_add user+notes_postgresql_app";
const std::string notes_path_id = "20250101000100_add%20user%2Bnotes_postgresql_app";
const std::string base = "/api/v1/migrations/";

std::string text(const json::value& v) { return std::string(v.as_string()); }

void write(const std::filesystem::path& file, const std::string& text) {
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << text;
}

class MigrationReadsE2E : public ::testing::Test {
protected:
    void SetUp() override {
        bfm::test::create_test_database(state_db);
        bfm::test::create_test_database(app_db);
        const auto dir = sfm.path() / "postgresql" / "app";
        write(dir / "20250101000000_create_items.up.sql",
              "-- bfm:table items\n-- bfm:tags tier=gold\nCREATE TABLE items (id int);\n");
        write(dir / "20250101000000_create_items.down.sql", "DROP TABLE items;\n");
        write(dir / "20250101000100_add user+notes.up.sql",
              "-- bfm:table items\n-- bfm:depends create_items\n"
              "ALTER TABLE items ADD COLUMN notes text;\n");
        write(dir / "20250101000100_add user+notes.down.sql",
              "ALTER TABLE items DROP COLUMN notes;\n");
        bfm::test::replica_options options;
        options.binary = BFM_BINARY_PATH;
        options.state_db = state_db;
        options.app_db = app_db;
        options.sfm = sfm.path();
        server = std::make_unique<bfm::test::bfm_replica>(options);
        ASSERT_TRUE(server->wait_healthy()) << server->output();
    }

    void TearDown() override {
        if (HasFailure()) std::cerr << bfm::test::log_excerpt(server->output()) << "\n";
    }

    json::object get(const std::string& target, int expected = 200) {
        auto reply = http_request(server->port(), "GET", target, {}, fleet_token);
        EXPECT_EQ(reply.status, expected) << target << " -> " << reply.body;
        return json::parse(reply.body).as_object();
    }

    void up(const std::string& body) {
        auto reply = http_request(server->port(), "POST", "/api/v1/migrations/up", body, fleet_token);
        ASSERT_EQ(reply.status, 200) << reply.body;
    }

    static std::vector<std::string> schemas_of(const json::value& rows) {
        std::vector<std::string> out;
        for (const auto& r : rows.as_array()) out.emplace_back(r.at("schema").as_string());
        return out;
    }

    bfm::test::temp_dir sfm{"bfm-e2e-reads"};
    std::unique_ptr<bfm::test::bfm_replica> server;
};

TEST_F(MigrationReadsE2E, EveryReadEndpointAfterTwoTenants) {
    // create_items on cli_a first; then both migrations on cli_a and cli_b (create_items is
    // skipped on cli_a, and that skip is recorded).
    up(R"({"connection":"app","schemas":["cli_a"],"target":{"version":"20250101000000"}})");
    up(R"({"connection":"app","schemas":["cli_a","cli_b"]})");

    // Detail: upstream's fields from the registry, state over both tenants.
    auto detail = get(base + items_id);
    EXPECT_EQ(text(detail.at("migration_id")), items_id);
    EXPECT_EQ(detail.at("table"), "items");
    EXPECT_EQ(detail.at("connection"), "app");
    EXPECT_EQ(detail.at("backend"), "postgresql");
    EXPECT_EQ(detail.at("version"), "20250101000000");
    EXPECT_EQ(detail.at("applied"), true);
    EXPECT_EQ(detail.at("down_sql"), "DROP TABLE items;\n");
    EXPECT_EQ(json::serialize(detail.at("tags")), R"(["tier=gold"])");
    EXPECT_EQ(json::serialize(detail.at("targets")), R"({"applied":2})");
    auto notes = get(base + notes_path_id);
    EXPECT_EQ(text(notes.at("migration_id")), notes_id);
    EXPECT_EQ(json::serialize(notes.at("dependencies")), R"(["create_items"])");

    // Status and applied, over all tenants and per schema.
    auto status = get(base + items_id + "/status");
    EXPECT_EQ(status.at("status"), "applied");
    EXPECT_EQ(status.at("applied"), true);
    EXPECT_TRUE(status.contains("applied_at"));
    auto applied = get(base + items_id + "/applied");
    EXPECT_EQ(applied.at("applied"), true);
    EXPECT_EQ(applied.at("total"), 2);
    EXPECT_EQ(schemas_of(applied.at("targets")), (std::vector<std::string>{"cli_a", "cli_b"}));
    EXPECT_EQ(get(base + items_id + "/applied?schema=cli_b").at("applied"), true);
    auto never = get(base + items_id + "/applied?schema=cli_c");
    EXPECT_EQ(never.at("applied"), false);
    EXPECT_EQ(never.at("targets").as_array().at(0).at("status"), "pending");
    EXPECT_EQ(get(base + items_id + "/applied?schema=cli_a&connection=other").at("applied"),
              false);

    // History: newest first, paginated with totals.
    auto history = get(base + items_id + "/history");
    EXPECT_EQ(history.at("total"), 2);
    EXPECT_EQ(schemas_of(history.at("history")), (std::vector<std::string>{"cli_b", "cli_a"}));
    const auto& newest = history.at("history").as_array().at(0);
    EXPECT_EQ(newest.at("action"), "up");
    EXPECT_EQ(newest.at("status"), "applied");
    EXPECT_EQ(newest.at("executed_by"), "api_user");
    EXPECT_TRUE(newest.at("execution_context").is_string());
    auto second = get(base + items_id + "/history?limit=1&offset=1");
    EXPECT_EQ(second.at("total"), 2);
    EXPECT_EQ(schemas_of(second.at("history")), (std::vector<std::string>{"cli_a"}));
    auto beyond = get(base + items_id + "/history?limit=5&offset=9");
    EXPECT_EQ(beyond.at("total"), 2);
    EXPECT_TRUE(beyond.at("history").as_array().empty());

    // Executions (state per target) and the recent list over all migrations.
    auto executions = get(base + items_id + "/executions");
    EXPECT_EQ(executions.at("total"), 2);
    EXPECT_EQ(executions.at("executions").as_array().at(0).at("applied"), true);
    auto recent = get(base + "executions/recent?limit=3");
    EXPECT_EQ(recent.at("total"), 4);
    EXPECT_EQ(recent.at("executions").as_array().size(), 3u);
    EXPECT_FALSE(recent.contains("migration_id"));

    // The recorded skip.
    auto skipped = get(base + items_id + "/skipped");
    EXPECT_EQ(skipped.at("total"), 1);
    const auto& skip = skipped.at("skipped").as_array().at(0);
    EXPECT_EQ(skip.at("schema"), "cli_a");
    EXPECT_EQ(skip.at("reason"), "already applied");
    EXPECT_EQ(get(base + "skipped/recent").at("total"), 1);
    EXPECT_EQ(get(base + notes_path_id + "/skipped").at("total"), 0);
    // A no-op run (everything applied) records no skip rows: the job counts them.
    up(R"({"connection":"app","schemas":["cli_a","cli_b"]})");
    EXPECT_EQ(get(base + "skipped/recent").at("total"), 1);

    // URL-encoded IDs, also in upstream's `{schema}_{id}` form.
    auto by_schema_id = get(base + "cli_b_" + notes_path_id + "/applied");
    EXPECT_EQ(text(by_schema_id.at("migration_id")), notes_id);
    EXPECT_EQ(by_schema_id.at("applied"), true);
    EXPECT_EQ(schemas_of(by_schema_id.at("targets")), (std::vector<std::string>{"cli_b"}));
    EXPECT_EQ(get(base + notes_path_id + "/history").at("total"), 2);

    // Unknown IDs and bad parameters.
    for (const std::string suffix : {"", "/status", "/applied", "/history", "/executions",
                                     "/skipped"}) {
        auto missing = get(base + "no_such%20migration" + suffix, 404);
        EXPECT_EQ(missing.at("error"), "migration not found") << suffix;
        EXPECT_EQ(missing.at("details").at("migration_id"), "no_such migration") << suffix;
    }
    auto bad = get(base + items_id + "/history?limit=0", 400);
    EXPECT_EQ(bad.at("details").at("field"), "limit");
    EXPECT_EQ(http_request(server->port(), "GET", base + items_id).status, 401);

    // After a real rollback on one tenant, status and applied follow the state row
    // (`rolled_back`), for that tenant and over all of them; the history shows it first.
    auto rollback = http_request(server->port(), "POST", base + notes_path_id + "/rollback",
                                 R"({"schemas":["cli_b"]})", fleet_token);
    ASSERT_EQ(rollback.status, 200) << rollback.body;
    auto rolled = get(base + "cli_b_" + notes_path_id + "/status");
    EXPECT_EQ(rolled.at("status"), "rolled_back");
    EXPECT_EQ(rolled.at("applied"), false);
    auto over_all = get(base + notes_path_id + "/status");
    EXPECT_EQ(over_all.at("status"), "rolled_back");
    EXPECT_EQ(over_all.at("applied"), false);
    EXPECT_EQ(json::serialize(over_all.at("targets")), R"({"applied":1,"rolled_back":1})");
    EXPECT_EQ(get(base + notes_path_id + "/status?schema=cli_a").at("applied"), true);
    EXPECT_EQ(get(base + notes_path_id + "/applied").at("applied"), false);
    EXPECT_EQ(get(base + notes_path_id + "/applied?schema=cli_b").at("applied"), false);
    EXPECT_EQ(get(base + notes_path_id).at("applied"), false);
    auto after = get(base + notes_path_id + "/history");
    EXPECT_EQ(after.at("total"), 3);
    const auto& first = after.at("history").as_array().at(0);
    EXPECT_EQ(first.at("action"), "rollback");
    EXPECT_EQ(first.at("schema"), "cli_b");
    EXPECT_EQ(first.at("status"), "rolled_back");
}

}  // namespace
