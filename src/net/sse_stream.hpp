#pragma once
// A response body produced over time (Server-Sent Events) rather than returned whole. The
// router hands one to the HTTP session, which writes the header, then runs the stream with a
// sink bound to the connection, then closes the connection.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace bfm::net {

// Where a stream writes. Implemented by the HTTP session over its socket.
class stream_sink {
public:
    virtual ~stream_sink() = default;

    // Sends `data` to the client at once. False when the client is gone or too slow (the write
    // deadline passed): the stream should end; later writes fail too.
    virtual boost::asio::awaitable<bool> write(std::string data) = 0;

    // The server is shutting down: the stream should end at its next chance.
    virtual bool stopping() const = 0;

    // True when write_now() can send: no write() is in progress, nothing is kept, and the
    // connection supports it (a TCP socket, put in non-blocking mode).
    virtual bool can_write_now() const { return false; }
    // Sends `data` without suspending, when can_write_now(). Bytes the socket does not take at
    // once are kept and go out first on the next write(); write("") sends only them.
    enum class write_now_result { sent, partly_kept, unavailable, failed };
    virtual write_now_result write_now(std::string_view data) {
        static_cast<void>(data);
        return write_now_result::unavailable;
    }
    // True while bytes kept by write_now() wait for the next write().
    virtual bool has_kept() const { return false; }
};

class response_stream {
public:
    virtual ~response_stream() = default;

    // Writes the body until it is complete, the client is gone or the sink is stopping.
    virtual boost::asio::awaitable<void> run(stream_sink& sink) = 0;
};

// "event: <type>\nid: <id>\ndata: <data>\n\n"; a line break in `data` starts another "data:"
// line, as the SSE format requires (serialised JSON has none).
std::string sse_event(std::string_view type, std::uint64_t id, std::string_view data);
// The same, appended to `out` (many events in one write).
void append_sse_event(std::string& out, std::string_view type, std::uint64_t id,
                      std::string_view data);

// ": <text>\n\n" — ignored by clients, keeps proxies and idle timers from closing the stream.
std::string sse_comment(std::string_view text);

}  // namespace bfm::net
