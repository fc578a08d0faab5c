#include "net/http_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/system/system_error.hpp>
#include <stdexcept>
#include <unordered_set>
#include <vector>

#include "net/http_session.hpp"
#include "net/router.hpp"

namespace bfm::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);

// Connections over BFM_HTTP_MAX_CONNECTIONS are accepted and answered 503 with Retry-After,
// then closed: the client learns at once that the server is busy instead of waiting in the
// kernel backlog until it times out. At most this many such refusals run at a time; beyond
// that the connection is closed without an answer.
constexpr std::size_t max_concurrent_refusals = 64;
constexpr std::chrono::seconds refusal_timeout{5};

// Everything the accept loop and the sessions share. Sessions hold a shared_ptr, so it outlives
// the http_server object if connections are still finishing.
struct server_state {
    server_state(asio::io_context& ioc_ref, const core::app_config& cfg,
                 core::migration_service& service)
        : ioc(ioc_ref), config(cfg), handler(cfg, service), acceptor(ioc_ref) {
        options.body_limit = cfg.http_body_limit;
        options.io_timeout = cfg.http_read_timeout;
    }

    asio::io_context& ioc;
    const core::app_config& config;
    router handler;
    session_options options;
    tcp::acceptor acceptor;
    std::unordered_set<std::shared_ptr<session_control>> sessions;
    std::size_t refusals = 0;
    bool stopping = false;
};

void log_exception(std::string_view what, std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        spdlog::error("http {} ended with an exception: {}", what, ex.what());
    } catch (...) {
        spdlog::error("http {} ended with an unknown exception", what);
    }
}

std::string describe_endpoint(const std::string& address, std::uint16_t port) {
    const bool v6 = address.find(':') != std::string::npos;
    return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

asio::awaitable<void> serve_connection(std::shared_ptr<server_state> state, tcp::socket socket,
                                       std::shared_ptr<session_control> control) {
    struct registration {
        server_state& state;
        std::shared_ptr<session_control> control;
        ~registration() { state.sessions.erase(control); }
    } reg{*state, control};

    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    beast::tcp_stream stream(std::move(socket));
    if (state->stopping) control->stopping = true;
    co_await run_http_session(stream, state->handler, state->options, *control);
}

asio::awaitable<void> refuse_connection(std::shared_ptr<server_state> state, tcp::socket socket) {
    struct counted {
        server_state& state;
        ~counted() { --state.refusals; }
    } count{*state};

    beast::tcp_stream stream(std::move(socket));
    json_reply reply =
        error_reply(http::status::service_unavailable, "too many connections", "overloaded");
    reply.headers.emplace_back(http::field::retry_after, "1");
    http_response res = make_response(reply, 11, false);
    stream.expires_after(refusal_timeout);
    co_await http::async_write(stream, res, tuple_token);
    co_await detail::lingering_close(stream);
}

asio::awaitable<void> accept_loop(std::shared_ptr<server_state> state) {
    for (;;) {
        auto [ec, socket] = co_await state->acceptor.async_accept(tuple_token);
        if (state->stopping || ec == asio::error::operation_aborted) co_return;
        if (ec) {
            // E.g. EMFILE: back off a little instead of spinning on the error.
            spdlog::warn("http accept failed: {}", ec.message());
            asio::steady_timer pause(state->ioc, std::chrono::milliseconds(100));
            co_await pause.async_wait(tuple_token);
            continue;
        }
        if (state->sessions.size() >= state->config.http_max_connections) {
            if (state->refusals >= max_concurrent_refusals) {
                boost::system::error_code ignored;
                socket.close(ignored);
                continue;
            }
            ++state->refusals;
            spdlog::warn("http connection refused: {} connections open (BFM_HTTP_MAX_CONNECTIONS)",
                         state->sessions.size());
            asio::co_spawn(state->ioc, refuse_connection(state, std::move(socket)),
                           [](std::exception_ptr e) { log_exception("refusal", e); });
            continue;
        }
        auto control = std::make_shared<session_control>();
        state->sessions.insert(control);
        asio::co_spawn(state->ioc, serve_connection(state, std::move(socket), control),
                       [](std::exception_ptr e) { log_exception("session", e); });
    }
}

}  // namespace

struct http_server::impl {
    std::shared_ptr<server_state> state;
    bool listening = false;
};

http_server::http_server(asio::io_context& ioc, const core::app_config& config,
                         core::migration_service& service)
    : impl_(std::make_unique<impl>()) {
    impl_->state = std::make_shared<server_state>(ioc, config, service);
}

http_server::~http_server() {
    if (impl_) stop();
}

std::uint16_t http_server::listen() {
    server_state& state = *impl_->state;
    if (impl_->listening || state.stopping) {
        throw std::logic_error("http_server::listen called twice or after stop");
    }
    const std::string where = describe_endpoint(state.config.http_address, state.config.http_port);
    auto fail = [&](const boost::system::error_code& ec) {
        boost::system::error_code ignored;
        state.acceptor.close(ignored);
        throw boost::system::system_error(ec, "cannot listen on " + where);
    };

    boost::system::error_code ec;
    const asio::ip::address address = asio::ip::make_address(state.config.http_address, ec);
    if (ec) fail(ec);
    const tcp::endpoint endpoint(address, state.config.http_port);
    state.acceptor.open(endpoint.protocol(), ec);
    if (ec) fail(ec);
    state.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) fail(ec);
    state.acceptor.bind(endpoint, ec);
    if (ec) fail(ec);
    state.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) fail(ec);
    const std::uint16_t port = state.acceptor.local_endpoint(ec).port();
    if (ec) fail(ec);

    impl_->listening = true;
    asio::co_spawn(state.ioc, accept_loop(impl_->state),
                   [](std::exception_ptr e) { log_exception("accept loop", e); });
    spdlog::info("http listening on {}", describe_endpoint(address.to_string(), port));
    return port;
}

void http_server::stop() {
    // Runs on the io thread (inline when already there), since sessions are only touched there.
    asio::dispatch(impl_->state->ioc, [state = impl_->state] {
        if (state->stopping) return;
        state->stopping = true;
        boost::system::error_code ignored;
        state->acceptor.close(ignored);
        // Copy: a stopping session may leave the set while we walk it.
        const std::vector<std::shared_ptr<session_control>> open(state->sessions.begin(),
                                                                 state->sessions.end());
        for (const auto& control : open) control->request_stop();
    });
}

}  // namespace bfm::net
