// bfm: one binary, subcommands. `serve` runs the HTTP server on one io_context; `version`
// prints the version. Exit codes (SPEC 11): 0 ok, 1 failure, 2 usage or configuration error.

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <functional>
#include <iostream>
#include <string>

#include "core/blocking_pool.hpp"
#include "core/config.hpp"
#include "core/embedded_sfm.hpp"
#include "core/engine/engine.hpp"
#include "core/loader.hpp"
#include "core/tree_fingerprint.hpp"
#include "net/auth.hpp"
#include "net/grpc/grpc_server.hpp"
#include "net/http_server.hpp"

namespace asio = boost::asio;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

void print_usage(std::FILE* out) {
    std::fprintf(out,
                 "usage: bfm <command>\n\n"
                 "commands:\n"
                 "  serve     run the HTTP API (configuration from the environment, see README)\n"
                 "  version   print the version\n"
                 "  help      show this text\n");
}

void setup_logging(const bfm::core::app_config& config) {
    auto logger = spdlog::stderr_color_mt("bfm");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(config.log_level));
    if (config.log_format == "json") {
        spdlog::set_pattern(
            R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n","message":"%v"})",
            spdlog::pattern_time_type::utc);
    } else {
        spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ %v", spdlog::pattern_time_type::utc);
    }
}

// Retries the state store's start-up until it succeeds or the budget is spent: the state
// database may still be starting next to us (containers, systemd ordering).
asio::awaitable<bool> initialize_state(bfm::core::engine& engine, std::chrono::seconds budget) {
    const auto deadline = std::chrono::steady_clock::now() + budget;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (int attempt = 1;; ++attempt) {
        auto st = co_await engine.initialize();
        if (st) co_return true;
        if (std::chrono::steady_clock::now() + std::chrono::seconds(1) >= deadline) {
            spdlog::critical("state database: {} (gave up after {} attempts)",
                             st.error().to_string(), attempt);
            co_return false;
        }
        spdlog::warn("state database not ready (attempt {}): {}", attempt, st.error().to_string());
        timer.expires_after(std::chrono::seconds(1));
        co_await timer.async_wait(asio::use_awaitable);
    }
}

asio::awaitable<void> reindex(bfm::core::engine& engine, std::string why) {
    auto out = co_await engine.reindex("");
    if (out.error) {
        spdlog::error("reindex ({}) failed: {}", why, out.error->message);
        for (const auto& p : out.error->problems) spdlog::error("migrations: {}", p);
    }
}

// BFM_RELOAD_INTERVAL: re-scan the tree and reindex when its fingerprint changed.
asio::awaitable<void> watch_tree(bfm::core::engine& engine, asio::steady_timer& timer,
                                 std::string root, std::chrono::milliseconds interval) {
    // The lambdas capture a pointer: GCC 12 destroys a lambda temporary with a std::string
    // capture twice when it sits in a co_await expression.
    const std::string* tree = &root;
    auto last =
        co_await bfm::core::run_blocking([tree] { return bfm::core::tree_fingerprint(*tree); });
    for (;;) {
        timer.expires_after(interval);
        auto waited = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (std::get<0>(waited)) co_return;  // cancelled: shutting down
        const auto now =
            co_await bfm::core::run_blocking([tree] { return bfm::core::tree_fingerprint(*tree); });
        if (now == last) continue;
        last = now;
        co_await reindex(engine, "files changed");
    }
}

int serve() {
    std::vector<std::string> env_errors;
    auto env = bfm::core::read_environment(env_errors);
    auto parsed = bfm::core::parse_config(env);
    for (const auto& e : env_errors) parsed.errors.push_back(e);
    if (!parsed.ok()) {
        for (const auto& e : parsed.errors)
            std::fprintf(stderr, "bfm: configuration: %s\n", e.c_str());
        return exit_usage;
    }
    const bfm::core::app_config config = std::move(parsed.config);
    setup_logging(config);
    // The tokens file is checked here so that a bad one stops start-up with its line named
    // (the HTTP and gRPC servers load the same table).
    const bfm::net::token_table_result tokens = bfm::net::load_token_table(config);
    for (const auto& w : tokens.warnings) spdlog::warn("{}", w);
    if (!tokens.ok()) {
        for (const auto& e : tokens.errors) spdlog::critical("configuration: {}", e);
        return exit_usage;
    }
    spdlog::info("{} API token(s) configured", tokens.table.size());

    // Files on disk win only when BFM_SFM_PATH is set; otherwise an embedded tree, if any.
    bfm::core::registry_source source;
    const bool use_embedded = !config.sfm_path_set && !bfm::core::embedded_sfm_files().empty();
    if (use_embedded) {
        source.load_embedded = [] {
            return bfm::core::load_migrations(bfm::core::embedded_sfm_files());
        };
    } else {
        source.root = config.sfm_path;
    }
    auto loaded = use_embedded ? source.load_embedded()
                               : bfm::core::load_migrations_from_directory(config.sfm_path);
    const std::string origin = use_embedded ? "the embedded tree" : config.sfm_path;
    if (!loaded.ok()) {
        for (const auto& e : loaded.errors) spdlog::critical("migrations: {}", e.to_string());
        spdlog::critical("{} problem(s) in {}; fix them and start again", loaded.errors.size(),
                         origin);
        return exit_usage;
    }
    auto registry = std::make_shared<const bfm::core::registry>(std::move(loaded.migrations));
    spdlog::info("loaded {} migrations from {}", registry->size(), origin);
    spdlog::info("state database {} (schema {})", config.state.endpoint.describe(),
                 config.state.schema);
    for (const auto& c : config.connections) {
        spdlog::info("connection {}: {} {}", c.name, c.backend, c.endpoint.describe());
    }

    asio::io_context ioc(1);
    bfm::core::engine engine(ioc.get_executor(), config, registry, source);
    bfm::net::http_server server(ioc, config, engine);
    bfm::net::grpc_server grpc(ioc, config, engine);
    int exit_code = exit_ok;

    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    asio::signal_set hangup(ioc, SIGHUP);
    bool stopping = false;
    std::function<void()> wait_for_hangup = [&] {
        hangup.async_wait([&](const boost::system::error_code& ec, int) {
            if (ec || stopping) return;
            asio::co_spawn(ioc, reindex(engine, "SIGHUP"), asio::detached);
            wait_for_hangup();
        });
    };
    wait_for_hangup();
    asio::steady_timer watcher(ioc);
    if (config.reload_interval.count() > 0 && !source.root.empty()) {
        asio::co_spawn(ioc, watch_tree(engine, watcher, source.root, config.reload_interval),
                       asio::detached);
    }
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            if (!co_await initialize_state(engine, std::chrono::seconds(30))) {
                exit_code = exit_failure;
                signals.cancel();
                engine.shutdown();
                co_return;
            }
            try {
                server.listen();
                grpc.listen();
            } catch (const std::exception& e) {
                spdlog::critical("{}", e.what());
                exit_code = exit_failure;
                signals.cancel();
                hangup.cancel();
                watcher.cancel();
                server.stop();
                grpc.shutdown(std::chrono::milliseconds(0), [] {});
                engine.shutdown();
            }
        },
        [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
    signals.async_wait([&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        // Requests in flight finish; idle database sessions hold no pending work, so run()
        // returns once the last one is done.
        spdlog::info("signal {}: shutting down", signo);
        stopping = true;
        hangup.cancel();
        watcher.cancel();
        server.stop();
        // gRPC calls in flight get the same grace; streams end at once (DESIGN: shutdown order).
        grpc.shutdown(config.shutdown_grace, [] {});
        // Running targets finish within BFM_SHUTDOWN_GRACE; the rest go back to the queue.
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                co_await engine.drain(config.shutdown_grace);
                engine.shutdown();
            },
            asio::detached);
    });
    ioc.run();
    spdlog::info("stopped");
    return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string command = argc > 1 ? argv[1] : "";
    try {
        if (command == "serve") return serve();
        if (command == "version" || command == "--version") {
            std::printf("bfm %s\n", BFM_VERSION);
            return exit_ok;
        }
        if (command == "help" || command == "--help" || command == "-h") {
            print_usage(stdout);
            return exit_ok;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bfm: fatal: %s\n", e.what());
        return exit_failure;
    }
    if (command.empty()) {
        print_usage(stderr);
    } else {
        std::fprintf(stderr, "bfm: unknown command \"%s\"\n", command.c_str());
        print_usage(stderr);
    }
    return exit_usage;
}
