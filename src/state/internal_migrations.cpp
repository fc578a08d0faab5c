#include "state/internal_migrations.hpp"

#include "backends/postgresql/pg_quote.hpp"

namespace bfm::state {

std::vector<internal_migration> internal_migrations(std::string_view schema) {
    const std::string s = pg::quote_ident(schema) + ".";
    std::vector<internal_migration> list;

    // Current state per target. The primary key is the target + migration: the schema is a
    // column of its own, never folded into the ID (upstream's bug). Deleting a row makes the
    // migration run again for that target, as the original guide says.
    list.push_back({1, "bfm_migrations and bfm_history",
                    "CREATE TABLE " + s + R"(bfm_migrations (
    migration_id  text        NOT NULL,
    connection    text        NOT NULL,
    schema        text        NOT NULL,
    table_name    text        NOT NULL DEFAULT '',
    version       text        NOT NULL,
    name          text        NOT NULL,
    backend       text        NOT NULL,
    status        text        NOT NULL CHECK (status IN
                      ('pending','running','applied','failed','rolled_back','missing')),
    checksum      text,
    applied_at    timestamptz,
    execution_ms  bigint,
    error_message text,
    job_id        text,
    attempt_id    uuid,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (migration_id, connection, schema)
);
CREATE INDEX bfm_migrations_target_idx ON )"
                        + s +
                        R"(bfm_migrations (connection, schema);
CREATE INDEX bfm_migrations_status_idx ON )"
                        + s +
                        R"(bfm_migrations (status);
CREATE TABLE )" + s + R"(bfm_history (
    id                bigserial   PRIMARY KEY,
    attempt_id        uuid        NOT NULL,
    migration_id      text        NOT NULL,
    connection        text        NOT NULL,
    schema            text        NOT NULL,
    version           text        NOT NULL,
    backend           text        NOT NULL,
    action            text        NOT NULL CHECK (action IN
                          ('up','down','rollback','baseline','force','repair','skip','reconcile')),
    status            text        NOT NULL,
    error_message     text,
    checksum          text,
    started_at        timestamptz NOT NULL,
    finished_at       timestamptz,
    duration_ms       bigint,
    executed_by       text        NOT NULL,
    execution_method  text        NOT NULL,
    execution_context jsonb       NOT NULL DEFAULT '{}'::jsonb,
    job_id            text,
    statement_index   integer
);
CREATE INDEX bfm_history_target_idx ON )"
                        + s +
                        R"(bfm_history (migration_id, connection, schema, id DESC);
CREATE INDEX bfm_history_started_idx ON )"
                        + s +
                        R"(bfm_history (started_at DESC);
CREATE INDEX bfm_history_attempt_idx ON )"
                        + s +
                        R"(bfm_history (attempt_id);
-- History is append-only: no foreign keys that could cascade a delete into it.
)"});
    // Durable jobs (SPEC 6). The target rows are the queue: replicas claim them with
    // FOR UPDATE SKIP LOCKED; a claim carries a fencing token and a lease that the claimer's
    // heartbeat extends, so a dead replica's targets are taken over once the lease expires.
    list.push_back({2, "bfm_jobs, bfm_job_targets, bfm_locks, bfm_statement_progress",
                    "CREATE TABLE " + s + R"(bfm_jobs (
    job_id             text        PRIMARY KEY,
    kind               text        NOT NULL DEFAULT 'up',
    status             text        NOT NULL CHECK (status IN
                           ('queued','running','succeeded','failed','partial','cancelled')),
    connection         text        NOT NULL,
    request            jsonb       NOT NULL,
    on_error           text        NOT NULL DEFAULT 'continue' CHECK (on_error IN ('continue','stop')),
    max_failures       bigint      NOT NULL DEFAULT 0,
    cancel_requested   boolean     NOT NULL DEFAULT false,
    stopped            boolean     NOT NULL DEFAULT false,
    targets_total      bigint      NOT NULL DEFAULT 0,
    targets_done       bigint      NOT NULL DEFAULT 0,
    targets_failed     bigint      NOT NULL DEFAULT 0,
    migrations_applied bigint      NOT NULL DEFAULT 0,
    migrations_skipped bigint      NOT NULL DEFAULT 0,
    migrations_failed  bigint      NOT NULL DEFAULT 0,
    submitted_by       text        NOT NULL,
    execution_method   text        NOT NULL,
    error              text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    started_at         timestamptz,
    finished_at        timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bfm_jobs_active_idx ON )" + s + R"(bfm_jobs (job_id) WHERE status IN ('queued','running');
CREATE INDEX bfm_jobs_status_idx ON )" + s + R"(bfm_jobs (status, job_id DESC);
CREATE TABLE )" + s + R"(bfm_job_targets (
    job_id            text        NOT NULL REFERENCES )" + s + R"(bfm_jobs (job_id) ON DELETE CASCADE,
    seq               integer     NOT NULL,
    connection        text        NOT NULL,
    schema            text        NOT NULL,
    status            text        NOT NULL CHECK (status IN
                          ('queued','running','succeeded','failed','cancelled')),
    current_migration text,
    error             text,
    claimed_by        text,
    claim_token       bigint      NOT NULL DEFAULT 0,
    lease_expires_at  timestamptz,
    attempts          integer     NOT NULL DEFAULT 0,
    started_at        timestamptz,
    finished_at       timestamptz,
    duration_ms       bigint      NOT NULL DEFAULT 0,
    applied           bigint      NOT NULL DEFAULT 0,
    skipped           bigint      NOT NULL DEFAULT 0,
    failed            bigint      NOT NULL DEFAULT 0,
    migrations        jsonb,
    PRIMARY KEY (job_id, seq)
);
CREATE INDEX bfm_job_targets_open_idx ON )" + s + R"(bfm_job_targets (connection, job_id, seq)
    WHERE status IN ('queued','running');
CREATE INDEX bfm_job_targets_claimed_idx ON )" + s + R"(bfm_job_targets (claimed_by)
    WHERE status = 'running';
CREATE SEQUENCE )" + s + R"(bfm_fencing_tokens;
CREATE TABLE )" + s + R"(bfm_locks (
    connection  text        NOT NULL,
    schema      text        NOT NULL,
    holder      text        NOT NULL,
    token       bigint      NOT NULL,
    job_id      text,
    acquired_at timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (connection, schema)
);
CREATE TABLE )" + s + R"(bfm_statement_progress (
    connection      text        NOT NULL,
    schema          text        NOT NULL,
    migration_id    text        NOT NULL,
    checksum        text        NOT NULL,
    statements_done integer     NOT NULL,
    job_id          text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connection, schema, migration_id)
);
)"});
    // Planning reads the state of a target's schemas on any connection (load_schemas): without
    // an index led by schema that is a scan of every row, once per target of a fan-out.
    list.push_back({3, "bfm_migrations schema index",
                    "CREATE INDEX bfm_migrations_schema_idx ON " + s + "bfm_migrations (schema)"});
    // The read endpoints (upstream's executions and skipped lists): when a target's state row
    // was first written (rows older than this column get their first history row's time), and
    // the recent skips without a scan of the whole history.
    list.push_back({4, "bfm_migrations.created_at, bfm_history skip index",
                    "ALTER TABLE " + s + "bfm_migrations ADD COLUMN created_at timestamptz"
                    " NOT NULL DEFAULT now(); UPDATE " + s + "bfm_migrations m SET created_at ="
                    " coalesce((SELECT min(h.started_at) FROM " + s + "bfm_history h"
                    " WHERE h.migration_id = m.migration_id AND h.connection = m.connection"
                    " AND h.schema = m.schema), m.updated_at); CREATE INDEX bfm_history_skip_idx"
                    " ON " + s + "bfm_history (id DESC) WHERE action = 'skip'"});
    return list;
}

}  // namespace bfm::state
