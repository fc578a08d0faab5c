#include "backends/postgresql/pg_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bfm::pg {
namespace asio = boost::asio;

struct pool::waiter {
    asio::steady_timer timer;
    bool woken = false;
    explicit waiter(executor_type ex) : timer(ex) {}
};

pooled_connection::pooled_connection(std::shared_ptr<pool> owner, std::unique_ptr<connection> conn)
    : owner_(std::move(owner)), conn_(std::move(conn)) {}

pooled_connection::pooled_connection(pooled_connection&& other) noexcept
    : owner_(std::move(other.owner_)), conn_(std::move(other.conn_)) {}

pooled_connection& pooled_connection::operator=(pooled_connection&& other) noexcept {
    if (this != &other) {
        release();
        owner_ = std::move(other.owner_);
        conn_ = std::move(other.conn_);
    }
    return *this;
}

pooled_connection::~pooled_connection() {
    release();
}

void pooled_connection::release() {
    if (owner_ && conn_) owner_->give_back(std::move(conn_));
    owner_.reset();
    conn_.reset();
}

std::shared_ptr<pool> pool::create(executor_type ex, connect_params params, std::size_t max_size) {
    return std::shared_ptr<pool>(new pool(std::move(ex), std::move(params), max_size));
}

pool::pool(executor_type ex, connect_params params, std::size_t max_size)
    : ex_(std::move(ex)), params_(std::move(params)), max_size_(max_size == 0 ? 1 : max_size) {}

pool_stats pool::stats() const {
    return {idle_.size(), in_use_, waiters_.size(), opened_total_};
}

void pool::shutdown() {
    shut_down_ = true;
    idle_.clear();
    for (auto& w : waiters_) {
        w->woken = true;
        w->timer.cancel();
    }
}

void pool::give_back(std::unique_ptr<connection> conn) {
    --in_use_;
    // A session left in a transaction (an error path that could not roll back) or broken is
    // not handed to the next user: close it and let acquire() open a fresh one.
    if (!shut_down_ && conn->is_open() && !conn->in_transaction()) {
        idle_.push_back(std::move(conn));
    }
    wake_one();
}

void pool::wake_one() {
    while (!waiters_.empty()) {
        auto w = waiters_.front();
        waiters_.pop_front();
        if (!w->woken) {
            w->woken = true;
            w->timer.cancel();
            return;
        }
    }
}

asio::awaitable<result<pooled_connection>> pool::acquire(std::chrono::milliseconds wait_timeout) {
    const auto deadline = clock::now() + wait_timeout;
    auto self = shared_from_this();
    for (;;) {
        if (shut_down_) co_return make_client_error(errc::connection_lost, "pool is shut down");
        while (!idle_.empty()) {
            auto conn = std::move(idle_.front());
            idle_.pop_front();
            if (conn->probe()) {
                ++in_use_;
                co_return pooled_connection(self, std::move(conn));
            }
            // Dropped: the server closed it while idle (restart, pg_terminate_backend...).
        }
        if (in_use_ + opening_ < max_size_) {
            ++opening_;
            auto conn = std::make_unique<connection>(ex_);
            auto st = co_await conn->connect(params_);
            --opening_;
            if (!st) {
                wake_one();  // a waiter may now open a session in our place
                co_return st.error();
            }
            ++opened_total_;
            ++in_use_;
            co_return pooled_connection(self, std::move(conn));
        }
        if (clock::now() >= deadline) {
            co_return make_client_error(errc::pool_exhausted,
                                        "no free session to " + params_.host + ":"
                                            + std::to_string(params_.port) + "/" + params_.dbname
                                            + " after " + std::to_string(wait_timeout.count())
                                            + " ms (" + std::to_string(max_size_) + " in use)");
        }
        auto w = std::make_shared<waiter>(ex_);
        w->timer.expires_at(deadline);
        waiters_.push_back(w);
        co_await w->timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (!w->woken) waiters_.remove(w);
    }
}

}  // namespace bfm::pg
