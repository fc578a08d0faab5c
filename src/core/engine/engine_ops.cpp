// engine: the operations views (readiness, connections, fleet of targets, job counts).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/engine/engine.hpp"
#include "state/fleet_store.hpp"

namespace bfm::core {
namespace asio = boost::asio;

namespace {

// A connection check must answer a dashboard quickly, even when a target is down.
constexpr std::chrono::milliseconds connection_check_timeout{2000};

// Server messages do not carry the password; this is a second fence for odd ones that echo
// connection strings.
std::string without_secret(std::string text, const std::string& secret) {
    if (secret.size() < 4) return text;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
        text.replace(at, secret.size(), "***");
    }
    return text;
}

struct connection_checks {
    explicit connection_checks(asio::any_io_executor ex, std::size_t n)
        : left(n), all_done(ex, asio::steady_timer::time_point::max()) {}
    std::vector<connection_status> out;
    std::size_t left;
    asio::steady_timer all_done;  // cancelled when the last check ends
};

}  // namespace

asio::awaitable<readiness_report> engine::readiness() {
    readiness_report report;
    auto st = co_await store_.ping();
    report.checks["state"] = st ? "ok" : st.error().to_string();
    if (!st) report.reasons.push_back("state database: " + st.error().to_string());
    report.checks["internal_migrations"] = initialized_ ? "ok" : "not applied yet";
    if (!initialized_) report.reasons.push_back("internal migrations not applied yet");
    const registry_ptr reg = registry_;
    report.checks["registry"] = reg ? std::to_string(reg->size()) + " migrations" : "not loaded";
    if (!reg) report.reasons.push_back("registry not loaded");
    report.checks["draining"] = draining_ ? "yes" : "no";
    if (draining_) report.reasons.push_back("shutting down: draining running work");
    report.ready = report.reasons.empty();
    co_return report;
}

asio::awaitable<std::vector<connection_status>> engine::connections() {
    auto checks = std::make_shared<connection_checks>(ex_, config_.connections.size());
    for (const auto& c : config_.connections) {
        connection_status s;
        s.name = c.name;
        s.backend = c.backend;
        s.host = c.endpoint.host;
        s.port = c.endpoint.port;
        s.database = c.endpoint.database;
        s.schema = c.schema;
        s.max_connections = c.max_connections;
        checks->out.push_back(std::move(s));
    }
    // Every connection is checked at once: one that is down costs its timeout once, not N times.
    for (std::size_t i = 0; i < config_.connections.size(); ++i) {
        auto check = [this, checks, i]() -> asio::awaitable<void> {
            connection_status& s = checks->out[i];
            const connection_config& c = config_.connections[i];
            const auto started = std::chrono::steady_clock::now();
            auto it = pools_.find(c.name);
            if (it == pools_.end()) {
                s.error = "backend " + c.backend + " has no pool in this server";
            } else {
                auto session = co_await it->second->acquire(connection_check_timeout);
                if (!session) {
                    s.error = session.error().to_string();
                } else {
                    pg::query_options options;
                    options.timeout = connection_check_timeout;
                    auto r = co_await session.value()->query("SELECT 1", options);
                    if (r) {
                        s.healthy = true;
                    } else {
                        s.error = r.error().to_string();
                    }
                }
            }
            s.latency_ms = std::chrono::duration<double, std::milli>(
                               std::chrono::steady_clock::now() - started)
                               .count();
            s.error = without_secret(std::move(s.error), c.endpoint.password);
            if (--checks->left == 0) checks->all_done.cancel();
        };
        asio::co_spawn(ex_, check, asio::detached);
    }
    if (checks->left > 0) {
        co_await checks->all_done.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return std::move(checks->out);
}

asio::awaitable<service_outcome<target_page>> engine::targets(target_query query) {
    service_outcome<target_page> out;
    state::fleet_store fleet(store_.pool(), store_.schema(), store_.wait_timeout());
    const registry_ptr reg = registry_;
    auto page = co_await fleet.targets(query, *reg);
    if (!page) {
        out.error = service_error{"state_unavailable",
                                  "state database: " + page.error().to_string()};
        co_return out;
    }
    out.value = std::move(*page);
    co_return out;
}

asio::awaitable<service_outcome<job_status_counts>> engine::job_counts() {
    service_outcome<job_status_counts> out;
    state::fleet_store fleet(store_.pool(), store_.schema(), store_.wait_timeout());
    auto counts = co_await fleet.job_counts();
    if (!counts) {
        out.error = service_error{"state_unavailable",
                                  "state database: " + counts.error().to_string()};
        co_return out;
    }
    out.value = std::move(*counts);
    co_return out;
}

}  // namespace bfm::core
