#include "backends/postgresql/pg_connection.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cassert>

#include "core/blocking_pool.hpp"

namespace bfm::pg {
namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// After a client-side cancel, how long to wait for the server to answer before giving up on
// the session altogether.
constexpr auto cancel_grace = std::chrono::seconds(5);

// Strips libpq's trailing newline and "ERROR:  " style prefixes for messages we pass on.
std::string clean_message(const char* text) {
    std::string s = text ? text : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

std::string field(const PGresult* res, int code) {
    const char* v = PQresultErrorField(res, code);
    return v ? v : "";
}

error server_error(const PGresult* res) {
    error err;
    err.diag.sqlstate = field(res, PG_DIAG_SQLSTATE);
    err.diag.severity = field(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    err.diag.message = field(res, PG_DIAG_MESSAGE_PRIMARY);
    err.diag.detail = field(res, PG_DIAG_MESSAGE_DETAIL);
    err.diag.hint = field(res, PG_DIAG_MESSAGE_HINT);
    err.diag.context = field(res, PG_DIAG_CONTEXT);
    err.diag.schema_name = field(res, PG_DIAG_SCHEMA_NAME);
    err.diag.table_name = field(res, PG_DIAG_TABLE_NAME);
    err.diag.column_name = field(res, PG_DIAG_COLUMN_NAME);
    const std::string pos = field(res, PG_DIAG_STATEMENT_POSITION);
    err.diag.position = pos.empty() ? 0 : std::atoi(pos.c_str());
    if (err.diag.message.empty()) err.diag.message = clean_message(PQresultErrorMessage(res));
    err.code = make_error_code(err.diag.sqlstate.empty() ? errc::server_error
                                                         : errc_from_sqlstate(err.diag.sqlstate));
    return err;
}

bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

}  // namespace

// The socket libpq owns, seen through a dup()ed descriptor so Asio never closes libpq's fd and
// a socket swapped by PQconnectPoll cannot leave a stale epoll registration.
struct connection::socket_state {
    asio::posix::stream_descriptor descriptor;
    explicit socket_state(executor_type ex, int fd) : descriptor(ex, ::dup(fd)) {}
};

connection::connection(executor_type ex)
    : ex_(std::move(ex)), canceller_(nullptr, &PQfreeCancel), timer_(ex_) {}

connection::~connection() {
    close();
}

void connection::close() {
    socket_.reset();
    canceller_.reset();
    if (conn_) {
        PQfinish(conn_);
        conn_ = nullptr;
    }
    prepared_.clear();
    broken_ = true;
}

bool connection::is_open() const {
    return conn_ && !broken_ && PQstatus(conn_) == CONNECTION_OK;
}

bool connection::in_transaction() const {
    return conn_ && PQtransactionStatus(conn_) != PQTRANS_IDLE;
}

int connection::backend_pid() const {
    return conn_ ? PQbackendPID(conn_) : 0;
}

bool connection::probe() {
    if (!is_open() || busy_) return is_open();
    pollfd pfd{PQsocket(conn_), POLLIN, 0};
    while (::poll(&pfd, 1, 0) > 0) {
        // Anything arriving on an idle session is a notice, a parameter change, or the server
        // saying goodbye; PQconsumeInput fails once the peer has closed.
        if ((pfd.revents & (POLLHUP | POLLERR)) || PQconsumeInput(conn_) == 0
            || PQstatus(conn_) != CONNECTION_OK) {
            broken_ = true;
            return false;
        }
        while (PGnotify* n = PQnotifies(conn_)) PQfreemem(n);
        pfd.revents = 0;
    }
    return true;
}

void connection::attach_socket() {
    socket_ = std::make_unique<socket_state>(ex_, PQsocket(conn_));
}

error connection::connection_error(errc code) const {
    error err = make_client_error(code, conn_ ? clean_message(PQerrorMessage(conn_)) : "");
    if (err.diag.message.empty()) err.diag.message = err.code.message();
    return err;
}

asio::awaitable<bool> connection::wait_socket(wait_for what,
                                              std::optional<clock::time_point> deadline) {
    auto& sd = socket_->descriptor;
    using wt = asio::posix::stream_descriptor::wait_type;
    auto wait_io = [&]() -> asio::awaitable<void> {
        if (what == wait_for::read) {
            co_await sd.async_wait(wt::wait_read, use_tuple);
        } else if (what == wait_for::write) {
            co_await sd.async_wait(wt::wait_write, use_tuple);
        } else {
            co_await (sd.async_wait(wt::wait_read, use_tuple)
                      || sd.async_wait(wt::wait_write, use_tuple));
        }
    };
    if (!deadline) {
        co_await wait_io();
        co_return true;
    }
    timer_.expires_at(*deadline);
    auto winner = co_await (wait_io() || timer_.async_wait(use_tuple));
    co_return winner.index() == 0;
}

asio::awaitable<status> connection::connect(const connect_params& p) {
    assert(!busy_ && "one operation at a time per connection");
    close();
    broken_ = false;
    const auto deadline = clock::now() + p.connect_timeout;

    // Resolve with Asio so libpq never blocks the io thread in getaddrinfo. libpq gets the
    // address in hostaddr and the name in host (for TLS verification and messages).
    std::string hostaddr;
    const bool socket_dir = !p.host.empty() && p.host.front() == '/';
    if (!socket_dir && !is_ip_literal(p.host)) {
        asio::ip::tcp::resolver resolver(ex_);
        timer_.expires_at(deadline);
        auto winner = co_await (resolver.async_resolve(p.host, std::to_string(p.port), use_tuple)
                                || timer_.async_wait(use_tuple));
        if (winner.index() == 1) {
            co_return make_client_error(errc::connect_timeout,
                                        "timed out resolving host \"" + p.host + "\"");
        }
        auto [ec, endpoints] = std::get<0>(winner);
        if (ec || endpoints.empty()) {
            co_return make_client_error(
                errc::connect_failed, "could not resolve host \"" + p.host + "\": " + ec.message());
        }
        hostaddr = endpoints.begin()->endpoint().address().to_string();
    }

    const std::string port = std::to_string(p.port);
    std::vector<const char*> keys{"host", "port", "user", "dbname", "sslmode", "application_name"};
    std::vector<const char*> values{p.host.c_str(),    port.c_str(),
                                    p.user.c_str(),    p.dbname.c_str(),
                                    p.sslmode.c_str(), p.application_name.c_str()};
    if (!hostaddr.empty()) {
        keys.push_back("hostaddr");
        values.push_back(hostaddr.c_str());
    }
    if (!p.password.empty()) {
        keys.push_back("password");
        values.push_back(p.password.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);

    conn_ = PQconnectStartParams(keys.data(), values.data(), 0);
    if (!conn_) co_return make_client_error(errc::connect_failed, "out of memory");
    if (PQstatus(conn_) == CONNECTION_BAD) {
        auto err = connection_error(errc::connect_failed);
        close();
        co_return err;
    }

    // libpq: behave as if the last poll asked for writing. Each step may swap the socket, so
    // each wait uses a fresh dup of the current one.
    PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
    busy_ = true;
    while (poll != PGRES_POLLING_OK) {
        if (poll == PGRES_POLLING_FAILED) {
            busy_ = false;
            auto err = connection_error(errc::connect_failed);
            close();
            co_return err;
        }
        attach_socket();
        const bool ready = co_await wait_socket(
            poll == PGRES_POLLING_READING ? wait_for::read : wait_for::write, deadline);
        if (!ready) {
            busy_ = false;
            close();
            co_return make_client_error(errc::connect_timeout,
                                        "timed out after "
                                            + std::to_string(p.connect_timeout.count())
                                            + " ms connecting to " + p.host + ":" + port);
        }
        poll = PQconnectPoll(conn_);
    }
    busy_ = false;
    if (PQsetnonblocking(conn_, 1) != 0) {
        auto err = connection_error(errc::connect_failed);
        close();
        co_return err;
    }
    // Server notices (e.g. "schema already exists, skipping") go to the log, not to stderr.
    PQsetNoticeProcessor(
        conn_,
        [](void*, const char* message) { spdlog::debug("postgres: {}", clean_message(message)); },
        nullptr);
    attach_socket();
    canceller_.reset(PQgetCancel(conn_));
    last_used_ = clock::now();
    co_return status{};
}

asio::awaitable<result<rows>> connection::query(std::string_view sql, query_options opts) {
    assert(!busy_ && "one operation at a time per connection");
    if (!is_open()) co_return make_client_error(errc::connection_lost, "connection is not open");
    const std::string text(sql);
    if (PQsendQuery(conn_, text.c_str()) == 0) {
        broken_ = PQstatus(conn_) != CONNECTION_OK;
        co_return connection_error(errc::send_failed);
    }
    std::optional<clock::time_point> deadline;
    if (opts.timeout.count() > 0) deadline = clock::now() + opts.timeout;
    co_return co_await run(deadline);
}

asio::awaitable<result<std::string>> connection::prepared(
    const std::string& sql, std::optional<clock::time_point> deadline) {
    if (auto it = prepared_.find(sql); it != prepared_.end()) co_return it->second;
    if (prepared_.size() >= prepared_limit) co_return std::string();
    std::string name = "bfm_" + std::to_string(prepared_.size() + 1);
    if (PQsendPrepare(conn_, name.c_str(), sql.c_str(), 0, nullptr) == 0) {
        broken_ = PQstatus(conn_) != CONNECTION_OK;
        co_return connection_error(errc::send_failed);
    }
    auto done = co_await run(deadline);
    if (!done) co_return done.error();
    prepared_.emplace(sql, name);
    co_return name;
}

asio::awaitable<result<rows>> connection::query(std::string_view sql,
                                                const std::vector<param>& params,
                                                query_options opts) {
    assert(!busy_ && "one operation at a time per connection");
    if (!is_open()) co_return make_client_error(errc::connection_lost, "connection is not open");
    std::optional<clock::time_point> deadline;
    if (opts.timeout.count() > 0) deadline = clock::now() + opts.timeout;
    const std::string text(sql);
    result<std::string> name = std::string();
    if (opts.prepare) name = co_await prepared(text, deadline);
    if (!name) co_return name.error();
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    const int count = static_cast<int>(params.size());
    for (int attempt = 0;; ++attempt) {
        const int sent = name->empty()
                             ? PQsendQueryParams(conn_, text.c_str(), count, nullptr,
                                                 values.data(), nullptr, nullptr, 0)
                             : PQsendQueryPrepared(conn_, name->c_str(), count, values.data(),
                                                   nullptr, nullptr, 0);
        if (sent == 0) {
            broken_ = PQstatus(conn_) != CONNECTION_OK;
            co_return connection_error(errc::send_failed);
        }
        auto out = co_await run(deadline);
        // 26000: the session's statements were dropped (DEALLOCATE / DISCARD ALL in a script).
        if (out || attempt > 0 || name->empty() || out.error().diag.sqlstate != "26000") {
            co_return out;
        }
        prepared_.clear();
        name = std::string();
    }
}

asio::awaitable<result<rows>> connection::run(std::optional<clock::time_point> deadline) {
    busy_ = true;
    // No co_await inside ?: — GCC 12 destroys the temporaries of such an expression twice.
    result<rows> out = rows{};
    if (auto flushed = co_await flush(deadline); flushed) {
        out = co_await collect(deadline);
    } else {
        out = flushed.error();
    }
    busy_ = false;
    last_used_ = clock::now();
    if (!out && PQstatus(conn_) != CONNECTION_OK) broken_ = true;
    co_return out;
}

asio::awaitable<status> connection::flush(std::optional<clock::time_point> deadline) {
    // A large script may not fit the socket buffer: wait for write space OR for input (the
    // server may answer before taking all of it, and must be read to avoid a deadlock).
    for (;;) {
        const int r = PQflush(conn_);
        if (r == 0) co_return status{};
        if (r < 0) {
            broken_ = true;
            co_return connection_error(errc::connection_lost);
        }
        if (!co_await wait_socket(wait_for::read_or_write, deadline)) {
            broken_ = true;  // half-sent query: the session cannot be trusted any more
            co_return make_client_error(errc::query_timeout, "timed out sending the query");
        }
        if (PQconsumeInput(conn_) == 0) {
            broken_ = true;
            co_return connection_error(errc::connection_lost);
        }
    }
}

asio::awaitable<result<rows>> connection::collect(std::optional<clock::time_point> deadline) {
    std::optional<error> first_error;
    rows last_rows;
    bool cancelled_for_timeout = false;
    for (;;) {
        while (PQisBusy(conn_)) {
            if (!co_await wait_socket(wait_for::read, deadline)) {
                if (cancelled_for_timeout) {
                    // The server did not answer the cancel request in time either.
                    close();
                    co_return make_client_error(errc::query_timeout,
                                                "query timed out and the server did not answer "
                                                "the cancel request; session closed");
                }
                cancelled_for_timeout = true;
                deadline = clock::now() + cancel_grace;
                co_await cancel();
                continue;
            }
            if (PQconsumeInput(conn_) == 0) {
                broken_ = true;
                co_return connection_error(errc::connection_lost);
            }
        }
        PGresult* res = PQgetResult(conn_);
        if (!res) break;  // every result of the command has been drained
        switch (PQresultStatus(res)) {
            case PGRES_TUPLES_OK:
            case PGRES_COMMAND_OK:
                last_rows = rows(res);
                break;
            case PGRES_EMPTY_QUERY:
                PQclear(res);
                break;
            case PGRES_COPY_IN:
                PQclear(res);
                // Refuse the copy; the server then reports an error result we drain below.
                PQputCopyEnd(conn_, "COPY FROM STDIN is not supported in migrations");
                if (!first_error) first_error = make_client_error(errc::unsupported_result, "");
                break;
            case PGRES_COPY_OUT: {
                PQclear(res);
                if (!first_error) first_error = make_client_error(errc::unsupported_result, "");
                char* buffer = nullptr;
                int n = 0;
                while ((n = PQgetCopyData(conn_, &buffer, 1)) != -1) {
                    if (buffer) PQfreemem(buffer);
                    buffer = nullptr;
                    if (n == -2) break;
                    if (n == 0 && !co_await wait_socket(wait_for::read, deadline)) break;
                    if (n == 0) PQconsumeInput(conn_);
                }
                break;
            }
            default: {
                auto err = server_error(res);
                PQclear(res);
                if (!first_error) first_error = std::move(err);
                break;
            }
        }
        if (PQstatus(conn_) != CONNECTION_OK) break;
    }
    if (PQstatus(conn_) != CONNECTION_OK) {
        broken_ = true;
        if (!first_error) first_error = connection_error(errc::connection_lost);
    }
    if (cancelled_for_timeout && first_error && first_error->is(errc::query_canceled)) {
        first_error->code = make_error_code(errc::query_timeout);
    }
    if (first_error) co_return *first_error;
    co_return last_rows;
}

asio::awaitable<status> connection::cancel() {
    if (!canceller_) co_return make_client_error(errc::connection_lost, "connection is not open");
    PGcancel* handle = canceller_.get();
    // PQcancel opens a new connection and blocks: it runs on the side pool.
    auto message = co_await core::run_blocking([handle]() -> std::string {
        char buffer[256] = {};
        return PQcancel(handle, buffer, sizeof buffer) ? std::string() : std::string(buffer);
    });
    if (!message.empty()) co_return make_client_error(errc::connection_exception, message);
    co_return status{};
}

}  // namespace bfm::pg
