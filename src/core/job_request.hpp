#pragma once
// A validated, normalised request to change targets, whatever API it came from (DESIGN: data
// flow). Built from the raw API fields by normalise_request().

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/target_filter.hpp"

namespace bfm::core {

enum class execution_method { api, grpc, cli, dashboard, auto_migrate };
std::string_view to_string(execution_method m);

// Who asked, recorded in history (SPEC 5.1).
struct execution_origin {
    execution_method method = execution_method::api;
    std::string executed_by = "api_user";
    std::string context_json = "{}";  // e.g. {"endpoint":"/api/v1/migrate","method":"POST"}
};

// The fields the APIs accept, before validation. Empty optionals mean "not given".
struct raw_up_request {
    target_filter target;              // target.* fields; version text kept in target.version
    std::string target_version_text;   // as given: "", "20250101120000" or "<=20250101120000"
    std::string connection;            // request connection (falls back to target.connection)
    std::string schema;                // one schema (also `schema_name`)
    std::vector<std::string> schemas;  // many schemas
    std::string environment;           // -> "{prefix}{environment}"
    std::vector<std::string> environments;  // each -> "{prefix}{environment}"
    std::string schema_selector_like;       // schema_selector.like: existing schemas LIKE this
    bool dry_run = false;
    bool ignore_dependencies = false;
    std::vector<std::string> tags;         // target.tags, "key=value"
    bool allow_modified = false;
    bool strict_order = false;
};

// What a job does to each target (SPEC 3, 6). `down` and `rollback` revert applied migrations
// the same way; they differ in how they are asked for (a count or version, or named IDs) and in
// the action recorded in history. `baseline`, `force` and `repair` are operator fixes: they
// change recorded state only, never run SQL on the target.
enum class job_kind { up, down, rollback, baseline, force, repair };
bool is_revert(job_kind k);
bool is_operator_fix(job_kind k);
std::string_view to_string(job_kind k);
std::optional<job_kind> job_kind_from(std::string_view text);

// Which applied migrations a down / rollback reverts on each target, newest first. Exactly one of
// steps, to_version and migration_ids is given.
struct revert_spec {
    std::int64_t steps = 0;                  // the N most recently applied
    std::string to_version;                  // every applied one with a higher version
    std::vector<std::string> migration_ids;  // exactly these (canonical IDs)
    bool cascade = false;  // also revert the applied migrations that depend on them
};

// An operator fix (SPEC 3), per target; the reason goes to history with every row it writes.
struct fix_spec {
    std::string to_version;    // baseline: every selected migration up to this version applied
    std::string migration_id;  // force: this migration (canonical ID) ...
    std::string status;        // force: ... gets this state: applied|pending|failed|rolled_back
    std::string reason;        // required for every fix
};

struct job_request {
    job_kind kind = job_kind::up;
    revert_spec revert;  // down / rollback only
    fix_spec fix;        // baseline / force / repair only
    target_filter filter;    // includes filter.connection == connection
    std::string connection;  // the configured connection to run on
    // Run schemas. Empty means "each selected migration in its declared schema, or the
    // connection's {CONN}_SCHEMA"; a dynamic migration without any schema is an error then.
    std::vector<std::string> schemas;
    bool dry_run = false;
    bool ignore_dependencies = false;
    bool allow_modified = false;  // applied migrations whose file changed are skipped, not refused
    bool strict_order = false;    // refuse pending migrations older than the newest applied one
    std::string environment;      // as given, for {{.Environment}}; else derived from the schema
    // SPEC 4: every existing schema of the connection matching this LIKE pattern is a target
    // too, discovered when the request runs (names failing the schema rule are reported).
    std::string schema_selector_like;
    execution_origin origin;
};

// A client mistake: `field` names the offending request field ("schemas[2]", "connection").
struct request_error {
    std::string code;  // snake_case, e.g. "invalid_schema", "unknown_connection"
    std::string field;
    std::string message;  // names the value and what is wrong
};

struct normalise_result {
    std::optional<job_request> request;
    std::optional<request_error> error;
};

// Validates connection (must be configured), schema names (SPEC 4 rule), environment (same rule
// after the prefix is added), the version filter and the consistency of schema/environment.
normalise_result normalise_request(const raw_up_request& raw, const app_config& config,
                                   execution_origin origin);

}  // namespace bfm::core
