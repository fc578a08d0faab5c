#pragma once
// What the read endpoints of one migration (and the recent-activity lists) answer: its detail,
// its state per target, its history, and the skips recorded for it. Shared by the engine and
// the HTTP (later gRPC) layer.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/migration.hpp"

namespace bfm::core {

// Which targets a read is about, and which page of a list. Empty strings mean "any".
struct read_query {
    std::string schema;
    std::string connection;
    std::string action;       // history only: one action (up, down, rollback, ..., skip)
    std::size_t limit = 100;  // 1..1000
    std::size_t offset = 0;
};

// The current state of a migration on one target: a bfm_migrations row (upstream's
// `migrations_executions` row).
struct target_state {
    std::string migration_id;
    std::string connection;
    std::string schema;
    std::string table;
    std::string version;
    std::string name;
    std::string backend;
    std::string status;  // pending|running|applied|failed|rolled_back|missing
    std::string checksum;
    std::string applied_at;  // RFC 3339 UTC; empty when not applied
    std::string created_at;
    std::string updated_at;
    std::string error_message;
    std::string job_id;
    std::int64_t execution_ms = 0;
    bool recorded = true;  // false: nothing recorded there yet (shown as pending)
};

// A migration's state over the targets a read is about: one target (a fixed migration, or a
// schema given), or every recorded target of a dynamic migration. `status` is the most
// pressing status among them (failed, running, rolled_back, pending, missing, then applied),
// so `applied` is true only when every one of them is applied.
struct state_summary {
    std::string connection;  // the migration's connection
    std::string schema;      // the target's schema; empty: all recorded targets
    std::string status = "pending";
    bool applied = false;
    std::string applied_at;     // the latest application among them
    std::string error_message;  // of the most recently updated failed target
    std::map<std::string, std::int64_t> targets;  // status -> number of targets
};

struct migration_detail {
    std::string migration_id;  // canonical
    bool known = true;         // false: its files are gone; only recorded state is left
    std::string backend;
    std::string connection;
    std::string version;
    std::string name;
    std::string schema;  // declared; empty for a dynamic migration
    std::string table;
    std::string checksum;
    std::string up_sql;  // raw file content (templates unrendered)
    std::optional<std::string> down_sql;
    std::string up_path;
    std::optional<std::string> down_path;
    std::vector<dependency> dependencies;
    std::vector<std::string> depends_schemas;
    std::vector<tag> tags;
    bool transactional = true;
    state_summary state;
};

struct status_report {
    std::string migration_id;
    state_summary state;
};

struct applied_report {
    std::string migration_id;
    bool applied = false;  // applied on every target of the answer (and there is at least one)
    std::vector<target_state> targets;  // the requested page, ordered by connection and schema
    std::size_t total = 0;
};

// One bfm_history row.
struct history_entry {
    std::int64_t id = 0;
    std::string attempt_id;
    std::string migration_id;
    std::string connection;
    std::string schema;
    std::string table;  // from the registry ("" when unknown)
    std::string version;
    std::string backend;
    std::string action;  // up|down|rollback|baseline|force|repair|skip|reconcile
    std::string status;
    std::string error_message;
    std::string checksum;
    std::string started_at;
    std::string finished_at;
    std::int64_t duration_ms = 0;
    std::string executed_by;
    std::string execution_method;
    std::string execution_context;  // JSON text
    std::string job_id;
    std::optional<std::int64_t> statement_index;
    std::string skip_reason;  // skip rows: why ("already applied", ...)
};

struct history_page {
    std::string migration_id;  // empty for the recent lists
    std::vector<history_entry> items;
    std::size_t total = 0;
};

struct state_page {
    std::string migration_id;  // empty for the recent list
    std::vector<target_state> items;
    std::size_t total = 0;
};

}  // namespace bfm::core
