#pragma once
// Runs one target of a request: reads its recorded state, plans (SPEC 2), and either shows the
// plan (dry run) or executes it step by step (SPEC 3), recording every attempt.

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "backends/postgresql/pg_pool.hpp"
#include "backends/postgresql/pg_target.hpp"
#include "core/engine/state_snapshot.hpp"
#include "core/engine/target_control.hpp"
#include "core/engine/target_locks.hpp"
#include "core/jobs/job_types.hpp"
#include "state/job_store.hpp"
#include "core/job_request.hpp"
#include "core/planner.hpp"
#include "core/revert_planner.hpp"
#include "core/service.hpp"
#include "state/state_store.hpp"

namespace bfm::core {

using pool_map = std::map<std::string, std::shared_ptr<pg::pool>>;  // by connection name

// What a run inside a job adds: leases, stop requests, events and statement progress. A run
// without hooks (dry runs and plans) takes no lease and publishes nothing.
struct run_hooks {
    std::string job_id;
    target_locks* locks = nullptr;
    target_control* control = nullptr;
    state::job_store* progress = nullptr;  // resume points of `transaction off` migrations
    std::function<void(job_event)> publish;
};

class target_runner {
public:
    // `preloaded`: state rows already read for this target (and others); null = read them.
    target_runner(const app_config& config, const registry& registry, state::state_store& store,
                  const pool_map& pools, const job_request& request,
                  std::shared_ptr<const state_snapshot::table> preloaded = nullptr,
                  run_hooks hooks = {});

    boost::asio::awaitable<target_result> run(const std::string& connection,
                                              const std::string& schema,
                                              const std::vector<const migration*>& selected);

private:
    using place = std::pair<std::string, std::string>;  // (connection, schema) a step runs in
    using session_map = std::map<place, std::unique_ptr<pg::target_session>>;
    std::map<place, std::int64_t> leases_;  // fencing tokens of the leases this run holds

    boost::asio::awaitable<std::string> load_snapshot(const std::string& schema);
    target_plan make_plan(const std::string& connection, const std::string& schema,
                          const std::vector<const migration*>& selected) const;
    // Sessions for these places that have none yet: leased, locked and the schema created,
    // unless read_only.
    boost::asio::awaitable<std::string> open_places(const std::set<place>& places,
                                                    session_map& sessions, bool read_only);
    bool plans_without_state(const std::string& connection, const std::string& schema,
                             const std::vector<const migration*>& selected);
    boost::asio::awaitable<std::string> lock_and_replan(
        target_plan& plan, session_map& sessions, bool state_is_fresh,
        const std::string& connection, const std::string& schema,
        const std::vector<const migration*>& selected);
    // Folds ledger rows whose state write was lost into the snapshot (and, when `write`, into
    // the state store). Sets `changed` when it found any.
    // `seen`, when given, receives the ledger rows read.
    boost::asio::awaitable<std::string> reconcile(const place& where, pg::target_session& session,
                                                  bool& changed, bool write,
                                                  std::vector<pg::ledger_entry>* seen = nullptr);
    boost::asio::awaitable<std::string> check_requirements(const target_plan& plan,
                                                           session_map& sessions);
    boost::asio::awaitable<void> execute(const target_plan& plan, session_map& sessions,
                                         target_result& result);
    // Retries lock timeouts, serialization failures and deadlocks (SPEC 3, BFM_RETRY_MAX).
    // `revert`: the script is the step's down script (down / rollback jobs).
    boost::asio::awaitable<pg::status> apply_with_retries(pg::target_session& session,
                                                          const plan_step& step,
                                                          const std::string& script,
                                                          const std::string& attempt_id,
                                                          bool revert = false);
    // Down / rollback (SPEC 3): the target's applied migrations, reverted newest first.
    boost::asio::awaitable<target_result> run_revert(const std::string& connection,
                                                     const std::string& schema,
                                                     const std::vector<const migration*>& selected);
    // Applied migrations of `where` among `selected`, with the attempts that applied them.
    boost::asio::awaitable<std::string> applied_here(const place& where,
                                                     pg::target_session& session,
                                                     const std::vector<const migration*>& selected,
                                                     std::vector<applied_migration>& out,
                                                     std::vector<pg::ledger_entry>& ledger);
    // Baseline / force / repair (SPEC 3): recorded state only, under the target's lease.
    boost::asio::awaitable<target_result> run_fix(const std::string& connection,
                                                  const std::string& schema,
                                                  const std::vector<const migration*>& selected);
    boost::asio::awaitable<void> execute_revert(const std::vector<const migration*>& order,
                                                const place& where, pg::target_session& session,
                                                target_result& result);
    // A `transaction off` migration: resumes after the statements an earlier attempt ran and
    // records each one that succeeds.
    boost::asio::awaitable<pg::status> apply_statements(pg::target_session& session,
                                                        const plan_step& step,
                                                        const std::string& script,
                                                        const std::string& attempt_id);
    void publish(job_event_type type, const plan_step* step, std::string status = {},
                 std::string error = {}, std::int64_t duration_ms = 0,
                 std::int64_t statement_index = -1) const;
    boost::asio::awaitable<void> close_all(session_map& sessions);
    std::int64_t lease_token(const place& where) const;  // 0 when no lease is held there
    // Writes the attempts in one statement; an error message (empty when written).
    boost::asio::awaitable<std::string> flush_records(std::vector<state::attempt_record>& records);
    pg::target_options options_for(const std::string& connection) const;

    const app_config& config_;
    const registry& registry_;
    state::state_store& store_;
    const pool_map& pools_;
    const job_request& request_;
    std::shared_ptr<const state_snapshot::table> preloaded_;
    std::unique_ptr<state_snapshot> snapshot_;
    run_hooks hooks_;
    std::string log_prefix_;  // "job <id>: " so every line about a job names it (SPEC 13)
};

// Schemas whose state a plan for these targets may read: theirs and every declared schema.
std::vector<std::string> schemas_to_read(const registry& reg,
                                         const std::vector<std::string>& target_schemas);

}  // namespace bfm::core
