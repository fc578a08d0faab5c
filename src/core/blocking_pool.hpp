#pragma once
// The small side pool for calls that must block (PQcancel, reading files), so the io thread
// never does (DESIGN: concurrency model). Work is awaited from the io_context with run_blocking.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

namespace bfm::core {

inline boost::asio::thread_pool& blocking_pool() {
    static boost::asio::thread_pool pool(2);
    return pool;
}

// Runs `fn` on the side pool and resumes the caller on its own executor with the result.
// Deliberately not a coroutine itself: GCC 12 destroys a by-value lambda parameter of a
// coroutine twice when it has non-trivial captures (seen as a double free).
template <class Fn>
auto run_blocking(Fn fn) -> boost::asio::awaitable<decltype(fn())> {
    using value_type = decltype(fn());
    return boost::asio::co_spawn(
        blocking_pool(),
        [f = std::move(fn)]() mutable -> boost::asio::awaitable<value_type> { co_return f(); },
        boost::asio::use_awaitable);
}

}  // namespace bfm::core
