#pragma once
// Runs a coroutine to completion on an io_context from a synchronous test body. The context is
// stopped when the coroutine ends: background loops (the engine's job scheduler) would keep
// run() going forever; they go on with the next run_sync call.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

namespace bfm::test {

template <class T>
T run_sync(boost::asio::io_context& ioc, boost::asio::awaitable<T> coro) {
    std::optional<T> value;
    std::exception_ptr error;
    boost::asio::co_spawn(ioc, std::move(coro), [&](std::exception_ptr e, T v) {
        error = e;
        if (!e) value.emplace(std::move(v));
        ioc.stop();
    });
    ioc.restart();
    ioc.run();
    if (error) std::rethrow_exception(error);
    return std::move(*value);
}

inline void run_sync(boost::asio::io_context& ioc, boost::asio::awaitable<void> coro) {
    std::exception_ptr error;
    boost::asio::co_spawn(ioc, std::move(coro), [&](std::exception_ptr e) {
        error = e;
        ioc.stop();
    });
    ioc.restart();
    ioc.run();
    if (error) std::rethrow_exception(error);
}

// Runs several coroutines concurrently until all of them ended (the first exception wins).
inline void run_all(boost::asio::io_context& ioc,
                    std::vector<boost::asio::awaitable<void>> coros) {
    std::exception_ptr error;
    std::size_t left = coros.size();
    for (auto& c : coros) {
        boost::asio::co_spawn(ioc, std::move(c), [&](std::exception_ptr e) {
            if (e && !error) error = e;
            if (--left == 0) ioc.stop();
        });
    }
    ioc.restart();
    if (left > 0) ioc.run();
    if (error) std::rethrow_exception(error);
}

}  // namespace bfm::test
