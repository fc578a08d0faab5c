#pragma once
// A small pool of sessions for one configured connection. acquire() hands out an idle session
// (checked with probe() so one the server closed is noticed and replaced) or opens a new one
// while below the limit, otherwise waits for a release, up to a deadline.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <list>
#include <memory>

#include "backends/postgresql/pg_connection.hpp"

namespace bfm::pg {

class pool;

// A session borrowed from a pool; goes back on destruction. A session that is broken or was
// left inside a transaction is closed instead of being reused.
class pooled_connection {
public:
    pooled_connection() = default;
    pooled_connection(pooled_connection&& other) noexcept;
    pooled_connection& operator=(pooled_connection&& other) noexcept;
    ~pooled_connection();

    connection* operator->() const { return conn_.get(); }
    connection& operator*() const { return *conn_; }
    explicit operator bool() const { return conn_ != nullptr; }

private:
    friend class pool;
    pooled_connection(std::shared_ptr<pool> owner, std::unique_ptr<connection> conn);
    void release();

    std::shared_ptr<pool> owner_;
    std::unique_ptr<connection> conn_;
};

struct pool_stats {
    std::size_t idle = 0;
    std::size_t in_use = 0;
    std::size_t waiting = 0;
    std::size_t opened_total = 0;  // sessions opened over the pool's life
};

class pool : public std::enable_shared_from_this<pool> {
public:
    static std::shared_ptr<pool> create(executor_type ex, connect_params params,
                                        std::size_t max_size);

    // Waits at most `wait_timeout` for a session (errc::pool_exhausted after that); opening a
    // new session is bounded by params.connect_timeout.
    boost::asio::awaitable<result<pooled_connection>> acquire(
        std::chrono::milliseconds wait_timeout);

    pool_stats stats() const;
    const connect_params& params() const { return params_; }
    // Whether bfm's own tables in this database (the target ledger) were created or found by
    // a session of this pool, so later sessions skip that DDL: once per database and process.
    bool ledger_ready() const { return ledger_ready_; }
    void set_ledger_ready() { ledger_ready_ = true; }
    // Closes idle sessions; sessions in use close when they are returned.
    void shutdown();

private:
    friend class pooled_connection;
    pool(executor_type ex, connect_params params, std::size_t max_size);
    void give_back(std::unique_ptr<connection> conn);
    void wake_one();

    struct waiter;
    executor_type ex_;
    connect_params params_;
    std::size_t max_size_;
    std::size_t in_use_ = 0;
    std::size_t opening_ = 0;
    std::size_t opened_total_ = 0;
    bool shut_down_ = false;
    bool ledger_ready_ = false;
    std::deque<std::unique_ptr<connection>> idle_;
    std::list<std::shared_ptr<waiter>> waiters_;
};

}  // namespace bfm::pg
