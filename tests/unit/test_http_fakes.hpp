#pragma once
// Test doubles for the HTTP unit tests: a fake of OUR migration_service interface (records what
// the router asked for, answers with canned results) and helpers to drive coroutines.

#include <algorithm>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/service.hpp"
#include "net/json_response.hpp"

namespace bfm::test {

inline constexpr const char* test_token = "s3cret-token-0123456789";

inline core::app_config make_test_config() {
    core::app_config config;
    config.api_token = test_token;
    config.http_address = "127.0.0.1";
    config.http_port = 0;
    auto add = [&](std::string name, std::string prefix, std::string schema) {
        core::connection_config c;
        c.name = std::move(name);
        c.env_prefix = std::move(prefix);
        c.backend = "postgresql";
        c.schema = std::move(schema);
        config.connections.push_back(std::move(c));
    };
    add("core", "CORE", "core");
    add("guard", "GUARD", "guard");
    add("organization", "ORGANIZATION", "");
    return config;
}

class fake_service : public core::migration_service {
public:
    // The event bus runs on a private io_context that nobody runs: enough for tests that never
    // wait on it. Tests that stream events pass their io_context's executor instead.
    fake_service() : fake_service(boost::asio::any_io_executor{}) {}
    explicit fake_service(boost::asio::any_io_executor bus_executor,
                          std::size_t max_queued_events = 10000)
        : config_(make_test_config()) {
        if (!bus_executor) bus_executor = bus_context_.get_executor();
        bus_ = std::make_unique<core::event_bus>(bus_executor, max_queued_events);
        next_health.healthy = true;
        next_health.checks["state"] = "ok";
        next_ready.ready = true;
        next_ready.checks["state"] = "ok";
        next_fleet.value = core::target_page{};
        next_job_counts.value = core::job_status_counts{};
        next_run.value = core::run_result{};
        next_list.value = core::list_page{};
    }

    const core::app_config& config() const override { return config_; }

    boost::asio::awaitable<core::service_outcome<core::run_result>> migrate_up(
        core::job_request request) override {
        requests.push_back(std::move(request));
        if (throw_on_migrate) throw std::runtime_error("boom: engine exploded");
        co_return next_run;
    }

    boost::asio::awaitable<core::service_outcome<core::list_page>> list_migrations(
        core::list_query query) override {
        queries.push_back(std::move(query));
        co_return next_list;
    }

    boost::asio::awaitable<core::health_report> health() override { co_return next_health; }

    // Operations views: canned answers; target queries are recorded.
    boost::asio::awaitable<core::readiness_report> readiness() override { co_return next_ready; }
    boost::asio::awaitable<std::vector<core::connection_status>> connections() override {
        co_return next_connections;
    }
    boost::asio::awaitable<core::service_outcome<core::target_page>> targets(
        core::target_query query) override {
        fleet_queries.push_back(std::move(query));
        co_return next_fleet;
    }
    boost::asio::awaitable<core::service_outcome<core::job_status_counts>> job_counts() override {
        co_return next_job_counts;
    }
    core::readiness_report next_ready;
    std::vector<core::connection_status> next_connections;
    std::vector<core::target_query> fleet_queries;
    core::service_outcome<core::target_page> next_fleet;
    core::service_outcome<core::job_status_counts> next_job_counts;

    // Migrations resolve_migration() knows, by any ID the test uses for them.
    std::map<std::string, core::migration_ref> known_migrations;
    std::optional<core::migration_ref> resolve_migration(std::string_view id) const override {
        auto it = known_migrations.find(std::string(id));
        if (it == known_migrations.end()) return std::nullopt;
        return it->second;
    }

    core::order_batch_result order_batch(const std::string& connection,
                                         const std::vector<std::string>& ids) override {
        order_calls.emplace_back(connection, ids);
        return next_order;
    }

    boost::asio::awaitable<reindex_outcome> reindex(std::string path) override {
        reindex_paths.push_back(std::move(path));
        co_return next_reindex;
    }

    // Migration reads: every call is recorded; `next_read_error`, when set, answers them all.
    struct read_call {
        std::string endpoint;
        std::string id;
        core::read_query query;
    };
    std::vector<read_call> read_calls;
    std::optional<core::service_error> next_read_error;
    core::migration_detail next_detail;
    core::status_report next_status;
    core::applied_report next_applied;
    core::history_page next_history;
    core::state_page next_executions;
    core::history_page next_skipped;

    template <class T>
    core::service_outcome<T> read_answer(std::string endpoint, std::string id,
                                         core::read_query query, const T& value) {
        read_calls.push_back({std::move(endpoint), std::move(id), std::move(query)});
        if (next_read_error) return {std::nullopt, next_read_error};
        return {value, std::nullopt};
    }
    boost::asio::awaitable<core::service_outcome<core::migration_detail>> get_migration(
        std::string id, core::read_query query) override {
        co_return read_answer("detail", std::move(id), std::move(query), next_detail);
    }
    boost::asio::awaitable<core::service_outcome<core::status_report>> migration_status(
        std::string id, core::read_query query) override {
        co_return read_answer("status", std::move(id), std::move(query), next_status);
    }
    boost::asio::awaitable<core::service_outcome<core::applied_report>> migration_applied(
        std::string id, core::read_query query) override {
        co_return read_answer("applied", std::move(id), std::move(query), next_applied);
    }
    boost::asio::awaitable<core::service_outcome<core::history_page>> migration_history(
        std::string id, core::read_query query) override {
        co_return read_answer("history", std::move(id), std::move(query), next_history);
    }
    boost::asio::awaitable<core::service_outcome<core::state_page>> migration_executions(
        std::string id, core::read_query query) override {
        co_return read_answer("executions", std::move(id), std::move(query), next_executions);
    }
    boost::asio::awaitable<core::service_outcome<core::history_page>> migration_skipped(
        std::string id, core::read_query query) override {
        co_return read_answer("skipped", std::move(id), std::move(query), next_skipped);
    }
    boost::asio::awaitable<core::service_outcome<core::state_page>> recent_executions(
        core::read_query query) override {
        co_return read_answer("recent_executions", "", std::move(query), next_executions);
    }
    boost::asio::awaitable<core::service_outcome<core::history_page>> recent_skipped(
        core::read_query query) override {
        co_return read_answer("recent_skipped", "", std::move(query), next_skipped);
    }

    boost::asio::awaitable<core::service_outcome<core::job_summary>> submit_job(
        core::job_request request, core::job_options options) override {
        requests.push_back(std::move(request));
        job_options.push_back(options);
        co_return next_job;
    }
    // Answers `job_sequence` front to back while it lasts, then `next_job`; `on_get_job` runs
    // first (e.g. to publish an event while a stream reads its snapshot).
    boost::asio::awaitable<core::service_outcome<core::job_summary>> get_job(
        std::string job_id) override {
        job_ids.push_back(job_id);
        ++get_job_calls;
        if (on_get_job) on_get_job(job_id);
        if (!job_sequence.empty()) {
            core::service_outcome<core::job_summary> out = std::move(job_sequence.front());
            job_sequence.pop_front();
            co_return out;
        }
        co_return next_job;
    }
    boost::asio::awaitable<core::service_outcome<core::job_page>> list_jobs(
        core::job_list_query query) override {
        job_queries.push_back(query);
        co_return next_jobs;
    }
    // `next_targets` when it holds a value or an error; otherwise a page of `target_rows`
    // filtered and sliced by the query, as a store would.
    boost::asio::awaitable<core::service_outcome<core::job_target_page>> job_targets(
        std::string job_id, core::job_target_query query) override {
        job_ids.push_back(std::move(job_id));
        target_queries.push_back(query);
        if (next_targets.value || next_targets.error) co_return next_targets;
        std::vector<core::job_target_row> matching;
        for (const auto& row : target_rows) {
            if (!query.status || row.status == *query.status) matching.push_back(row);
        }
        core::job_target_page page;
        page.total = matching.size();
        const std::size_t begin = std::min(query.offset, matching.size());
        const std::size_t end = std::min(matching.size(), begin + query.limit);
        page.items.assign(matching.begin() + static_cast<std::ptrdiff_t>(begin),
                          matching.begin() + static_cast<std::ptrdiff_t>(end));
        core::service_outcome<core::job_target_page> out;
        out.value = std::move(page);
        co_return out;
    }
    boost::asio::awaitable<core::service_outcome<core::job_summary>> cancel_job(
        std::string job_id) override {
        job_ids.push_back(std::move(job_id));
        ++cancel_calls;
        co_return next_cancel ? *next_cancel : next_job;
    }
    core::event_bus& events() override { return *bus_; }

    core::app_config config_;
    boost::asio::io_context bus_context_;
    std::unique_ptr<core::event_bus> bus_;
    std::vector<core::job_options> job_options;
    std::vector<std::string> job_ids;
    std::vector<core::job_list_query> job_queries;
    std::vector<core::job_target_query> target_queries;
    core::service_outcome<core::job_summary> next_job;
    core::service_outcome<core::job_page> next_jobs;
    core::service_outcome<core::job_target_page> next_targets;
    std::vector<core::job_target_row> target_rows;
    std::deque<core::service_outcome<core::job_summary>> job_sequence;
    std::optional<core::service_outcome<core::job_summary>> next_cancel;
    std::function<void(const std::string&)> on_get_job;
    int get_job_calls = 0;
    int cancel_calls = 0;
    std::vector<core::job_request> requests;
    std::vector<core::list_query> queries;
    core::service_outcome<core::run_result> next_run;
    core::service_outcome<core::list_page> next_list;
    core::health_report next_health;
    std::vector<std::pair<std::string, std::vector<std::string>>> order_calls;
    core::order_batch_result next_order;
    std::vector<std::string> reindex_paths;
    reindex_outcome next_reindex;
    bool throw_on_migrate = false;
};

// Runs one awaitable to completion on `ioc` and returns its value (rethrowing its exception).
template <class T>
T run_awaitable(boost::asio::io_context& ioc, boost::asio::awaitable<T> awaitable) {
    std::optional<T> result;
    std::exception_ptr error;
    boost::asio::co_spawn(ioc, std::move(awaitable), [&](std::exception_ptr e, T value) {
        error = e;
        if (!e) result = std::move(value);
    });
    ioc.restart();
    ioc.run();
    if (error) std::rethrow_exception(error);
    if (!result) throw std::logic_error("awaitable did not complete");
    return std::move(*result);
}

// A JSON value as text, for comparisons: strings unquoted, anything else serialised in <...>.
inline std::string str(const boost::json::value& v) {
    if (v.is_string()) return std::string(v.get_string());
    return "<" + boost::json::serialize(v) + ">";
}

inline boost::json::object body_of(const net::http_response& res) {
    return boost::json::parse(res.body()).as_object();
}

}  // namespace bfm::test
