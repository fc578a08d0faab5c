#pragma once
// Configuration from the environment (SPEC 10). Parsing is a pure function of a variable map so
// it can be unit-tested; every invalid value is reported naming the variable.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bfm::core {

using env_map = std::map<std::string, std::string>;

// Where a database lives and how to log in. The password never appears in describe().
struct db_endpoint {
    std::string host = "localhost";
    std::uint16_t port = 5432;
    std::string username = "postgres";
    std::string password;
    std::string database;
    std::string sslmode = "prefer";  // libpq sslmode passthrough ({CONN}_SSLMODE)

    // "postgres@localhost:5432/db" — no password, for logs and API answers.
    std::string describe() const;
};

struct connection_config {
    std::string name;        // lower-case connection name ("core" from CORE_BACKEND)
    std::string env_prefix;  // "CORE", for messages naming variables
    std::string backend;     // canonical backend ("postgresql")
    db_endpoint endpoint;
    std::string schema;       // {CONN}_SCHEMA: default schema for fixed migrations; may be empty
    int max_connections = 4;  // {CONN}_MAX_CONNECTIONS
    bool ledger = true;       // {CONN}_LEDGER (SPEC 5.2)
};

struct state_config {
    std::string backend = "postgresql";  // BFM_STATE_BACKEND
    db_endpoint endpoint;                // BFM_STATE_DB_*; database defaults to migration_state
    std::string schema = "public";       // BFM_STATE_SCHEMA
};

struct app_config {
    std::uint16_t http_port = 7070;        // BFM_HTTP_PORT
    std::string http_address = "0.0.0.0";  // BFM_HTTP_ADDRESS
    std::uint16_t grpc_port = 9090;        // BFM_GRPC_PORT
    std::string api_token;                 // BFM_API_TOKEN (required): an admin token
    std::string api_tokens_file;  // BFM_API_TOKENS_FILE: `<role> <token>` lines (net/auth.hpp)
    bool metrics_public = true;   // BFM_METRICS_PUBLIC: false = /metrics needs a viewer token
    state_config state;
    std::string sfm_path = "./sfm";  // BFM_SFM_PATH
    bool sfm_path_set = false;       // BFM_SFM_PATH given: the disk tree wins over an embedded one
    std::chrono::milliseconds reload_interval{0};  // BFM_RELOAD_INTERVAL: re-scan period, 0 = off
    std::vector<connection_config> connections;    // sorted by name

    std::string tenant_schema_prefix = "cli_";     // BFM_TENANT_SCHEMA_PREFIX
    std::chrono::milliseconds lock_timeout{5000};  // BFM_LOCK_TIMEOUT
    int retry_max = 5;  // BFM_RETRY_MAX: retries of lock timeouts and serialization failures
    std::size_t max_parallel = 64;  // BFM_MAX_PARALLEL: targets migrated at once, all connections
    std::chrono::milliseconds statement_timeout{0};      // BFM_STATEMENT_TIMEOUT (0 = none)
    std::chrono::milliseconds lock_lease{30000};         // BFM_LOCK_LEASE: target/claim leases
    std::chrono::milliseconds job_poll_interval{1000};   // BFM_JOB_POLL_INTERVAL: queue polling
    std::chrono::milliseconds shutdown_grace{30000};     // BFM_SHUTDOWN_GRACE
    std::string instance_id;  // BFM_INSTANCE_ID: holder name of leases; default host-pid-random
    std::chrono::milliseconds connect_timeout{5000};     // BFM_CONNECT_TIMEOUT
    std::chrono::milliseconds http_read_timeout{30000};  // BFM_HTTP_READ_TIMEOUT
    std::size_t http_body_limit = 1024 * 1024;           // BFM_HTTP_BODY_LIMIT (bytes)
    std::size_t http_max_connections = 1024;             // BFM_HTTP_MAX_CONNECTIONS
    std::string log_level = "info";                      // BFM_LOG_LEVEL
    std::string log_format = "text";                     // BFM_LOG_FORMAT: text|json

    const connection_config* find_connection(std::string_view name) const;
};

struct config_result {
    app_config config;
    std::vector<std::string> errors;  // each names the variable and says what is wrong
    bool ok() const { return errors.empty(); }
};

config_result parse_config(const env_map& env);

// The process environment, merged over the dotenv file named by BFM_CONFIG when set
// (the environment wins). A file that cannot be read or parsed is reported in `errors`.
env_map read_environment(std::vector<std::string>& errors);

// Parses the dotenv text of `file_name`: KEY=VALUE lines, `#` comments, an optional `export `
// prefix and optional single or double quotes around the value. Bad lines are reported in
// `errors` as "file:line: ..." without echoing the line (it may hold a secret).
env_map parse_dotenv(std::string_view content, const std::string& file_name,
                     std::vector<std::string>& errors);

// Parses "250ms", "5s", "10m", "1h", sums of them ("1h30m") or a bare number of seconds.
// nullopt for negative, fractional, unknown-unit or overflowing values.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace bfm::core
