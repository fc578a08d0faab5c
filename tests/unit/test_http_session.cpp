// The connection coroutine driven through beast::test::stream (keep-alive, limits, malformed
// input), and the listener on a real loopback socket (listen errors, stop(), connection cap).
#include <gtest/gtest.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/system/system_error.hpp>
#include <sstream>

#include "net/http_server.hpp"
#include "net/http_session.hpp"
#include "unit/test_http_fakes.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

const std::string auth_line =
    std::string("Authorization: Bearer ") + bfm::test::test_token + "\r\n";

// Parses every complete HTTP response in `wire`, in order.
std::vector<http::response<http::string_body>> parse_responses(std::string_view wire) {
    std::vector<http::response<http::string_body>> out;
    beast::flat_buffer buffer;
    auto mb = buffer.prepare(wire.size());
    asio::buffer_copy(mb, asio::buffer(wire.data(), wire.size()));
    buffer.commit(wire.size());
    while (buffer.size() > 0) {
        http::response_parser<http::string_body> parser;
        parser.eager(true);
        beast::error_code ec;
        const std::size_t used = parser.put(buffer.data(), ec);
        if (ec || !parser.is_done()) break;
        buffer.consume(used);
        out.push_back(parser.release());
    }
    return out;
}

class HttpSession : public ::testing::Test {
protected:
    HttpSession() { options_.body_limit = 1000; }

    // Feeds `wire` to a session, closes the client side and runs until the session ends.
    // Returns everything the session wrote.
    std::string exchange(std::string_view wire, bool close_client = true) {
        beast::test::stream server(ioc_);
        beast::test::stream client(ioc_);
        server.connect(client);
        server.append(wire);
        if (close_client) server.close_remote();
        asio::co_spawn(ioc_, bfm::net::run_http_session(server, router_, options_, control_),
                       [this](std::exception_ptr e) {
                           finished_ = true;
                           if (e) std::rethrow_exception(e);
                       });
        ioc_.run_for(std::chrono::seconds(10));  // a session that never ends fails, not hangs
        return std::string(client.str());
    }

    asio::io_context ioc_;
    bfm::test::fake_service service_;
    bfm::net::router router_{service_.config(), service_};
    bfm::net::session_options options_;
    bfm::net::session_control control_;
    bool finished_ = false;
};

TEST_F(HttpSession, TwoKeepAliveRequestsAreAnsweredInOrder) {
    const std::string wire =
        "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n";
    auto responses = parse_responses(exchange(wire));
    EXPECT_TRUE(finished_);
    ASSERT_EQ(responses.size(), 2u);
    EXPECT_EQ(responses[0].result(), http::status::ok);
    EXPECT_TRUE(responses[0].keep_alive());
    EXPECT_EQ(json::parse(responses[0].body()).at("status"), "healthy");
    EXPECT_EQ(responses[1].result(), http::status::not_found);
    EXPECT_EQ(json::parse(responses[1].body()).at("error"), "not found: /nope");
}

TEST_F(HttpSession, PostWithBodyThenGetOnOneConnection) {
    const std::string body = R"({"connection":"core","schema":"core"})";
    const std::string wire =
        "POST /api/v1/migrate HTTP/1.1\r\nHost: x\r\n" + auth_line
        + "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size())
        + "\r\n\r\n" + body + "GET /api/v1/migrations?limit=2 HTTP/1.1\r\nHost: x\r\n" + auth_line
        + "\r\n";
    auto responses = parse_responses(exchange(wire));
    ASSERT_EQ(responses.size(), 2u);
    EXPECT_EQ(responses[0].result(), http::status::ok) << responses[0].body();
    EXPECT_EQ(responses[1].result(), http::status::ok) << responses[1].body();
    ASSERT_EQ(service_.requests.size(), 1u);
    EXPECT_EQ(service_.requests[0].schemas, (std::vector<std::string>{"core"}));
    ASSERT_EQ(service_.queries.size(), 1u);
    EXPECT_EQ(service_.queries[0].limit, 2u);
}

TEST_F(HttpSession, ConnectionCloseEndsTheSession) {
    // The client side stays open: the session must end by itself after answering.
    auto responses =
        parse_responses(exchange("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                                 "GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
                                 false));
    EXPECT_TRUE(finished_);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_FALSE(responses[0].keep_alive());
}

TEST_F(HttpSession, OversizedBodyIs413AndClose) {
    const std::string body(2000, 'x');
    const std::string wire = "POST /api/v1/migrate HTTP/1.1\r\nHost: x\r\n" + auth_line
                             + "Content-Length: 2000\r\n\r\n" + body
                             + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    auto responses = parse_responses(exchange(wire, false));
    EXPECT_TRUE(finished_);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].result(), http::status::payload_too_large);
    EXPECT_FALSE(responses[0].keep_alive());
    auto parsed = json::parse(responses[0].body());
    EXPECT_EQ(parsed.at("error"), "request body exceeds 1000 bytes");
    EXPECT_EQ(parsed.at("code"), "body_too_large");
    EXPECT_TRUE(service_.requests.empty());
}

TEST_F(HttpSession, OversizedChunkedBodyIs413) {
    const std::string chunk(800, 'y');
    const std::string wire = "POST /api/v1/migrate HTTP/1.1\r\nHost: x\r\n" + auth_line
                             + "Transfer-Encoding: chunked\r\n\r\n320\r\n" + chunk + "\r\n320\r\n"
                             + chunk + "\r\n0\r\n\r\n";
    auto responses = parse_responses(exchange(wire, false));
    EXPECT_TRUE(finished_);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].result(), http::status::payload_too_large);
    EXPECT_TRUE(service_.requests.empty());
}

TEST_F(HttpSession, GarbageRequestLineIs400AndClose) {
    auto responses =
        parse_responses(exchange("HELLO THERE\r\n\r\nGET /health HTTP/1.1\r\n\r\n", false));
    EXPECT_TRUE(finished_);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].result(), http::status::bad_request);
    EXPECT_FALSE(responses[0].keep_alive());
    auto parsed = json::parse(responses[0].body());
    EXPECT_EQ(parsed.at("code"), "bad_request");
    EXPECT_NE(parsed.at("error").as_string().find("malformed HTTP request"), std::string::npos);
}

TEST_F(HttpSession, OversizedHeaderIs431) {
    const std::string wire =
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'z') + "\r\n\r\n";
    auto responses = parse_responses(exchange(wire, false));
    EXPECT_TRUE(finished_);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].result(), http::status::request_header_fields_too_large);
    EXPECT_EQ(json::parse(responses[0].body()).at("code"), "header_too_large");
}

TEST_F(HttpSession, ExpectContinueGets100First) {
    const std::string body = R"({"connection":"core"})";
    const std::string wire = "POST /api/v1/migrate HTTP/1.1\r\nHost: x\r\n" + auth_line
                             + "Expect: 100-continue\r\nContent-Length: "
                             + std::to_string(body.size()) + "\r\n\r\n" + body;
    const std::string out = exchange(wire);
    EXPECT_EQ(out.rfind("HTTP/1.1 100 Continue\r\n", 0), 0u) << out;
    const std::string rest = out.substr(out.find("\r\n\r\n") + 4);
    auto responses = parse_responses(rest);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].result(), http::status::ok) << responses[0].body();
}

TEST_F(HttpSession, StopClosesAnIdleSession) {
    beast::test::stream server(ioc_);
    beast::test::stream client(ioc_);
    server.connect(client);
    server.append("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    asio::co_spawn(ioc_, bfm::net::run_http_session(server, router_, options_, control_),
                   [this](std::exception_ptr) { finished_ = true; });
    ioc_.poll();  // answers the request, then waits for the next one
    while (ioc_.poll() > 0) {
    }
    EXPECT_FALSE(finished_);
    EXPECT_TRUE(control_.idle);
    ASSERT_EQ(parse_responses(client.str()).size(), 1u);
    control_.request_stop();
    ioc_.restart();
    ioc_.run_for(std::chrono::seconds(10));
    EXPECT_TRUE(finished_);
    EXPECT_FALSE(control_.cancel_io);
}

TEST_F(HttpSession, AnIoFailureAtAnyStepEndsTheSessionQuietly) {
    // beast::test::fail_count makes the n-th stream operation fail; whatever step fails, the
    // session must end without an exception, and once nothing fails both answers arrive.
    const std::string body = R"({"connection":"core"})";
    const std::string wire = "POST /api/v1/migrate HTTP/1.1\r\nHost: x\r\n" + auth_line
                             + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body
                             + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    bool succeeded = false;
    for (std::size_t n = 0; n < 50 && !succeeded; ++n) {
        asio::io_context ioc;
        beast::test::fail_count fc(n);
        beast::test::stream server(ioc, fc);
        beast::test::stream client(ioc);
        server.connect(client);
        server.append(wire);
        server.close_remote();
        bfm::net::session_control control;
        bool finished = false;
        std::exception_ptr error;
        asio::co_spawn(ioc, bfm::net::run_http_session(server, router_, options_, control),
                       [&](std::exception_ptr e) {
                           finished = true;
                           error = e;
                       });
        ioc.run_for(std::chrono::seconds(10));
        ASSERT_TRUE(finished) << "fail at step " << n;
        EXPECT_FALSE(error) << "fail at step " << n;
        EXPECT_FALSE(control.cancel_io) << "fail at step " << n;
        succeeded = parse_responses(client.str()).size() == 2;
    }
    EXPECT_TRUE(succeeded);
}

// ---- the listener on loopback -----------------------------------------------------------

class HttpServer : public ::testing::Test {
protected:
    HttpServer() { service_.config_.http_address = "127.0.0.1"; }

    // Writes a request on `socket` and reads one response.
    static asio::awaitable<http::response<http::string_body>> round_trip(tcp::socket& socket,
                                                                         std::string target) {
        http::request<http::string_body> req{http::verb::get, target, 11};
        req.set(http::field::host, "127.0.0.1");
        co_await http::async_write(socket, req, asio::use_awaitable);
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        co_await http::async_read(socket, buffer, res, asio::use_awaitable);
        co_return res;
    }

    static asio::awaitable<tcp::socket> connect_to(std::uint16_t port) {
        tcp::socket socket(co_await asio::this_coro::executor);
        co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port},
                                      asio::use_awaitable);
        co_return socket;
    }

    asio::io_context ioc_;
    bfm::test::fake_service service_;
};

TEST_F(HttpServer, ServesOnAnEphemeralPortAndStopClosesKeepAliveConnections) {
    bfm::net::http_server server(ioc_, service_.config(), service_);
    const std::uint16_t port = server.listen();
    ASSERT_NE(port, 0);

    bool done = false;
    beast::error_code after_stop;
    asio::co_spawn(
        ioc_,
        [&]() -> asio::awaitable<void> {
            tcp::socket socket = co_await connect_to(port);
            auto res = co_await round_trip(socket, "/health");
            EXPECT_EQ(res.result(), http::status::ok);
            EXPECT_TRUE(res.keep_alive());
            server.stop();  // the session is idle on a keep-alive connection
            char byte;
            auto [ec, n] = co_await socket.async_read_some(asio::buffer(&byte, 1),
                                                           asio::as_tuple(asio::use_awaitable));
            after_stop = ec;
            done = true;
        },
        [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
    ioc_.run_for(std::chrono::seconds(10));  // returns early only if everything ended
    EXPECT_TRUE(done);
    EXPECT_EQ(after_stop, asio::error::eof);
    EXPECT_TRUE(ioc_.stopped()) << "accept loop or session still running after stop()";
}

TEST_F(HttpServer, ConnectionsOverTheCapGet503) {
    service_.config_.http_max_connections = 1;
    bfm::net::http_server server(ioc_, service_.config(), service_);
    const std::uint16_t port = server.listen();

    http::status second_status{};
    std::string retry_after;
    asio::co_spawn(
        ioc_,
        [&]() -> asio::awaitable<void> {
            tcp::socket first = co_await connect_to(port);
            auto res1 = co_await round_trip(first, "/health");
            EXPECT_EQ(res1.result(), http::status::ok);
            tcp::socket second = co_await connect_to(port);
            beast::flat_buffer buffer;
            http::response<http::string_body> res2;
            co_await http::async_read(second, buffer, res2, asio::use_awaitable);
            second_status = res2.result();
            retry_after = std::string(res2[http::field::retry_after]);
            EXPECT_EQ(json::parse(res2.body()).at("code"), "overloaded");
            server.stop();
        },
        [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
    ioc_.run_for(std::chrono::seconds(10));
    EXPECT_EQ(second_status, http::status::service_unavailable);
    EXPECT_EQ(retry_after, "1");
}

TEST_F(HttpServer, ListenErrorsNameTheAddress) {
    service_.config_.http_address = "256.1.1.1";
    bfm::net::http_server bad(ioc_, service_.config(), service_);
    try {
        bad.listen();
        FAIL() << "listen on an invalid address succeeded";
    } catch (const boost::system::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot listen on 256.1.1.1:0"), std::string::npos)
            << e.what();
    }
}

TEST_F(HttpServer, PortInUseIsAnError) {
    bfm::net::http_server first(ioc_, service_.config(), service_);
    const std::uint16_t port = first.listen();
    bfm::test::fake_service other;
    other.config_.http_address = "127.0.0.1";
    other.config_.http_port = port;
    bfm::net::http_server second(ioc_, other.config(), other);
    try {
        second.listen();
        FAIL() << "second listen on port " << port << " succeeded";
    } catch (const boost::system::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot listen on 127.0.0.1:" + std::to_string(port)),
                  std::string::npos)
            << e.what();
        EXPECT_EQ(e.code(), asio::error::address_in_use);
    }
    first.stop();
    ioc_.run_for(std::chrono::seconds(5));
}

// write_now over a real socket with a small send buffer: what the socket cannot take at once is
// kept, later writes wait behind it, and the client receives every chunk whole and in order.
TEST(SessionSinkLoopback, AWriteNowTheSocketCannotTakeWholeIsKeptAndSentInOrder) {
    using result = bfm::net::stream_sink::write_now_result;
    asio::io_context ioc;
    tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket client(ioc);
    client.connect(acceptor.local_endpoint());
    tcp::socket accepted = acceptor.accept();
    accepted.set_option(asio::socket_base::send_buffer_size(4096));
    beast::tcp_stream stream(std::move(accepted));
    bfm::net::session_control control;
    bfm::net::detail::session_sink<beast::tcp_stream> sink(stream, true, std::chrono::seconds(5),
                                                           control);
    std::string big(1 << 20, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);

    EXPECT_EQ(sink.write_now("hello"), result::sent);
    EXPECT_FALSE(sink.has_kept());
    EXPECT_EQ(sink.write_now(big), result::partly_kept);
    EXPECT_TRUE(sink.has_kept());
    EXPECT_EQ(sink.write_now("too early"), result::unavailable);  // would overtake the rest

    bool written = false;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            written = co_await sink.write("tail");
            co_await sink.finish();
            stream.socket().shutdown(tcp::socket::shutdown_send);
        },
        asio::detached);
    std::string received;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            std::array<char, 65536> chunk;
            for (;;) {
                auto [ec, n] = co_await client.async_read_some(asio::buffer(chunk),
                                                               asio::as_tuple(asio::use_awaitable));
                received.append(chunk.data(), n);
                if (ec) break;
            }
        },
        asio::detached);
    ioc.run_for(std::chrono::seconds(20));
    EXPECT_TRUE(written);
    EXPECT_FALSE(sink.has_kept());
    const std::string expected = "5\r\nhello\r\n100000\r\n" + big + "\r\n4\r\ntail\r\n0\r\n\r\n";
    EXPECT_EQ(received.size(), expected.size());
    EXPECT_TRUE(received == expected) << "the bytes differ from the chunked stream expected";
}

// A stream that is not a TCP socket (the unit tests' beast::test::stream) has no direct path.
TEST(SessionSinkLoopback, AStreamThatIsNoSocketHasNoDirectWrite) {
    asio::io_context ioc;
    beast::test::stream server(ioc);
    bfm::net::session_control control;
    bfm::net::detail::session_sink<beast::test::stream> sink(server, true, std::chrono::seconds(5),
                                                             control);
    EXPECT_EQ(sink.write_now("hello"), bfm::net::stream_sink::write_now_result::unavailable);
}

}  // namespace
