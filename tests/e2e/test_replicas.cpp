// Several `bfm serve` replicas on one state database share a job (SPEC 6): three replicas run,
// one job of 300 tenant schemas is submitted to the first; the others claim targets from the
// same queue. Mid-way a replica that holds running targets is SIGKILLed; once their leases
// expire the survivors take them over, and the job still ends `succeeded` with every migration
// applied exactly once per tenant.
//
// A second test freezes a replica (SIGSTOP) past its lease instead and wakes it up again
// (SIGCONT), as a long GC pause or a stalled VM would: it finds its claims lost, and nothing it
// still had in flight may be applied twice.
//
// Which replica dies (or freezes) and at which progress come from a seed printed at the start;
// BFM_TEST_SEED=<n> replays one.

#include <gtest/gtest.h>
#include <signal.h>

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
        migration_ids = bfm::test::prepare_fleet(state_db, app_db, tree.path());
    }

    void TearDown() override {
        if (!HasFailure()) return;
        for (std::size_t i = 0; i < replicas.size(); ++i) {
            std::cerr << "---- " << replica_ids[i] << " (warnings, errors, last lines) ----\n"
                      << bfm::test::log_excerpt(replicas[i]->output()) << "\n";
        }
    }

    // Starts the three replicas and waits until they answer.
    void start_replicas() {
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
    }

    // Watches the queue (polling replica A) until the job is past `threshold` percent, noting
    // who runs targets meanwhile; then picks, with `rng`, one of the replicas that hold running
    // targets at that moment. replicas.size() when the job ended first or none did in time.
    std::size_t pick_busy_replica(const std::string& job_id, int threshold, std::mt19937& rng) {
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (std::chrono::steady_clock::now() < deadline) {
            std::map<std::string, int> running;
            for (const auto& t : bfm::test::job_targets(state_db, job_id)) {
                if (t.status == "running") ++running[t.claimed_by];
            }
            for (const auto& [holder, n] : running) participants.insert(holder);
            auto job = bfm::test::get_job(replicas[0]->port(), job_id);
            if (!job) {
                ADD_FAILURE() << "replica-a does not answer";
                return replicas.size();
            }
            if (job->at("status") != "running") {
                ADD_FAILURE() << "the job ended before a replica was picked: " << *job;
                return replicas.size();
            }
            progress = job->at("progress").to_number<std::int64_t>();
            if (progress >= threshold) {
                std::vector<std::size_t> holding;
                for (std::size_t i = 0; i < replicas.size(); ++i) {
                    if (running.count(replica_ids[i])) holding.push_back(i);
                }
                if (!holding.empty()) {
                    return holding[std::uniform_int_distribution<std::size_t>(
                        0, holding.size() - 1)(rng)];
                }
            }
            std::this_thread::sleep_for(20ms);
        }
        ADD_FAILURE() << "no replica held running targets past " << threshold << "% (progress "
                      << progress << ")";
        return replicas.size();
    }

    // Sequence numbers of the job's targets running on replica `i`.
    std::set<int> running_on(const std::string& job_id, std::size_t i) {
        std::set<int> out;
        for (const auto& t : bfm::test::job_targets(state_db, job_id)) {
            if (t.status == "running" && t.claimed_by == replica_ids[i]) out.insert(t.seq);
        }
        return out;
    }

    // The job ended `succeeded` with one outcome per (tenant, migration) in its counts.
    void expect_succeeded(const boost::json::object& job, int tenants) {
        EXPECT_EQ(job.at("status"), "succeeded") << job;
        const auto& counts = job.at("counts").as_object();
        EXPECT_EQ(counts.at("targets_total").to_number<std::int64_t>(), tenants);
        EXPECT_EQ(counts.at("targets_done").to_number<std::int64_t>(), tenants);
        EXPECT_EQ(counts.at("targets_failed").to_number<std::int64_t>(), 0);
        EXPECT_EQ(counts.at("migrations_failed").to_number<std::int64_t>(), 0);
        EXPECT_EQ(counts.at("migrations_applied").to_number<std::int64_t>()
                      + counts.at("migrations_skipped").to_number<std::int64_t>(),
                  static_cast<std::int64_t>(tenants * migration_ids.size()));
    }

    enum class freeze_mode {
        wake_up,           // frozen past its lease, then woken up
        expect_takeover,   // the others should finish its targets while it is frozen
        cut_its_sessions,  // its target-database sessions are ended while it is frozen
    };
    void frozen_replica_scenario(freeze_mode mode);

    std::set<std::string> participants;  // holders seen running targets of the job
    std::int64_t progress = -1;          // last progress pick_busy_replica() saw

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

    ASSERT_NO_FATAL_FAILURE(start_replicas());

    const auto schemas = bfm::test::tenant_schemas(tenant_count);
    const auto started = std::chrono::steady_clock::now();
    const std::string job_id = bfm::test::submit_job(replicas[0]->port(), schemas);
    ASSERT_FALSE(job_id.empty());

    // Kill one replica (chosen at random) among those that hold running targets past the
    // threshold.
    const std::size_t victim = pick_busy_replica(job_id, threshold, rng);
    ASSERT_LT(victim, replicas.size());
    replicas[victim]->kill();
    std::cout << "[ kill ] " << replica_ids[victim] << " at " << progress << "% (threshold "
              << threshold << "%)\n";
    // Statements it had already sent may still finish on the server.
    std::this_thread::sleep_for(300ms);
    const std::set<int> orphans = running_on(job_id, victim);
    EXPECT_FALSE(orphans.empty()) << replica_ids[victim] << " held running targets when killed";

    const std::size_t survivor = (victim + 1) % replicas.size();
    auto final_job = bfm::test::wait_for_final(replicas[survivor]->port(), job_id, 45s);
    ASSERT_TRUE(final_job.has_value());
    std::cout << "[ done ] job " << final_job->at("status") << " after "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count()
              << " ms: " << final_job->at("counts") << "\n";
    expect_succeeded(*final_job, tenant_count);

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
    // Reported, not asserted: a live replica starved of CPU on a busy CI machine may miss its
    // 2 s lease, and its targets then legitimately run again elsewhere (attempts 2). The
    // heartbeat race that used to cause this for freshly claimed targets is fixed (e50deb8).
    std::string rerun;
    for (const auto& t : targets) {
        if (t.attempts > 1 && !orphans.count(t.seq)) rerun += " " + t.schema;
    }
    if (!rerun.empty()) {
        std::cout << "[ note ] run again though their replica lived:" << rerun << "\n";
    }
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

// Freezes (SIGSTOP) a replica that runs targets for three times the lease, then wakes it
// (SIGCONT). Its claims expire meanwhile and the other replicas claim those targets; once awake
// it finds its claims lost and stops, and nothing it still had in flight may be applied twice.
void Replicas::frozen_replica_scenario(freeze_mode mode) {
    const bool require_takeover_while_frozen = mode != freeze_mode::wake_up;
    const auto seed = bfm::test::test_seed();
    std::cout << "[ seed ] BFM_TEST_SEED=" << seed << "\n";
    RecordProperty("seed", std::to_string(seed));
    std::mt19937 rng(seed);
    const int threshold = std::uniform_int_distribution<int>(15, 40)(rng);
    constexpr int tenants = 200;

    ASSERT_NO_FATAL_FAILURE(start_replicas());
    const auto schemas = bfm::test::tenant_schemas(tenants);
    const std::string job_id = bfm::test::submit_job(replicas[0]->port(), schemas);
    ASSERT_FALSE(job_id.empty());
    const std::size_t frozen_one = pick_busy_replica(job_id, threshold, rng);
    ASSERT_LT(frozen_one, replicas.size());
    const pid_t pid = replicas[frozen_one]->process().pid();
    ASSERT_EQ(::kill(pid, SIGSTOP), 0);
    const auto frozen_at = progress;
    const auto poll_port = replicas[(frozen_one + 1) % replicas.size()]->port();
    std::this_thread::sleep_for(300ms);  // statements it had sent may still finish
    const std::set<int> frozen = running_on(job_id, frozen_one);
    EXPECT_FALSE(frozen.empty()) << replica_ids[frozen_one] << " held running targets";

    // The lease is 2 s: after 6 s every claim of the frozen replica has expired and been taken.
    const auto freeze = require_takeover_while_frozen ? 20s : 6s;
    const auto until = std::chrono::steady_clock::now() + freeze;
    std::size_t taken = 0;
    std::size_t finished = 0;
    int cut = 0;
    while (std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(100ms);
        if (mode == freeze_mode::cut_its_sessions) {
            // What a TCP keepalive timeout or an operator's pg_terminate_backend does to the
            // sessions of a stalled process: end those that block the new owners.
            cut += std::stoi(bfm::test::exec_sql(
                app_db, std::string("SELECT count(pg_terminate_backend(b)) FROM pg_stat_activity a,"
                                    " unnest(pg_blocking_pids(a.pid)) b WHERE a.datname = '")
                            + app_db + "' AND a.wait_event_type = 'Lock'"));
        }
        taken = finished = 0;
        for (const auto& t : bfm::test::job_targets(state_db, job_id)) {
            if (!frozen.count(t.seq)) continue;
            if (t.claimed_by != replica_ids[frozen_one]) ++taken;
            if (t.status == "succeeded") ++finished;
        }
        if (require_takeover_while_frozen && finished == frozen.size()) break;
    }
    std::int64_t progress_now = -1;
    if (auto job = bfm::test::get_job(poll_port, job_id)) {
        progress_now = job->at("progress").to_number<std::int64_t>();
    }
    std::cout << "[ freeze ] " << replica_ids[frozen_one] << " frozen at " << frozen_at << "% with "
              << frozen.size() << " running target(s); after the freeze: " << taken
              << " claimed by others, " << finished << " finished, job at " << progress_now << "%; "
              << cut << " of its session(s) ended\n";
    EXPECT_EQ(taken, frozen.size()) << "the frozen replica's expired claims should be taken over";
    if (require_takeover_while_frozen) {
        EXPECT_EQ(finished, frozen.size())
            << "the targets of a replica frozen past its lease should be finished by the others "
               "while it is frozen";
    }
    ASSERT_EQ(::kill(pid, SIGCONT), 0);

    auto final_job = bfm::test::wait_for_final(poll_port, job_id, 45s);
    ASSERT_TRUE(final_job.has_value());
    expect_succeeded(*final_job, tenants);
    EXPECT_TRUE(replicas[frozen_one]->process().running()) << "the woken replica goes on";
    const auto targets = bfm::test::job_targets(state_db, job_id);
    ASSERT_EQ(targets.size(), static_cast<std::size_t>(tenants));
    for (int seq : frozen) {
        const auto& t = targets.at(static_cast<std::size_t>(seq));
        EXPECT_EQ(t.status, "succeeded") << t.schema;
        EXPECT_GE(t.attempts, 2) << t.schema << " was running on the frozen replica";
    }
    bfm::test::expect_applied_exactly_once(state_db, app_db, schemas, migration_ids);
}

TEST_F(Replicas, AReplicaFrozenPastItsLeaseAppliesNothingTwiceWhenItWakesUp) {
    frozen_replica_scenario(freeze_mode::wake_up);
}

// Known limitation: a target's new owner waits on the session-level advisory lock in the target
// database, which the frozen replica's open session still holds, so the taken-over targets only
// finish once the frozen replica wakes up or its sessions die. Dropping the advisory lock is not
// enough: a frozen holder may have a migration transaction in flight (it holds the bfm.fence
// row), which the new owner must wait for or end (pg_terminate_backend) before it reads the
// ledger. Run with --gtest_also_run_disabled_tests to check a fix.
TEST_F(Replicas, DISABLED_TheTargetsOfAFrozenReplicaAreFinishedWhileItIsFrozen) {
    frozen_replica_scenario(freeze_mode::expect_takeover);
}

// State writes are fenced too: once awake, the frozen replica must not record its cut-off
// attempts as `failed` over the new owners' `applied` rows, nor flush its deferred rows for
// attempts the new owners already reconciled from the ledger (the same attempt twice in
// bfm_history).
TEST_F(Replicas, AFrozenReplicaWhoseSessionsWereEndedAppliesNothingTwiceWhenItWakesUp) {
    frozen_replica_scenario(freeze_mode::cut_its_sessions);
}

}  // namespace
