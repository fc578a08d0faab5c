// Event delivery under many watchers (a benchmark, not a test): S Server-Sent-Events subscribers
// (GET /api/v1/jobs/{id}/events) and W gRPC WatchJob streams on ONE running job. For every event
// a watcher receives, latency = time received - the event's own `at` stamp (milliseconds, set
// by the server when it publishes the event; same machine clock).
//
// Two figures: `live` counts the events published after every watcher had its snapshot (all
// streams attached: the steady state the goal is about); `all` adds the backlog each watcher
// caught up on while the others were still connecting. Prints one JSON object.
//
// Usage: bfm_bench_watch HOST HTTP_PORT GRPC_PORT TOKEN JOB_ID SSE_WATCHERS GRPC_WATCHERS
//        (the script bench/watch/run.sh starts everything and submits the job)

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/client_callback.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "migration.pb.h"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

// "2026-11-21T15:20:00.123Z" -> milliseconds since the epoch; -1 when it does not parse.
// Hand-rolled: millions of stamps go through here and the client shares the server's cores.
std::int64_t parse_at(std::string_view at) {
    int y, mo, d, h, mi, s, ms;
    if (at.size() < 24 || !digits(at, 0, 4, y) || !digits(at, 5, 2, mo) || !digits(at, 8, 2, d)
        || !digits(at, 11, 2, h) || !digits(at, 14, 2, mi) || !digits(at, 17, 2, s)
        || !digits(at, 20, 3, ms)) {
        return -1;
    }
    thread_local int cached_day[3] = {-1, -1, -1};
    thread_local std::int64_t cached_day_ms = 0;
    if (cached_day[0] != y || cached_day[1] != mo || cached_day[2] != d) {
        std::tm tm{};
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        cached_day_ms = static_cast<std::int64_t>(timegm(&tm)) * 1000;
        cached_day[0] = y;
        cached_day[1] = mo;
        cached_day[2] = d;
    }
    return cached_day_ms + ((h * 60 + mi) * 60 + s) * 1000LL + ms;
}

// Latencies in 1 ms buckets (the last one: 60 s or more), filled from several threads.
struct histogram {
    static constexpr std::size_t buckets = 60001;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts {
        new std::atomic<std::uint64_t>[ buckets ]()
    };

    void add(std::int64_t ms) {
        const auto i = static_cast<std::size_t>(std::clamp<std::int64_t>(ms, 0, buckets - 1));
        counts[i].fetch_add(1, std::memory_order_relaxed);
    }
    boost::json::object report() const {
        std::uint64_t total = 0;
        for (std::size_t i = 0; i < buckets; ++i) total += counts[i].load();
        auto at = [&](double p) -> std::int64_t {
            if (total == 0) return -1;
            const auto rank = static_cast<std::uint64_t>(p * static_cast<double>(total - 1)) + 1;
            std::uint64_t seen = 0;
            for (std::size_t i = 0; i < buckets; ++i) {
                seen += counts[i].load();
                if (seen >= rank) return static_cast<std::int64_t>(i);
            }
            return static_cast<std::int64_t>(buckets - 1);
        };
        return {{"events", total}, {"p50", at(0.50)},   {"p90", at(0.90)},
                {"p99", at(0.99)}, {"p999", at(0.999)}, {"max", at(1.0)}};
    }
};

struct results {
    int watchers = 0;
    std::atomic<int> attached{0};           // watchers that got their snapshot
    std::atomic<std::int64_t> ready_ms{0};  // when the last one did (0: not yet)
    std::atomic<std::int64_t> first_live_at{0}, last_live_at{0};
    histogram live, all, live_sse, live_grpc;
    std::atomic<std::uint64_t> live_grpc_messages{0};  // WatchJob messages after all attached
    std::atomic<int> finished{0};                      // watchers that saw job_finished
    std::atomic<int> failed{0};  // watchers that could not connect or ended badly
    std::atomic<std::uint64_t> min_per_watcher{~0ULL}, max_per_watcher{0};

    void snapshot_received() {
        if (attached.fetch_add(1) + 1 == watchers) ready_ms = now_ms();
    }
    void event_received(std::string_view at, bool sse) {
        const std::int64_t stamp = parse_at(at);
        if (stamp < 0) return;
        const std::int64_t latency = now_ms() - stamp;
        all.add(latency);
        const std::int64_t ready = ready_ms.load(std::memory_order_relaxed);
        if (ready == 0 || stamp < ready) return;
        live.add(latency);
        (sse ? live_sse : live_grpc).add(latency);
        std::int64_t first = first_live_at.load();
        while ((first == 0 || stamp < first)
               && !first_live_at.compare_exchange_weak(first, stamp)) {
        }
        std::int64_t last = last_live_at.load();
        while (stamp > last && !last_live_at.compare_exchange_weak(last, stamp)) {
        }
    }
    void watcher_done(std::uint64_t events) {
        std::uint64_t v = min_per_watcher.load();
        while (events < v && !min_per_watcher.compare_exchange_weak(v, events)) {
        }
        v = max_per_watcher.load();
        while (events > v && !max_per_watcher.compare_exchange_weak(v, events)) {
        }
    }
};

// The string value of "key":"..." in a JSON text without escapes in that value.
std::string_view json_string_field(std::string_view json, std::string_view quoted_key) {
    const std::size_t k = json.find(quoted_key);
    if (k == std::string_view::npos) return {};
    const std::size_t start = k + quoted_key.size();
    const std::size_t end = json.find('"', start);
    if (end == std::string_view::npos) return {};
    return json.substr(start, end - start);
}

// The lines of one SSE stream: "event:" and "data:" lines are looked at (the chunk-size lines of
// the chunked body are ignored), the stamp found without a JSON parser.
class sse_lines {
public:
    explicit sse_lines(results& out) : out_(out) {}

    // Takes the bytes of one read; true once job_finished was seen.
    bool feed(std::string_view bytes) {
        if (!carry_.empty()) {  // the start of a line came with the previous read
            const std::size_t eol = bytes.find('\n');
            if (eol == std::string_view::npos) {
                carry_.append(bytes);
                return false;
            }
            carry_.append(bytes.substr(0, eol));
            bytes.remove_prefix(eol + 1);
            const bool finished = line(carry_);
            carry_.clear();
            if (finished) return true;
        }
        for (;;) {
            const std::size_t eol = bytes.find('\n');
            if (eol == std::string_view::npos) break;
            if (line(bytes.substr(0, eol))) return true;
            bytes.remove_prefix(eol + 1);
        }
        carry_.assign(bytes);
        return false;
    }

private:
    bool line(std::string_view text) {
        if (text.starts_with("event: ")) {
            type_.assign(text.substr(7));
            if (!type_.empty() && type_.back() == '\r') type_.pop_back();
            return false;
        }
        if (!text.starts_with("data: ")) return false;
        if (type_ == "snapshot") {
            out_.snapshot_received();
            return false;
        }
        ++events_;
        out_.event_received(json_string_field(text, "\"at\":\""), true);
        if (type_ != "job_finished") return false;
        ++out_.finished;
        out_.watcher_done(events_);
        return true;
    }

    results& out_;
    std::string type_;
    std::string carry_;  // a line whose end has not arrived yet
    std::uint64_t events_ = 0;
};

// One SSE subscriber: raw HTTP/1.1 on its own socket. It waits for the socket to be readable and
// then reads into one buffer shared by all subscribers (they run on one thread, and each
// consumes what it read before it waits again): no 64 KB buffer per subscriber, no copy.
asio::awaitable<void> sse_watcher(tcp::endpoint server, const std::string& request, results& out) {
    static std::array<char, 256 * 1024> shared_buffer;
    tcp::socket socket(co_await asio::this_coro::executor);
    sse_lines lines(out);
    try {
        co_await socket.async_connect(server, asio::use_awaitable);
        co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);
        socket.non_blocking(true);
        for (;;) {
            co_await socket.async_wait(tcp::socket::wait_read, asio::use_awaitable);
            boost::system::error_code ec;
            const std::size_t n = socket.read_some(asio::buffer(shared_buffer), ec);
            if (ec == asio::error::would_block) continue;
            if (ec) throw boost::system::system_error(ec);
            if (lines.feed(std::string_view(shared_buffer.data(), n))) co_return;
        }
    } catch (const std::exception&) {
        ++out.failed;
    }
}

// Reads a protobuf varint at `pos`; false when the bytes end first.
bool read_varint(std::string_view bytes, std::size_t& pos, std::uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64 && pos < bytes.size(); shift += 7) {
        const auto byte = static_cast<unsigned char>(bytes[pos++]);
        out |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) return true;
    }
    return false;
}

// Calls on_field(number, value) for every length-delimited field of one message and skips the
// others; false when the bytes are no well-formed message.
template <typename OnField>
bool for_each_bytes_field(std::string_view message, OnField on_field) {
    std::size_t pos = 0;
    while (pos < message.size()) {
        std::uint64_t key = 0, value = 0;
        if (!read_varint(message, pos, key)) return false;
        switch (key & 7) {
            case 0:
                if (!read_varint(message, pos, value)) return false;
                break;
            case 1:
                pos += 8;
                break;
            case 5:
                pos += 4;
                break;
            case 2:
                if (!read_varint(message, pos, value) || value > message.size() - pos) return false;
                on_field(key >> 3, message.substr(pos, value));
                pos += value;
                break;
            default:
                return false;
        }
    }
    return pos == message.size();
}

// One gRPC WatchJob stream, read with the callback API (no thread per stream). The JobEvents
// messages are read as bytes and only `type` (1) and `at` (10) of each JobEvent are looked at,
// like the SSE reader does without a JSON parser: the client shares the server's two cores, and
// parsing whole messages made it cost more CPU than the server's io thread.
class grpc_watcher : public grpc::ClientReadReactor<grpc::ByteBuffer> {
public:
    grpc_watcher(grpc::Channel& channel, const grpc::internal::RpcMethod& method,
                 const std::string& token, const std::string& job_id, results& out,
                 std::atomic<int>& open)
        : out_(out), open_(open) {
        context_.AddMetadata("authorization", "Bearer " + token);
        request_.set_job_id(job_id);
        grpc::internal::ClientCallbackReaderFactory<grpc::ByteBuffer>::Create(
            &channel, method, &context_, &request_, this);
        StartRead(&message_);
        StartCall();
    }
    void OnReadDone(bool ok) override {
        if (!ok) return;
        if (out_.ready_ms.load(std::memory_order_relaxed) != 0) ++out_.live_grpc_messages;
        if (!read_events()) {
            unreadable_ = true;
            context_.TryCancel();
            return;
        }
        StartRead(&message_);
    }
    void OnDone(const grpc::Status& status) override {
        if (!status.ok() || unreadable_) ++out_.failed;
        --open_;
    }

private:
    bool read_events() {
        std::vector<grpc::Slice> slices;
        if (!message_.Dump(&slices).ok()) return false;
        bytes_.clear();
        for (const grpc::Slice& s : slices) {
            bytes_.append(reinterpret_cast<const char*>(s.begin()), s.size());
        }
        return for_each_bytes_field(bytes_, [&](std::uint64_t number, std::string_view event) {
            if (number != 1) return;
            std::string_view type, at;
            for_each_bytes_field(event, [&](std::uint64_t field, std::string_view value) {
                if (field == 1) type = value;
                if (field == 10) at = value;
            });
            if (type == "snapshot") {
                out_.snapshot_received();
                return;
            }
            ++events_;
            out_.event_received(at, false);
            if (type == "job_finished") {
                ++out_.finished;
                out_.watcher_done(events_);
            }
        });
    }

    grpc::ClientContext context_;
    migration::WatchJobRequest request_;
    grpc::ByteBuffer message_;
    std::string bytes_;
    std::uint64_t events_ = 0;
    bool unreadable_ = false;  // a message that is no JobEvents: the stream was cancelled
    results& out_;
    std::atomic<int>& open_;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 8) {
        std::cerr << "usage: " << argv[0]
                  << " HOST HTTP_PORT GRPC_PORT TOKEN JOB_ID SSE_WATCHERS GRPC_WATCHERS\n";
        return 2;
    }
    const std::string host = argv[1];
    const auto http_port = static_cast<unsigned short>(std::stoi(argv[2]));
    const std::string grpc_target = host + ":" + argv[3];
    const std::string token = argv[4];
    const std::string job_id = argv[5];
    const int sse_count = std::stoi(argv[6]);
    const int grpc_count = std::stoi(argv[7]);
    results out;
    out.watchers = sse_count + grpc_count;
    const std::int64_t started_ms = now_ms();

    // gRPC: 10 channels (separate HTTP/2 connections), streams spread over them.
    std::vector<std::shared_ptr<grpc::Channel>> channels;
    std::vector<grpc::internal::RpcMethod> watch_methods;
    for (int i = 0; i < 10; ++i) {
        grpc::ChannelArguments args;
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        args.SetInt("bench.channel", i);  // distinct args: distinct connections
        channels.push_back(
            grpc::CreateCustomChannel(grpc_target, grpc::InsecureChannelCredentials(), args));
        watch_methods.emplace_back("/migration.MigrationService/WatchJob",
                                   grpc::internal::RpcMethod::SERVER_STREAMING, channels.back());
    }
    std::atomic<int> grpc_open{grpc_count};
    std::vector<std::unique_ptr<grpc_watcher>> watchers;
    for (int i = 0; i < grpc_count; ++i) {
        const std::size_t c = static_cast<std::size_t>(i) % channels.size();
        watchers.push_back(std::make_unique<grpc_watcher>(*channels[c], watch_methods[c], token,
                                                          job_id, out, grpc_open));
    }

    asio::io_context ioc;
    const tcp::endpoint server(asio::ip::make_address(host), http_port);
    const std::string request = "GET /api/v1/jobs/" + job_id + "/events HTTP/1.1\r\nHost: " + host
                                + "\r\nAuthorization: Bearer " + token
                                + "\r\nAccept: text/event-stream\r\n\r\n";
    for (int i = 0; i < sse_count; ++i) {
        asio::co_spawn(ioc, sse_watcher(server, request, out), asio::detached);
    }
    ioc.run();
    while (grpc_open > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));

    const std::int64_t ready = out.ready_ms.load();
    const std::int64_t first = out.first_live_at.load();
    const std::int64_t last = out.last_live_at.load();
    boost::json::object report{
        {"sse_watchers", sse_count},
        {"grpc_watchers", grpc_count},
        {"watchers_finished", out.finished.load()},
        {"watchers_failed", out.failed.load()},
        {"attach_s", ready == 0 ? -1.0 : static_cast<double>(ready - started_ms) / 1000.0},
        {"events_per_watcher",
         boost::json::object{
             {"min", out.min_per_watcher.load() == ~0ULL ? 0 : out.min_per_watcher.load()},
             {"max", out.max_per_watcher.load()}}},
        {"live_window_s", first == 0 ? 0.0 : static_cast<double>(last - first) / 1000.0},
        {"grpc_messages_per_s", last > first
                                    ? std::round(static_cast<double>(out.live_grpc_messages.load())
                                                 * 1000.0 / static_cast<double>(last - first))
                                    : 0.0},
        {"latency_ms", out.live.report()},
        {"latency_ms_with_backlog", out.all.report()},
        {"latency_ms_sse", out.live_sse.report()},
        {"latency_ms_grpc", out.live_grpc.report()},
    };
    std::cout << boost::json::serialize(report) << "\n";
    return out.failed > 0 ? 1 : 0;
}
