// Several `bfm serve` replicas on one state database share a job (SPEC 6): three replicas run,
// one job of 300 tenant schemas is submitted to the first; the others claim targets from the
// same queue. Mid-way a replica that holds running targets is SIGKILLed; once their leases
// expire the survivors take them over, and the job still ends `succeeded` with every migration
// applied exactly once per tenant.
//
// Which replica dies and at which progress come from a seed printed at the start;
// BFM_TEST_SEED=<n> replays one.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "support/http_client.hpp"
#include "support/job_fleet.hpp"
#include "support/pg_test_env.hpp"

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* state_db = "bfm_e2e_replicas_state";
constexpr const char* app_db = "bfm_e2e_replicas_app";
constexpr int tenant_count = 300;
const std::vector<std::string> replica_ids{"replica-a", "replica-b", "replica-c"};

class Replicas : public ::testing::Test {
protected:
    void SetUp() override {
        bfm::test::create_test_database(state_db);
        bfm::test::create_test_database(app_db);
        migration_ids = bfm::test::write_once_only_tree(tree.path());
    }

    void TearDown() override {
        if (!HasFailure()) return;
        for (std::size_t i = 0; i < replicas.size(); ++i) {
            std::cerr << "---- " << replica_ids[i] << " (warnings, errors, last lines) ----\n"
                      << bfm::test::log_excerpt(replicas[i]->output()) << "\n";
        }
    }

    bfm::test::temp_dir tree{"replicas-tree"};
    std::vector<std::string> migration_ids;
    std::vector<std::unique_ptr<bfm::test::bfm_replica>> replicas;
};

TEST_F(Replicas, ThreeReplicasShareOneJobAndTakeOverTheTargetsOfAKilledOne) {
    const auto seed = bfm::test::test_seed();
    std::cout << "[ seed ] BFM_TEST_SEED=" << seed << "\n";
    RecordProperty("seed", std::to_string(seed));
    std::mt19937 rng(seed);
    const int threshold = std::uniform_int_distribution<int>(15, 50)(rng);

    for (const auto& id : replica_ids) {
        bfm::test::replica_options o;
        o.binary = BFM_BINARY_PATH;
        o.state_db = state_db;
        o.app_db = app_db;
        o.sfm = tree.path();
        o.instance_id = id;
        replicas.push_back(std::make_unique<bfm::test::bfm_replica>(o));
    }
    const auto launched = std::chrono::steady_clock::now();
    for (auto& r : replicas) ASSERT_TRUE(r->wait_healthy()) << r->output();
    std::cout << "[ up ] 3 replicas healthy after "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - launched)
                     .count()
              << " ms\n";
    for (std::size_t i = 0; i < replicas.size(); ++i) {
        EXPECT_EQ(replicas[i]->holder(), replica_ids[i]) << "BFM_INSTANCE_ID names the holder";
    }

    const auto schemas = bfm::test::tenant_schemas(tenant_count);
    const auto started = std::chrono::steady_clock::now();
    const std::string job_id = bfm::test::submit_job(replicas[0]->port(), schemas);
    ASSERT_FALSE(job_id.empty());

    // Watch the queue until the job is past the threshold, noting who runs targets, then kill
    // one replica (chosen at random) among those that hold running targets at that moment.
    std::set<std::string> participants;
    std::size_t victim = replicas.size();
    std::int64_t progress = -1;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (victim == replicas.size() && std::chrono::steady_clock::now() < deadline) {
        std::map<std::string, int> running;
        for (const auto& t : bfm::test::job_targets(state_db, job_id)) {
            if (t.status == "running") ++running[t.claimed_by];
        }
        for (const auto& [holder, n] : running) participants.insert(holder);
        auto job = bfm::test::get_job(replicas[0]->port(), job_id);
        ASSERT_TRUE(job.has_value());
        ASSERT_EQ(job->at("status"), "running")
            << "the job ended before a replica was killed: " << *job;
        progress = job->at("progress").to_number<std::int64_t>();
        if (progress >= threshold) {
            std::vector<std::size_t> holding;
            for (std::size_t i = 0; i < replicas.size(); ++i) {
                if (running.count(replica_ids[i])) holding.push_back(i);
            }
            if (!holding.empty()) {
                victim =
                    holding[std::uniform_int_distribution<std::size_t>(0, holding.size() - 1)(rng)];
            }
        }
        if (victim == replicas.size()) std::this_thread::sleep_for(20ms);
    }
    ASSERT_LT(victim, replicas.size()) << "no replica held running targets past " << threshold
                                       << "% (progress " << progress << ")";
    replicas[victim]->kill();
    std::cout << "[ kill ] " << replica_ids[victim] << " at " << progress << "% (threshold "
              << threshold << "%)\n";
    // Statements it had already sent may still finish on the server.
    std::this_thread::sleep_for(300ms);
    std::set<int> orphans;
    for (const auto& t : bfm::test::job_targets(state_db, job_id)) {
        if (t.status == "running" && t.claimed_by == replica_ids[victim]) orphans.insert(t.seq);
    }
    EXPECT_FALSE(orphans.empty()) << replica_ids[victim] << " held running targets when killed";

    const std::size_t survivor = (victim + 1) % replicas.size();
    auto final_job = bfm::test::wait_for_final(replicas[survivor]->port(), job_id, 45s);
    ASSERT_TRUE(final_job.has_value());
    std::cout << "[ done ] job " << final_job->at("status") << " after "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count()
              << " ms: " << final_job->at("counts") << "\n";
    EXPECT_EQ(final_job->at("status"), "succeeded") << *final_job;
    const auto& counts = final_job->at("counts").as_object();
    EXPECT_EQ(counts.at("targets_total").to_number<std::int64_t>(), tenant_count);
    EXPECT_EQ(counts.at("targets_done").to_number<std::int64_t>(), tenant_count);
    EXPECT_EQ(counts.at("targets_failed").to_number<std::int64_t>(), 0);
    EXPECT_EQ(counts.at("migrations_failed").to_number<std::int64_t>(), 0);
    EXPECT_EQ(counts.at("migrations_applied").to_number<std::int64_t>()
                  + counts.at("migrations_skipped").to_number<std::int64_t>(),
              static_cast<std::int64_t>(tenant_count * migration_ids.size()));

    // Every survivor sees the same job (a replica's status cache may lag by its 100 ms TTL).
    for (std::size_t i = 0; i < replicas.size(); ++i) {
        if (i == victim) continue;
        auto seen = bfm::test::wait_for_final(replicas[i]->port(), job_id, 5s);
        ASSERT_TRUE(seen.has_value()) << replica_ids[i];
        EXPECT_EQ(seen->at("status"), "succeeded") << replica_ids[i];
    }

    const auto targets = bfm::test::job_targets(state_db, job_id);
    ASSERT_EQ(targets.size(), static_cast<std::size_t>(tenant_count));
    std::map<std::string, int> finished_by;
    int taken_over = 0;
    for (const auto& t : targets) {
        EXPECT_EQ(t.status, "succeeded") << t.schema;
        EXPECT_NE(std::find(replica_ids.begin(), replica_ids.end(), t.claimed_by),
                  replica_ids.end())
            << t.schema << " claimed by " << t.claimed_by;
        participants.insert(t.claimed_by);
        ++finished_by[t.claimed_by];
        if (t.attempts > 1) ++taken_over;
    }
    std::cout << "[ done ] targets finished by";
    for (const auto& [holder, n] : finished_by) std::cout << " " << holder << "=" << n;
    std::cout << "; " << orphans.size() << " taken over from " << replica_ids[victim] << "\n";
    EXPECT_GE(participants.size(), 2u) << "the job should be shared by the replicas";
    EXPECT_GE(taken_over, 1);
    for (int seq : orphans) {
        const auto& t = targets.at(static_cast<std::size_t>(seq));
        EXPECT_GE(t.attempts, 2) << t.schema << " was running on the killed replica";
        EXPECT_NE(t.claimed_by, replica_ids[victim])
            << t.schema << " should have been finished by a survivor";
    }

    bfm::test::expect_applied_exactly_once(state_db, app_db, schemas, migration_ids);

    auto list = bfm::test::http_request(replicas[survivor]->port(), "GET", "/api/v1/jobs", {},
                                        bfm::test::fleet_token);
    ASSERT_EQ(list.status, 200) << list.body;
    const auto items = json::parse(list.body).at("items").as_array();
    ASSERT_EQ(items.size(), 1u) << list.body;
    EXPECT_EQ(items.at(0).at("job_id").as_string().c_str(), job_id);
}

}  // namespace
