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
    return list;
}

}  // namespace bfm::state
