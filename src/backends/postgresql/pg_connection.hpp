#pragma once
// One non-blocking libpq session driven by the io_context (DESIGN: concurrency model).
// One operation at a time: starting a second one while the first runs is a programming error
// caught by an assertion.

#include <libpq-fe.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <string_view>
#include <vector>

#include "backends/postgresql/pg_error.hpp"
#include "backends/postgresql/pg_rows.hpp"

namespace bfm::pg {

using executor_type = boost::asio::any_io_executor;
using clock = std::chrono::steady_clock;

struct connect_params {
    std::string host = "127.0.0.1";  // name (resolved with Asio first), IP, or a socket directory
    std::uint16_t port = 5432;
    std::string user = "postgres";
    std::string password;
    std::string dbname = "postgres";
    std::string sslmode = "prefer";
    std::string application_name = "bfm";
    std::chrono::milliseconds connect_timeout{5000};
};

// A bound text parameter; nullopt is SQL NULL.
using param = std::optional<std::string>;

// Builds a parameter list. Use it instead of a braced list inside co_await expressions: GCC 12
// miscompiles initializer lists there ("array used as initializer").
template <class... Args>
std::vector<param> params(Args&&... args) {
    std::vector<param> out;
    out.reserve(sizeof...(args));
    (out.emplace_back(std::forward<Args>(args)), ...);
    return out;
}

struct query_options {
    // Client-side deadline: when it passes the query is cancelled server-side and the call fails
    // with errc::query_timeout. Zero means none (server-side statement_timeout still applies).
    std::chrono::milliseconds timeout{0};
    // Parameterised statements are prepared once per connection. Off for a statement whose best
    // plan depends on its parameters' values: a prepared one may get a generic plan (e.g. 32 ms
    // instead of 2 ms for `x = ANY(ARRAY(SELECT jsonb_array_elements_text($1)))` with 1,000
    // values, where the array becomes an opaque parameter).
    bool prepare = true;
};

class connection {
public:
    explicit connection(executor_type ex);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // Resolves the host with Asio, then runs the libpq connect state machine with a deadline
    // enforced here (libpq's own connect_timeout would block).
    boost::asio::awaitable<status> connect(const connect_params& params);

    // Simple-query protocol: one or more statements separated by ';'. Returns the rows of the
    // last statement that produced rows. On error, the first error is returned after every
    // result has been drained, so the connection stays usable.
    boost::asio::awaitable<result<rows>> query(std::string_view sql, query_options opts = {});

    // Extended protocol with bound text parameters: exactly one statement. The statement is
    // prepared once per connection (named, up to prepared_limit texts) so that repeating it
    // skips parsing and planning on the server.
    boost::asio::awaitable<result<rows>> query(std::string_view sql,
                                               const std::vector<param>& params,
                                               query_options opts = {});

    // Asks the server to cancel whatever this session runs now. Blocking PQcancel runs on the
    // side pool; safe to call while a query is in flight (from another coroutine).
    boost::asio::awaitable<status> cancel();

    // True when connected and not known to be broken. `probe()` also reads anything the server
    // sent while idle (e.g. a termination notice) so a dead session is noticed before use.
    bool is_open() const;
    bool probe();
    bool in_transaction() const;  // inside BEGIN ... (or a failed transaction)
    int backend_pid() const;
    clock::time_point last_used() const { return last_used_; }

    void close();

private:
    enum class wait_for { read, write, read_or_write };

    // Waits until the socket is ready; false when the deadline passed first.
    boost::asio::awaitable<bool> wait_socket(wait_for what,
                                             std::optional<clock::time_point> deadline);
    boost::asio::awaitable<result<rows>> run(std::optional<clock::time_point> deadline);
    boost::asio::awaitable<status> flush(std::optional<clock::time_point> deadline);
    boost::asio::awaitable<result<rows>> collect(std::optional<clock::time_point> deadline);
    error connection_error(errc code) const;
    void attach_socket();

    // The name of the statement prepared for `sql` ("" when it is not, and cannot be, cached).
    boost::asio::awaitable<result<std::string>> prepared(const std::string& sql,
                                                         std::optional<clock::time_point> deadline);

    static constexpr std::size_t prepared_limit = 256;
    executor_type ex_;
    PGconn* conn_ = nullptr;
    std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
    std::unique_ptr<PGcancel, void (*)(PGcancel*)> canceller_;
    struct socket_state;
    std::unique_ptr<socket_state> socket_;
    boost::asio::steady_timer timer_;
    bool busy_ = false;
    bool broken_ = false;
    clock::time_point last_used_ = clock::now();
};

}  // namespace bfm::pg
