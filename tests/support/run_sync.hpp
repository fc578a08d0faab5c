#pragma once
// Runs a coroutine to completion on a fresh io_context from a synchronous test body.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>
#include <utility>

namespace bfm::test {

template <class T>
T run_sync(boost::asio::io_context& ioc, boost::asio::awaitable<T> coro) {
    std::optional<T> value;
    std::exception_ptr error;
    boost::asio::co_spawn(ioc, std::move(coro), [&](std::exception_ptr e, T v) {
        error = e;
        if (!e) value.emplace(std::move(v));
    });
    ioc.restart();
    ioc.run();
    if (error) std::rethrow_exception(error);
    return std::move(*value);
}

inline void run_sync(boost::asio::io_context& ioc, boost::asio::awaitable<void> coro) {
    std::exception_ptr error;
    boost::asio::co_spawn(ioc, std::move(coro), [&](std::exception_ptr e) { error = e; });
    ioc.restart();
    ioc.run();
    if (error) std::rethrow_exception(error);
}

}  // namespace bfm::test
