#pragma once
// One HTTP/1.1 connection as one coroutine (the Beast coroutine-server model): it owns its read
// buffer, reads one request at a time with a size-limited parser, hands it to the router and
// writes the answer, looping while the client keeps the connection alive (pipelined requests
// are answered in order). A streamed answer (router_reply::stream, e.g. SSE) is written as a
// header, then the stream's pieces (chunked on HTTP/1.1, raw until close on HTTP/1.0), and ends
// the connection. Templated on the stream so unit tests drive it with
// beast::test::stream; the read/write deadline applies when the stream is a beast::tcp_stream.
//
// Expected failures are read with as_tuple and never throw: a body over the limit gets 413, a
// header over the limit 431, malformed HTTP 400, each followed by a close; a client that goes
// away or a timeout just ends the session.

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/system/error_code.hpp>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "net/json_response.hpp"
#include "net/router.hpp"
#include "net/sse_stream.hpp"

namespace bfm::net {

struct session_options {
    std::size_t body_limit = 1024 * 1024;  // BFM_HTTP_BODY_LIMIT
    std::size_t header_limit = 16 * 1024;
    std::chrono::milliseconds io_timeout{30000};  // BFM_HTTP_READ_TIMEOUT, per read and per write
};

// Shared by a running session and the server that spawned it. Used on the io thread only.
struct session_control {
    bool stopping = false;            // finish the request in flight, then close
    bool idle = false;                // waiting for the next request's header
    std::function<void()> cancel_io;  // set by the session while it runs

    // Server shutdown: an idle session is woken (its read cancelled) and closes; a busy one
    // answers its current request with "Connection: close".
    void request_stop() {
        stopping = true;
        if (idle && cancel_io) cancel_io();
    }
};

// The answer to a failed request read, or nullopt when the connection should just be closed
// (client gone, timeout, cancelled). Also writes the access log line for rejected requests.
std::optional<json_reply> read_error_reply(const boost::system::error_code& ec,
                                           const session_options& options);

namespace detail {

template <class Stream>
inline constexpr bool is_tcp_stream = std::is_same_v<Stream, boost::beast::tcp_stream>;

template <class Stream>
void arm_deadline(Stream& stream, std::chrono::milliseconds timeout) {
    if constexpr (is_tcp_stream<Stream>) stream.expires_after(timeout);
}

template <class Stream>
void clear_deadline(Stream& stream) {
    if constexpr (is_tcp_stream<Stream>) stream.expires_never();
}

template <class Stream>
void cancel_io(Stream& stream) {
    if constexpr (is_tcp_stream<Stream>) {
        stream.cancel();
    } else {
        stream.close();
    }
}

template <class Stream>
void close_stream(Stream& stream) {
    if constexpr (is_tcp_stream<Stream>) {
        boost::system::error_code ignored;
        stream.socket().shutdown(boost::asio::socket_base::shutdown_send, ignored);
        stream.socket().close(ignored);
    } else {
        stream.close();
    }
}

// After an error answer the client may still be sending (e.g. an oversized body): closing at
// once would make the kernel send RST and the client could lose our answer. So shut down our
// side, then read and discard for a short, bounded while before closing.
template <class Stream>
boost::asio::awaitable<void> lingering_close(Stream& stream) {
    if constexpr (is_tcp_stream<Stream>) {
        boost::system::error_code ignored;
        stream.socket().shutdown(boost::asio::socket_base::shutdown_send, ignored);
        stream.expires_after(std::chrono::seconds(2));
        std::array<char, 16 * 1024> scratch;
        std::size_t drained = 0;
        while (drained < 4 * 1024 * 1024) {
            auto [ec, n] = co_await stream.async_read_some(
                boost::asio::buffer(scratch), boost::asio::as_tuple(boost::asio::use_awaitable));
            if (ec) break;
            drained += n;
        }
    }
    close_stream(stream);
}

// Clears the session's cancel hook however the session ends.
struct cancel_hook_guard {
    session_control& control;
    ~cancel_hook_guard() {
        control.cancel_io = nullptr;
        control.idle = false;
    }
};

// Writes a stream's pieces to the connection, each under the session's write deadline.
template <class Stream>
class session_sink final : public stream_sink {
public:
    session_sink(Stream& stream, bool chunked, std::chrono::milliseconds timeout,
                 const session_control& control)
        : stream_(stream), chunked_(chunked), timeout_(timeout), control_(control) {}

    boost::asio::awaitable<bool> write(std::string data) override {
        if (failed_) co_return false;
        writing_ = true;
        if (!kept_.empty()) {
            const std::string kept = std::move(kept_);
            kept_.clear();
            co_await write_raw(boost::asio::buffer(kept));
        }
        if (!failed_ && !data.empty()) {
            if (chunked_) {
                const auto chunk = boost::beast::http::make_chunk(boost::asio::buffer(data));
                co_await write_raw(chunk);
            } else {
                co_await write_raw(boost::asio::buffer(data));
            }
        }
        writing_ = false;
        co_return !failed_;
    }

    write_now_result write_now(std::string_view data) override {
        if constexpr (!is_tcp_stream<Stream>) {
            static_cast<void>(data);
            return write_now_result::unavailable;
        } else {
            if (failed_) return write_now_result::failed;
            if (!can_write_now()) return write_now_result::unavailable;
            if (data.empty()) return write_now_result::sent;
            auto& socket = stream_.socket();
            boost::system::error_code ec;
            if (!socket.non_blocking()) {
                socket.non_blocking(true, ec);
                if (ec) {
                    failed_ = true;
                    return write_now_result::failed;
                }
            }
            const std::string size_line = chunked_ ? chunk_size_line(data.size()) : std::string();
            const std::string_view crlf = chunked_ ? "\r\n" : "";
            const std::array<boost::asio::const_buffer, 3> pieces{boost::asio::buffer(size_line),
                                                                  boost::asio::buffer(data),
                                                                  boost::asio::buffer(crlf)};
            const std::size_t total = size_line.size() + data.size() + crlf.size();
            const std::size_t sent = socket.write_some(pieces, ec);
            if (ec && ec != boost::asio::error::would_block
                && ec != boost::asio::error::try_again) {
                failed_ = true;
                return write_now_result::failed;
            }
            if (sent == total) return write_now_result::sent;
            // The socket buffer is full: keep the rest (already framed) for write().
            kept_.reserve(total - sent);
            for (std::size_t offset = 0; const auto& piece : pieces) {
                const std::string_view bytes(static_cast<const char*>(piece.data()), piece.size());
                if (offset + bytes.size() > sent) {
                    kept_.append(bytes.substr(sent > offset ? sent - offset : 0));
                }
                offset += bytes.size();
            }
            return write_now_result::partly_kept;
        }
    }

    bool can_write_now() const override {
        return is_tcp_stream<Stream> && !failed_ && !writing_ && kept_.empty();
    }

    bool has_kept() const override { return !kept_.empty(); }

    bool stopping() const override { return control_.stopping; }

    // Ends a chunked body properly (the client then knows the stream was complete).
    boost::asio::awaitable<void> finish() {
        if (!kept_.empty() && !co_await write(std::string())) co_return;
        if (failed_ || !chunked_) co_return;
        const auto last = boost::beast::http::make_chunk_last();
        co_await write_raw(last);
    }

private:
    template <class Buffers>
    boost::asio::awaitable<void> write_raw(Buffers buffers) {
        constexpr auto tuple_token = boost::asio::as_tuple(boost::asio::use_awaitable);
        arm_deadline(stream_, timeout_);
        std::tuple<boost::system::error_code, std::size_t> r =
            co_await boost::asio::async_write(stream_, buffers, tuple_token);
        // No deadline while the stream waits for its next event.
        clear_deadline(stream_);
        if (std::get<0>(r)) failed_ = true;
    }

    static std::string chunk_size_line(std::size_t size) {
        std::array<char, 20> digits{};
        const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), size, 16).ptr;
        std::string line(digits.data(), end);
        line.append("\r\n");
        return line;
    }

    Stream& stream_;
    bool chunked_;
    std::chrono::milliseconds timeout_;
    const session_control& control_;
    bool failed_ = false;
    bool writing_ = false;
    std::string kept_;  // framed bytes write_now() could not send yet
};

// Writes `head` (header only), then runs `body` against the connection.
template <class Stream>
boost::asio::awaitable<void> run_response_stream(Stream& stream, http_response& head,
                                                 response_stream& body,
                                                 const session_options& options,
                                                 const session_control& control) {
    namespace http = boost::beast::http;
    constexpr auto tuple_token = boost::asio::as_tuple(boost::asio::use_awaitable);
    http::response<http::empty_body> header{std::move(head.base())};
    const bool chunked = header.version() >= 11;
    header.keep_alive(false);
    header.chunked(chunked);
    http::response_serializer<http::empty_body> serializer{header};
    arm_deadline(stream, options.io_timeout);
    std::tuple<boost::system::error_code, std::size_t> r =
        co_await http::async_write_header(stream, serializer, tuple_token);
    clear_deadline(stream);
    if (std::get<0>(r)) co_return;
    session_sink<Stream> sink(stream, chunked, options.io_timeout, control);
    co_await body.run(sink);
    co_await sink.finish();
}

}  // namespace detail

template <class Stream>
boost::asio::awaitable<void> run_http_session(Stream& stream, router& handler,
                                              session_options options, session_control& control) {
    namespace http = boost::beast::http;
    constexpr auto tuple_token = boost::asio::as_tuple(boost::asio::use_awaitable);

    boost::beast::flat_buffer buffer;
    control.cancel_io = [&stream] { detail::cancel_io(stream); };
    detail::cancel_hook_guard guard{control};

    while (!control.stopping) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
        parser.body_limit(options.body_limit);

        // One deadline covers header and body: a slow client cannot hold the slot forever.
        detail::arm_deadline(stream, options.io_timeout);
        control.idle = true;
        auto [ec, n_header] = co_await http::async_read_header(stream, buffer, parser, tuple_token);
        control.idle = false;
        if (!ec && !parser.is_done()) {
            const auto& req = parser.get();
            if (req.version() >= 11
                && boost::beast::iequals(req[http::field::expect], "100-continue")) {
                http::response<http::empty_body> go_on{http::status::continue_, req.version()};
                auto [wec, wn] = co_await http::async_write(stream, go_on, tuple_token);
                ec = wec;
            }
            if (!ec) {
                auto [bec, n_body] = co_await http::async_read(stream, buffer, parser, tuple_token);
                ec = bec;
            }
        }
        if (ec) {
            if (auto reply = read_error_reply(ec, options)) {
                http_response res = make_response(*reply, 11, false);
                detail::arm_deadline(stream, options.io_timeout);
                co_await http::async_write(stream, res, tuple_token);
                co_await detail::lingering_close(stream);
                co_return;
            }
            break;
        }

        const http_request request = parser.release();
        // Handling may take long (a migration run): no deadline while the router works.
        detail::clear_deadline(stream);
        router_reply reply = co_await handler.respond(request);
        if (reply.stream) {
            co_await detail::run_response_stream(stream, reply.response, *reply.stream, options,
                                                 control);
            // Unread pipelined bytes would make a plain close send RST, which can cost the
            // client the stream's tail.
            co_await detail::lingering_close(stream);
            co_return;
        }
        http_response& res = reply.response;
        if (control.stopping) res.keep_alive(false);

        detail::arm_deadline(stream, options.io_timeout);
        auto [wec, wn] = co_await http::async_write(stream, res, tuple_token);
        if (wec || !res.keep_alive()) break;
    }
    detail::close_stream(stream);
}

}  // namespace bfm::net
