#pragma once
// What the network layer (HTTP now, gRPC later) needs from the engine. The router depends on
// this interface only, so its error paths can be unit-tested without databases.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/job_request.hpp"

namespace bfm::core {

enum class migration_outcome { applied, skipped, failed, would_apply };
std::string_view to_string(migration_outcome o);

struct migration_result {
    std::string migration_id;
    migration_outcome outcome = migration_outcome::skipped;
    std::string error;  // when failed: what happened (SQLSTATE and server message)
    std::int64_t duration_ms = 0;
};

struct target_result {
    std::string connection;
    std::string schema;
    std::vector<migration_result> migrations;  // in execution order
    std::string error;  // target-level failure (connect, create schema, plan)
    bool ok() const;
};

struct run_result {
    std::vector<target_result> targets;
    bool success() const;
};

struct list_query {
    std::string schema;  // exact, or a comma-separated list
    std::string table;
    std::string connection;
    std::string backend;
    std::string status;  // pending|applied|failed|rolled_back|missing
    std::string version;
    std::size_t limit = 100;  // 1..1000
    std::size_t offset = 0;
};

struct migration_row {
    std::string migration_id;
    std::string schema;
    std::string table;
    std::string version;
    std::string name;
    std::string connection;
    std::string backend;
    std::string status;
    std::string applied_at;  // RFC 3339 UTC, empty when never applied
    std::string error_message;
    std::string checksum;
    std::int64_t execution_ms = 0;
};

struct list_page {
    std::vector<migration_row> items;
    std::size_t total = 0;
};

struct health_report {
    bool healthy = false;
    std::map<std::string, std::string> checks;  // "state" -> "ok" or the error
};

// A failure of the service itself (state DB unreachable...), not of a migration.
struct service_error {
    std::string code;
    std::string message;
};

template <class T>
struct service_outcome {
    std::optional<T> value;
    std::optional<service_error> error;
};

class migration_service {
public:
    virtual ~migration_service() = default;
    virtual const app_config& config() const = 0;
    virtual boost::asio::awaitable<service_outcome<run_result>> migrate_up(job_request request) = 0;
    virtual boost::asio::awaitable<service_outcome<list_page>> list_migrations(
        list_query query) = 0;
    virtual boost::asio::awaitable<health_report> health() = 0;
};

}  // namespace bfm::core
