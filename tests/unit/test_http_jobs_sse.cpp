// GET /api/v1/jobs/{id}/events: the event stream against a recording sink (order, keep-alive,
// jobs finished on another replica, overflow, client gone, shutdown), through the session on
// beast::test::stream (chunked and HTTP/1.0 framing), and over a real loopback socket with the
// fake's event bus publishing.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <limits>

#include "net/handlers.hpp"
#include "net/http_server.hpp"
#include "net/http_session.hpp"
#include "unit/test_http_fakes.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using bfm::core::job_event;
using bfm::core::job_event_type;
using bfm::core::job_status;
using tcp = asio::ip::tcp;

const std::string job_id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
const std::string auth_line =
    std::string("Authorization: Bearer ") + bfm::test::test_token + "\r\n";

bfm::core::job_summary job_with(job_status status) {
    bfm::core::job_summary job;
    job.job_id = job_id;
    job.status = status;
    job.connection = "organization";
    job.counts.targets_total = 2;
    job.counts.targets_done = bfm::core::is_final(status) ? 2 : 0;
    job.created_at = "2025-01-02T03:04:05.000Z";
    if (bfm::core::is_final(status)) job.finished_at = "2025-01-02T03:09:00.000Z";
    return job;
}

job_event event_of(job_event_type type, std::string schema = "cli_a", std::string migration = {}) {
    job_event e;
    e.type = type;
    e.job_id = job_id;
    e.connection = "organization";
    e.schema = std::move(schema);
    e.migration_id = std::move(migration);
    e.at = "2025-01-02T03:04:06.000Z";
    return e;
}

// One SSE frame: an event (type, id, data) or a comment (type ":", text in `comment`).
struct frame {
    std::string type;
    std::uint64_t id = 0;
    json::value data;
    std::string comment;
};

// Splits an SSE body into frames; fails the test on anything but well-formed frames.
std::vector<frame> parse_frames(std::string_view body) {
    std::vector<frame> out;
    while (!body.empty()) {
        const std::size_t end = body.find("\n\n");
        if (end == std::string_view::npos) {
            ADD_FAILURE() << "unterminated frame: " << body;
            break;
        }
        std::string_view block = body.substr(0, end);
        body.remove_prefix(end + 2);
        frame f;
        if (block.rfind(": ", 0) == 0) {
            f.type = ":";
            f.comment = std::string(block.substr(2));
            out.push_back(std::move(f));
            continue;
        }
        std::string data;
        while (!block.empty()) {
            const std::size_t eol = block.find('\n');
            const std::string_view line = block.substr(0, eol);
            block.remove_prefix(eol == std::string_view::npos ? block.size() : eol + 1);
            if (line.rfind("event: ", 0) == 0) {
                f.type = std::string(line.substr(7));
            } else if (line.rfind("id: ", 0) == 0) {
                f.id = std::stoull(std::string(line.substr(4)));
            } else if (line.rfind("data: ", 0) == 0) {
                data += std::string(line.substr(6));
            } else {
                ADD_FAILURE() << "unexpected SSE line: " << line;
            }
        }
        f.data = json::parse(data);
        out.push_back(std::move(f));
    }
    return out;
}

std::vector<std::string> types_of(const std::vector<frame>& frames) {
    std::vector<std::string> out;
    for (const frame& f : frames) out.push_back(f.type);
    return out;
}

// Records what a stream writes; can fail writes and request a stop.
class recording_sink final : public bfm::net::stream_sink {
public:
    asio::awaitable<bool> write(std::string data) override {
        if (written.size() >= fail_from) {
            ++failed_writes;
            co_return false;
        }
        written.push_back(std::move(data));
        if (after_write) after_write(written.size());
        co_return true;
    }
    bool stopping() const override { return stop; }

    std::string body() const {
        std::string out;
        for (const auto& w : written) out += w;
        return out;
    }

    std::vector<std::string> written;
    std::function<void(std::size_t)> after_write;  // called with the number of writes so far
    std::size_t fail_from = std::numeric_limits<std::size_t>::max();
    int failed_writes = 0;
    bool stop = false;
};

class JobEventStream : public ::testing::Test {
protected:
    JobEventStream() {
        service_.next_job.value = job_with(job_status::running);
        service_.target_rows.resize(2);
        service_.target_rows[0].seq = 0;
        service_.target_rows[0].schema = "cli_a";
        service_.target_rows[1].seq = 1;
        service_.target_rows[1].schema = "cli_b";
    }

    // Runs the events endpoint against `sink_`; returns false when it answered an error.
    bool run(std::chrono::milliseconds keep_alive = 5s) {
        bool streamed = false;
        bool done = false;
        asio::co_spawn(ioc_, drive(keep_alive, streamed), [&](std::exception_ptr e) {
            done = true;
            if (e) std::rethrow_exception(e);
        });
        ioc_.run_for(10s);
        EXPECT_TRUE(done) << "the stream did not end";
        return streamed;
    }

    asio::awaitable<void> drive(std::chrono::milliseconds keep_alive, bool& streamed) {
        bfm::net::stream_reply reply =
            co_await bfm::net::handle_job_events(service_, job_id, keep_alive);
        if (!reply.stream) co_return;
        streamed = true;
        subscribers_while_streaming_ = service_.events().subscriber_count();
        co_await reply.stream->run(sink_);
    }

    void publish(job_event e) { service_.events().publish(e); }

    asio::awaitable<void> finish_later() {
        asio::steady_timer timer(ioc_, 30ms);
        co_await timer.async_wait(asio::use_awaitable);
        job_event finished = event_of(job_event_type::job_finished, "");
        finished.status = "succeeded";
        finished.progress = 100;
        publish(finished);
        publish(event_of(job_event_type::target_started, "cli_late"));  // after the end: not sent
    }

    asio::io_context ioc_;
    bfm::test::fake_service service_{ioc_.get_executor(), 3};
    recording_sink sink_;
    std::size_t subscribers_while_streaming_ = 0;
};

TEST_F(JobEventStream, SnapshotFirstThenLiveEventsInOrderUntilJobFinished) {
    // Published while the snapshot is read: must not be lost (subscribed first).
    service_.on_get_job = [this](const std::string&) {
        publish(event_of(job_event_type::job_started, ""));
    };
    sink_.after_write = [this](std::size_t n) {
        if (n != 1) return;
        job_event started = event_of(job_event_type::target_started);
        started.progress = 0;
        publish(started);
        job_event ok = event_of(job_event_type::migration_succeeded, "cli_a", "20250101_users");
        ok.status = "applied";
        ok.duration_ms = 42;
        ok.progress = 50;
        publish(ok);
    };
    // Published later, while the stream waits for events.
    asio::co_spawn(ioc_, finish_later(), asio::detached);
    ASSERT_TRUE(run());
    EXPECT_EQ(subscribers_while_streaming_, 1u);

    const std::vector<frame> frames = parse_frames(sink_.body());
    ASSERT_EQ(types_of(frames),
              (std::vector<std::string>{"snapshot", "job_started", "target_started",
                                        "migration_succeeded", "job_finished"}))
        << sink_.body();
    for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(frames[i].id, i + 1);

    const json::value& snapshot = frames[0].data;
    EXPECT_EQ(bfm::test::str(snapshot.at("job").at("job_id")), job_id);
    EXPECT_EQ(snapshot.at("job").at("status"), "running");
    ASSERT_EQ(snapshot.at("targets").as_array().size(), 2u);
    EXPECT_EQ(snapshot.at("targets").at(0).at("schema"), "cli_a");
    EXPECT_EQ(snapshot.at("targets").at(1).at("seq"), 1);

    EXPECT_EQ(frames[3].data, json::parse(R"({"type":"migration_succeeded","job_id":")" + job_id
                                          + R"(","connection":"organization","schema":"cli_a",
        "migration_id":"20250101_users","status":"applied","error":null,"statement_index":null,
        "duration_ms":42,"at":"2025-01-02T03:04:06.000Z","progress":50})"));
    EXPECT_EQ(frames[4].data.at("status"), "succeeded");
    EXPECT_EQ(frames[4].data.at("progress"), 100);
    EXPECT_EQ(service_.events().subscriber_count(), 0u);
}

TEST_F(JobEventStream, AFinishedJobGetsSnapshotAndJobFinishedAtOnce) {
    service_.next_job.value = job_with(job_status::partial);
    service_.next_job.value->error = "1 of 2 targets failed";
    ASSERT_TRUE(run());
    const std::vector<frame> frames = parse_frames(sink_.body());
    ASSERT_EQ(types_of(frames), (std::vector<std::string>{"snapshot", "job_finished"}));
    EXPECT_EQ(frames[1].data.at("status"), "partial");
    EXPECT_EQ(frames[1].data.at("error"), "1 of 2 targets failed");
    EXPECT_EQ(frames[1].data.at("progress"), 100);
    EXPECT_EQ(frames[1].data.at("at"), "2025-01-02T03:09:00.000Z");
    EXPECT_EQ(service_.get_job_calls, 1);
}

TEST_F(JobEventStream, QuietStreamKeepsAliveAndSeesAJobFinishedElsewhere) {
    // Snapshot read, then two re-reads after quiet periods: the second finds the job final
    // (another replica ran it, so no event ever reaches this bus).
    service_.job_sequence = {{job_with(job_status::running), {}},
                             {job_with(job_status::running), {}},
                             {job_with(job_status::failed), {}}};
    ASSERT_TRUE(run(20ms));
    const std::vector<frame> frames = parse_frames(sink_.body());
    ASSERT_EQ(types_of(frames), (std::vector<std::string>{"snapshot", ":", ":", "job_finished"}))
        << sink_.body();
    EXPECT_EQ(frames[1].comment, "keep-alive");
    EXPECT_EQ(frames[3].data.at("status"), "failed");
    EXPECT_EQ(frames[3].data.at("type"), "job_finished");
    EXPECT_EQ(frames[3].id, 2u);  // comments take no IDs
    EXPECT_EQ(service_.get_job_calls, 3);
}

TEST_F(JobEventStream, AJobThatVanishesEndsWithAnError) {
    bfm::core::service_outcome<bfm::core::job_summary> gone;
    gone.error = bfm::core::service_error{"job_not_found", "no job " + job_id};
    service_.job_sequence = {{job_with(job_status::running), {}}, gone};
    ASSERT_TRUE(run(10ms));
    const std::vector<frame> frames = parse_frames(sink_.body());
    ASSERT_EQ(types_of(frames), (std::vector<std::string>{"snapshot", ":", "error"}));
    EXPECT_EQ(frames[2].data.at("code"), "job_not_found");
}

TEST_F(JobEventStream, ATransientReadFailureKeepsTheStreamGoing) {
    bfm::core::service_outcome<bfm::core::job_summary> down;
    down.error = bfm::core::service_error{"state_unavailable", "state DB down"};
    service_.job_sequence = {
        {job_with(job_status::running), {}}, down, {job_with(job_status::succeeded), {}}};
    ASSERT_TRUE(run(10ms));
    EXPECT_EQ(types_of(parse_frames(sink_.body())),
              (std::vector<std::string>{"snapshot", ":", ":", "job_finished"}));
}

TEST_F(JobEventStream, ASubscriberThatFallsBehindGetsAnErrorAndTheEnd) {
    // The fake's bus queues at most 3 events per subscriber.
    sink_.after_write = [this](std::size_t n) {
        if (n != 1) return;
        for (int i = 0; i < 4; ++i) publish(event_of(job_event_type::statement_done));
    };
    ASSERT_TRUE(run());
    const std::vector<frame> frames = parse_frames(sink_.body());
    ASSERT_EQ(types_of(frames), (std::vector<std::string>{"snapshot", "error"}));
    EXPECT_EQ(frames[1].data.at("code"), "events_overflow");
    EXPECT_EQ(bfm::test::str(frames[1].data.at("job_id")), job_id);
}

TEST_F(JobEventStream, AClientThatGoesAwayEndsTheStream) {
    sink_.fail_from = 1;  // the snapshot is written, the next write fails
    sink_.after_write = [this](std::size_t) {
        publish(event_of(job_event_type::target_started));
        publish(event_of(job_event_type::target_finished));
    };
    ASSERT_TRUE(run());
    EXPECT_EQ(sink_.written.size(), 1u);
    EXPECT_EQ(sink_.failed_writes, 1);  // it stopped at the first failure
    EXPECT_EQ(service_.events().subscriber_count(), 0u);
}

TEST_F(JobEventStream, ServerShutdownEndsTheStream) {
    sink_.after_write = [this](std::size_t n) {
        if (n == 2) sink_.stop = true;  // after the first keep-alive
    };
    ASSERT_TRUE(run(10ms));
    EXPECT_EQ(types_of(parse_frames(sink_.body())), (std::vector<std::string>{"snapshot", ":"}));
}

TEST_F(JobEventStream, TheSnapshotHoldsEveryTargetPage) {
    service_.target_rows.resize(2345);
    for (std::size_t i = 0; i < service_.target_rows.size(); ++i) {
        service_.target_rows[i].seq = static_cast<std::int64_t>(i);
    }
    service_.next_job.value = job_with(job_status::succeeded);
    ASSERT_TRUE(run());
    ASSERT_EQ(service_.target_queries.size(), 3u);
    EXPECT_EQ(service_.target_queries[0].offset, 0u);
    EXPECT_EQ(service_.target_queries[1].offset, 1000u);
    EXPECT_EQ(service_.target_queries[2].offset, 2000u);
    EXPECT_EQ(service_.target_queries[0].limit, 1000u);
    EXPECT_FALSE(service_.target_queries[0].status.has_value());
    const std::vector<frame> frames = parse_frames(sink_.body());
    ASSERT_FALSE(frames.empty());
    const json::array& targets = frames[0].data.at("targets").as_array();
    ASSERT_EQ(targets.size(), 2345u);
    EXPECT_EQ(targets[2344].at("seq"), 2344);
}

TEST_F(JobEventStream, ErrorsBeforeTheStreamAreReplies) {
    service_.next_job = {};
    service_.next_job.error = bfm::core::service_error{"job_not_found", "no job"};
    EXPECT_FALSE(run());
    EXPECT_TRUE(sink_.written.empty());
    EXPECT_EQ(service_.events().subscriber_count(), 0u);
}

TEST(SseFormat, EventsAndComments) {
    EXPECT_EQ(bfm::net::sse_event("snapshot", 7, R"({"a":1})"),
              "event: snapshot\nid: 7\ndata: {\"a\":1}\n\n");
    EXPECT_EQ(bfm::net::sse_event("x", 1, "two\nlines"),
              "event: x\nid: 1\ndata: two\ndata: lines\n\n");
    EXPECT_EQ(bfm::net::sse_comment("keep-alive"), ": keep-alive\n\n");
}

// ---- through the session -----------------------------------------------------------------

class SseSession : public ::testing::Test {
protected:
    SseSession() { service_.next_job.value = job_with(job_status::succeeded); }

    std::string exchange(std::string_view wire) {
        beast::test::stream server(ioc_);
        beast::test::stream client(ioc_);
        server.connect(client);
        server.append(wire);
        bool finished = false;
        asio::co_spawn(ioc_, bfm::net::run_http_session(server, router_, options_, control_),
                       [&](std::exception_ptr e) {
                           finished = true;
                           if (e) std::rethrow_exception(e);
                       });
        ioc_.run_for(10s);
        EXPECT_TRUE(finished);
        return std::string(client.str());
    }

    asio::io_context ioc_;
    bfm::test::fake_service service_{ioc_.get_executor()};
    bfm::net::router router_{service_.config(), service_};
    bfm::net::session_options options_;
    bfm::net::session_control control_;
};

TEST_F(SseSession, Http11StreamIsChunkedAndClosesTheConnection) {
    // A pipelined second request is not answered: the stream ends the connection.
    const std::string wire = "GET /api/v1/jobs/" + job_id + "/events HTTP/1.1\r\nHost: x\r\n"
                             + auth_line + "\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    const std::string out = exchange(wire);
    http::response_parser<http::string_body> parser;
    beast::error_code ec;
    parser.eager(true);
    const std::size_t used = parser.put(asio::buffer(out), ec);
    ASSERT_FALSE(ec) << ec.message() << "\n" << out;
    ASSERT_TRUE(parser.is_done()) << out;
    EXPECT_EQ(used, out.size()) << "bytes after the stream: " << out.substr(used);
    const auto& res = parser.get();
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_TRUE(res.chunked());
    EXPECT_EQ(res.count(http::field::content_length), 0u);
    EXPECT_EQ(res[http::field::content_type], "text/event-stream");
    EXPECT_EQ(res[http::field::cache_control], "no-cache");
    EXPECT_FALSE(res.keep_alive());
    EXPECT_EQ(types_of(parse_frames(res.body())),
              (std::vector<std::string>{"snapshot", "job_finished"}));
    EXPECT_EQ(service_.events().subscriber_count(), 0u);
}

TEST_F(SseSession, Http10StreamIsRawUntilClose) {
    const std::string out =
        exchange("GET /api/v1/jobs/" + job_id + "/events HTTP/1.0\r\n" + auth_line + "\r\n");
    const std::size_t head_end = out.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos) << out;
    const std::string head = out.substr(0, head_end + 4);
    EXPECT_EQ(head.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << head;
    EXPECT_EQ(head.find("Transfer-Encoding"), std::string::npos) << head;
    EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
    EXPECT_EQ(types_of(parse_frames(out.substr(head_end + 4))),
              (std::vector<std::string>{"snapshot", "job_finished"}));
}

TEST_F(SseSession, ErrorsAreOrdinaryResponsesAndKeepTheConnection) {
    service_.next_job = {};
    service_.next_job.error = bfm::core::service_error{"job_not_found", "no job"};
    const std::string events = "GET /api/v1/jobs/" + job_id + "/events HTTP/1.1\r\nHost: x\r\n";
    const std::string out = exchange(events + auth_line
                                     + "\r\nGET /health HTTP/1.1\r\nHost: x\r\n"
                                       "Connection: close\r\n\r\n");
    EXPECT_EQ(out.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << out;
    EXPECT_NE(out.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << out;
}

TEST_F(SseSession, AnIoFailureAtAnyStepOfAStreamEndsTheSessionQuietly) {
    const std::string wire =
        "GET /api/v1/jobs/" + job_id + "/events HTTP/1.1\r\nHost: x\r\n" + auth_line + "\r\n";
    bool complete = false;
    std::size_t n = 0;
    for (; n < 50 && !complete; ++n) {
        asio::io_context ioc;
        beast::test::fail_count fc(n);
        beast::test::stream server(ioc, fc);
        beast::test::stream client(ioc);
        server.connect(client);
        server.append(wire);
        bfm::net::session_control control;
        bool finished = false;
        std::exception_ptr error;
        asio::co_spawn(ioc, bfm::net::run_http_session(server, router_, options_, control),
                       [&](std::exception_ptr e) {
                           finished = true;
                           error = e;
                       });
        ioc.run_for(10s);
        ASSERT_TRUE(finished) << "fail at step " << n;
        EXPECT_FALSE(error) << "fail at step " << n;
        EXPECT_EQ(service_.events().subscriber_count(), 0u) << "fail at step " << n;
        const std::string out(client.str());
        complete = out.find("0\r\n\r\n") != std::string::npos
                   && out.find("event: job_finished") != std::string::npos;
    }
    EXPECT_TRUE(complete);
    EXPECT_GT(n, 3u);  // header, snapshot, job_finished and the last chunk each failed once
}

// ---- over a real loopback socket ----------------------------------------------------------

class SseLoopback : public ::testing::Test {
protected:
    SseLoopback() {
        service_.config_.http_address = "127.0.0.1";
        service_.next_job.value = job_with(job_status::running);
        service_.target_rows.resize(1);
        service_.target_rows[0].schema = "cli_a";
    }

    static asio::awaitable<tcp::socket> connect_to(std::uint16_t port) {
        tcp::socket socket(co_await asio::this_coro::executor);
        co_await socket.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                      asio::use_awaitable);
        co_return socket;
    }

    // Reads the event stream until `body` holds `frames` complete frames or the message ends.
    static asio::awaitable<void> read_frames(tcp::socket& socket, beast::flat_buffer& buffer,
                                             http::response_parser<http::string_body>& parser,
                                             std::size_t frames) {
        for (;;) {
            const std::string& body = parser.get().body();
            std::size_t complete = 0;
            for (std::size_t at = body.find("\n\n"); at != std::string::npos;
                 at = body.find("\n\n", at + 2)) {
                ++complete;
            }
            if (complete >= frames || parser.is_done()) co_return;
            co_await http::async_read_some(socket, buffer, parser, asio::use_awaitable);
        }
    }

    // The whole scenario; `result_` gets the parsed body.
    asio::awaitable<void> watch(bfm::net::http_server& server, std::uint16_t port) {
        tcp::socket socket = co_await connect_to(port);
        const std::string request = "GET /api/v1/jobs/" + job_id + "/events HTTP/1.1\r\nHost: x\r\n"
                                    + auth_line + "Accept: text/event-stream\r\n\r\n";
        co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);

        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.eager(true);
        co_await http::async_read_header(socket, buffer, parser, asio::use_awaitable);
        head_ = parser.get().base();
        co_await read_frames(socket, buffer, parser, 1);
        snapshot_seen_ = parser.get().body().find("event: snapshot") == 0;

        // Another connection is served while the stream is open.
        tcp::socket other = co_await connect_to(port);
        http::request<http::string_body> health{http::verb::get, "/health", 11};
        co_await http::async_write(other, health, asio::use_awaitable);
        beast::flat_buffer other_buffer;
        http::response<http::string_body> health_res;
        co_await http::async_read(other, other_buffer, health_res, asio::use_awaitable);
        health_status_ = health_res.result();

        job_event started = event_of(job_event_type::target_started);
        service_.events().publish(started);
        job_event ok = event_of(job_event_type::migration_succeeded, "cli_a", "20250101_users");
        ok.status = "applied";
        service_.events().publish(ok);
        // Read them before the end is published: the delivery pass writes them itself
        // (direct delivery); job_finished always goes through the stream's coroutine.
        if (finish_later_) co_await read_frames(socket, buffer, parser, 3);
        job_event finished = event_of(job_event_type::job_finished, "");
        finished.status = "succeeded";
        finished.progress = 100;
        service_.events().publish(finished);

        co_await read_frames(socket, buffer, parser, 100);
        complete_ = parser.is_done();
        body_ = parser.get().body();
        char byte = 0;
        std::tuple<beast::error_code, std::size_t> after = co_await socket.async_read_some(
            asio::buffer(&byte, 1), asio::as_tuple(asio::use_awaitable));
        after_end_ = std::get<0>(after);
        server.stop();
    }

    // Serves one watch() against a real server; true when the scenario ran to its end.
    bool run_watch() {
        bfm::net::http_server server(ioc_, service_.config(), service_);
        const std::uint16_t port = server.listen();
        bool done = false;
        asio::co_spawn(ioc_, watch(server, port), [&](std::exception_ptr e) {
            done = true;
            if (e) std::rethrow_exception(e);
        });
        ioc_.run_for(10s);
        return done;
    }

    asio::io_context ioc_;
    bfm::test::fake_service service_{ioc_.get_executor()};
    http::response_header<> head_;
    bool finish_later_ = false;
    bool snapshot_seen_ = false;
    http::status health_status_{};
    bool complete_ = false;
    std::string body_;
    beast::error_code after_end_;
};

TEST_F(SseLoopback, EventsWrittenByTheDeliveryPassThenTheEnd) {
    finish_later_ = true;
    ASSERT_TRUE(run_watch());
    EXPECT_TRUE(complete_) << "no final chunk";
    const std::vector<frame> frames = parse_frames(body_);
    ASSERT_EQ(types_of(frames), (std::vector<std::string>{"snapshot", "target_started",
                                                          "migration_succeeded", "job_finished"}))
        << body_;
    for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(frames[i].id, i + 1);
    EXPECT_EQ(service_.events().subscriber_count(), 0u);
}

TEST_F(SseLoopback, SnapshotThenPublishedEventsThenTheEnd) {
    ASSERT_TRUE(run_watch());
    EXPECT_EQ(head_.result(), http::status::ok);
    EXPECT_EQ(head_[http::field::content_type], "text/event-stream");
    EXPECT_EQ(head_[http::field::cache_control], "no-cache");
    EXPECT_EQ(head_.count(http::field::content_length), 0u);
    EXPECT_TRUE(snapshot_seen_);
    EXPECT_EQ(health_status_, http::status::ok);
    EXPECT_TRUE(complete_) << "no final chunk";
    EXPECT_EQ(after_end_, asio::error::eof);
    const std::vector<frame> frames = parse_frames(body_);
    ASSERT_EQ(types_of(frames), (std::vector<std::string>{"snapshot", "target_started",
                                                          "migration_succeeded", "job_finished"}))
        << body_;
    EXPECT_EQ(frames[0].data.at("targets").at(0).at("schema"), "cli_a");
    EXPECT_EQ(frames[2].data.at("migration_id"), "20250101_users");
    EXPECT_EQ(frames[3].id, 4u);
    EXPECT_EQ(service_.events().subscriber_count(), 0u);
    EXPECT_TRUE(ioc_.stopped()) << "server or session still running";
}

TEST_F(SseLoopback, StopEndsAnOpenStream) {
    bfm::net::http_server server(ioc_, service_.config(), service_);
    const std::uint16_t port = server.listen();
    bool ended = false;
    asio::co_spawn(
        ioc_,
        [&]() -> asio::awaitable<void> {
            tcp::socket socket = co_await connect_to(port);
            const std::string request = "GET /api/v1/jobs/" + job_id
                                        + "/events HTTP/1.1\r\nHost: x\r\n" + auth_line + "\r\n";
            co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);
            beast::flat_buffer buffer;
            http::response_parser<http::string_body> parser;
            co_await read_frames(socket, buffer, parser, 1);
            server.stop();
            co_await read_frames(socket, buffer, parser, 100);  // until the final chunk
            ended = parser.is_done();
        },
        [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
    ioc_.run_for(10s);
    EXPECT_TRUE(ended);
    EXPECT_TRUE(ioc_.stopped());
    EXPECT_EQ(service_.events().subscriber_count(), 0u);
}

}  // namespace
