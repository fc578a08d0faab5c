// Crash recovery of a durable job, with the real `bfm serve` binary: one job of 200 tenant
// schemas is submitted, the process is SIGKILLed two or three times at random points while the
// job runs and restarted each time; the restarted processes take the job over and it still ends
// `succeeded` under the same ID, with every migration applied exactly once per tenant.
//
// One of the kills is placed in the narrowest window on purpose: the test holds a SHARE lock on
// bfm_history, so targets that just committed a migration (and its ledger row) in the tenant
// database hang on their state write; bfm is killed there and those writes are cut off. The next
// process must then reconcile them from the ledger instead of running the migrations again.
//
// The random choices (how many kills, at which progress, which one is the lost-write kill) come
// from a seed printed at the start; BFM_TEST_SEED=<n> replays one.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <random>
#include <set>
#include <thread>

#include "support/http_client.hpp"
#include "support/job_fleet.hpp"
#include "support/pg_test_env.hpp"

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* state_db = "bfm_e2e_crash_state";
constexpr const char* app_db = "bfm_e2e_crash_app";
constexpr int tenant_count = 200;

class CrashRecovery : public ::testing::Test {
protected:
    void SetUp() override {
        migration_ids = bfm::test::prepare_fleet(state_db, app_db, tree.path());
    }

    void TearDown() override {
        if (!HasFailure()) return;
        for (std::size_t i = 0; i < runs.size(); ++i) {
            std::cerr << "---- bfm run " << i << " (warnings, errors, last lines) ----\n"
                      << bfm::test::log_excerpt(runs[i]->output()) << "\n";
        }
    }

    bfm::test::bfm_replica& start() {
        bfm::test::replica_options o;
        o.binary = BFM_BINARY_PATH;
        o.state_db = state_db;
        o.app_db = app_db;
        o.sfm = tree.path();
        runs.push_back(std::make_unique<bfm::test::bfm_replica>(o));
        return *runs.back();
    }

    // Running targets of the job, by claimer.
    std::vector<bfm::test::target_row> running_targets(const std::string& job_id) {
        std::vector<bfm::test::target_row> out;
        for (auto& t : bfm::test::job_targets(state_db, job_id)) {
            if (t.status == "running") out.push_back(std::move(t));
        }
        return out;
    }

    bfm::test::temp_dir tree{"crash-tree"};
    std::vector<std::string> migration_ids;
    std::vector<std::unique_ptr<bfm::test::bfm_replica>> runs;
};

TEST_F(CrashRecovery, AJobKilledRepeatedlyStillAppliesEveryMigrationExactlyOnce) {
    const auto seed = bfm::test::test_seed();
    std::cout << "[ seed ] BFM_TEST_SEED=" << seed << "\n";
    RecordProperty("seed", std::to_string(seed));
    std::mt19937 rng(seed);
    const int kills = std::uniform_int_distribution<int>(2, 3)(rng);
    std::vector<int> thresholds;
    for (int i = 0; i < kills; ++i)
        thresholds.push_back(std::uniform_int_distribution<int>(5, 70)(rng));
    std::sort(thresholds.begin(), thresholds.end());
    const int lost_write_kill = std::uniform_int_distribution<int>(0, kills - 1)(rng);
    std::cout << "[ plan ] " << kills << " kills at progress";
    for (int t : thresholds) std::cout << " " << t << "%";
    std::cout << "; kill " << lost_write_kill + 1 << " cuts off state writes\n";

    const auto schemas = bfm::test::tenant_schemas(tenant_count);
    const auto started = std::chrono::steady_clock::now();
    ASSERT_TRUE(start().wait_healthy()) << runs.back()->output();
    std::vector<std::string> holders{runs.back()->holder()};
    ASSERT_FALSE(holders.back().empty()) << runs.back()->output();
    const std::string job_id = bfm::test::submit_job(runs.back()->port(), schemas);
    ASSERT_FALSE(job_id.empty());

    struct orphan {
        int seq;
        std::size_t killed_run;  // index into runs/holders
    };
    std::vector<orphan> orphans;
    std::int64_t lost_writes = 0;
    std::int64_t progress_at_start = 0;
    for (int k = 0; k < kills; ++k) {
        auto& run = *runs.back();
        // Each run does some work of its own before it dies (at least 4 points = 8 targets).
        const std::int64_t threshold = std::max<std::int64_t>(thresholds[k], progress_at_start + 4);
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        std::int64_t progress = -1;
        std::string status;
        while (std::chrono::steady_clock::now() < deadline) {
            if (auto job = bfm::test::get_job(run.port(), job_id)) {
                progress = job->at("progress").to_number<std::int64_t>();
                status = std::string(job->at("status").as_string());
                if (status != "queued" && status != "running") break;
                if (progress >= threshold) break;
            }
            std::this_thread::sleep_for(10ms);
        }
        ASSERT_EQ(status, "running") << "kill " << k + 1 << ": the job should still be running at "
                                     << threshold << "% (progress " << progress << ")";
        ASSERT_GE(progress, threshold) << "kill " << k + 1 << ": no progress in time";

        if (k == lost_write_kill) {
            // Hold back every write to bfm_history (readers go on), wait until targets hang on
            // their state write after COMMITting in the tenant database, then kill bfm and cut
            // those writes off: the server ends the backends, so they are lost, not late.
            bfm::test::pg_session lock(state_db);
            lock.query("BEGIN");
            lock.query("LOCK TABLE bfm_history IN SHARE MODE");
            const std::string waiting =
                std::string("FROM pg_stat_activity WHERE datname = '") + state_db
                + "' AND application_name = 'bfm-state' AND wait_event_type = 'Lock'";
            bfm::test::pg_session watch(state_db);
            const auto until = std::chrono::steady_clock::now() + 10s;
            while (watch.query("SELECT count(*) " + waiting) == "0"
                   && std::chrono::steady_clock::now() < until) {
                std::this_thread::sleep_for(5ms);
            }
            std::this_thread::sleep_for(50ms);  // let the other running targets get there too
            run.kill();
            lost_writes =
                std::stoll(watch.query("SELECT count(pg_terminate_backend(pid)) " + waiting));
            const auto gone_by = std::chrono::steady_clock::now() + 10s;
            while (watch.query("SELECT count(*) " + waiting) != "0"
                   && std::chrono::steady_clock::now() < gone_by) {
                std::this_thread::sleep_for(5ms);
            }
            lock.query("ROLLBACK");
            std::cout << "[ kill " << k + 1 << " ] at " << progress << "%: " << lost_writes
                      << " state write(s) cut off\n";
            ASSERT_GE(lost_writes, 1) << "no target got to its state write while it was blocked";
        } else {
            std::this_thread::sleep_for(
                std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 150)(rng)));
            run.kill();
            std::cout << "[ kill " << k + 1 << " ] at " << progress << "%\n";
        }
        // Statements the dead process had already sent may still finish on the server.
        std::this_thread::sleep_for(300ms);
        int mine = 0;
        for (const auto& t : running_targets(job_id)) {
            // Only dead processes hold claims now: this one, or one before it (lease not out yet).
            EXPECT_NE(std::find(holders.begin(), holders.end(), t.claimed_by), holders.end())
                << t.schema << " claimed by unknown " << t.claimed_by;
            if (t.claimed_by == holders.back()) {
                orphans.push_back({t.seq, runs.size() - 1});
                ++mine;
            }
        }
        EXPECT_GE(mine, 1) << "kill " << k + 1 << " left no running target of the killed process";

        ASSERT_TRUE(start().wait_healthy()) << runs.back()->output();
        holders.push_back(runs.back()->holder());
        ASSERT_FALSE(holders.back().empty()) << runs.back()->output();
        EXPECT_EQ(std::count(holders.begin(), holders.end(), holders.back()), 1)
            << "a restarted process must claim under a new holder ID";
        if (auto job = bfm::test::get_job(runs.back()->port(), job_id)) {
            progress_at_start = job->at("progress").to_number<std::int64_t>();
        }
    }

    // The last process finishes the job: same ID, every target succeeded.
    auto final_job = bfm::test::wait_for_final(runs.back()->port(), job_id, 45s);
    ASSERT_TRUE(final_job.has_value());
    std::cout << "[ done ] job " << job_id << " " << final_job->at("status") << " after "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count()
              << " ms: " << final_job->at("counts") << "\n";
    EXPECT_EQ(final_job->at("status"), "succeeded") << *final_job;
    EXPECT_EQ(final_job->at("job_id").as_string().c_str(), job_id);
    const auto& counts = final_job->at("counts").as_object();
    EXPECT_EQ(counts.at("targets_total").to_number<std::int64_t>(), tenant_count);
    EXPECT_EQ(counts.at("targets_done").to_number<std::int64_t>(), tenant_count);
    EXPECT_EQ(counts.at("targets_failed").to_number<std::int64_t>(), 0);
    EXPECT_EQ(counts.at("migrations_failed").to_number<std::int64_t>(), 0);
    // A target run again after a crash skips what its earlier run applied: still one outcome
    // per (tenant, migration) in the counts.
    EXPECT_EQ(counts.at("migrations_applied").to_number<std::int64_t>()
                  + counts.at("migrations_skipped").to_number<std::int64_t>(),
              static_cast<std::int64_t>(tenant_count * migration_ids.size()));
    EXPECT_EQ(final_job->at("progress").to_number<std::int64_t>(), 100);

    // No job was lost or duplicated by the restarts.
    auto list = bfm::test::http_request(runs.back()->port(), "GET", "/api/v1/jobs?limit=10", {},
                                        bfm::test::fleet_token);
    ASSERT_EQ(list.status, 200) << list.body;
    const auto listed = json::parse(list.body).as_object();
    EXPECT_EQ(listed.at("total").to_number<std::int64_t>(), 1) << list.body;
    ASSERT_EQ(listed.at("items").as_array().size(), 1u) << list.body;
    EXPECT_EQ(listed.at("items").at(0).at("job_id").as_string().c_str(), job_id);
    EXPECT_EQ(listed.at("items").at(0).at("status"), "succeeded");

    // The targets the dead processes held were taken over by a later process.
    const auto targets = bfm::test::job_targets(state_db, job_id);
    ASSERT_EQ(targets.size(), static_cast<std::size_t>(tenant_count));
    for (const auto& t : targets) {
        EXPECT_EQ(t.status, "succeeded") << t.schema;
        EXPECT_GE(t.attempts, 1) << t.schema;
    }
    ASSERT_FALSE(orphans.empty());
    for (const auto& o : orphans) {
        const auto& t = targets.at(static_cast<std::size_t>(o.seq));
        EXPECT_GE(t.attempts, 2) << t.schema << " was running when its process was killed";
        const auto later =
            std::find(holders.begin() + static_cast<std::ptrdiff_t>(o.killed_run) + 1,
                      holders.end(), t.claimed_by);
        EXPECT_NE(later, holders.end())
            << t.schema << " (running in killed run " << o.killed_run << ") ended claimed by "
            << t.claimed_by << ", not by a process started after that kill";
    }

    bfm::test::expect_applied_exactly_once(state_db, app_db, schemas, migration_ids);
    // Every cut-off state write came back from the ledger, recorded as a reconciliation.
    const auto reconciled = std::stoll(bfm::test::exec_sql(
        state_db, "SELECT count(*) FROM bfm_history WHERE action = 'reconcile'"));
    std::cout << "[ done ] " << orphans.size() << " target(s) taken over, " << reconciled
              << " migration(s) reconciled from the ledger\n";
    EXPECT_GE(reconciled, lost_writes);
}

}  // namespace
