// Event delivery under many watchers (a benchmark, not a test): S Server-Sent-Events subscribers
// (GET /api/v1/jobs/{id}/events) and W gRPC WatchJob streams on ONE job, all opened before the
// job starts running. For every live event each watcher receives, latency = time received - the
// event's own `at` stamp (milliseconds, set by the server when it publishes the event). Prints
// one JSON object: counts, p50/p90/p99/max latency, and how many watchers saw job_finished.
//
// Usage: bfm_bench_watch HOST HTTP_PORT GRPC_PORT TOKEN JOB_ID SSE_WATCHERS GRPC_WATCHERS
//        (the script bench/watch/run.sh starts everything and submits the job)

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "migration.grpc.pb.h"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// "2026-11-21T15:20:00.123Z" -> milliseconds since the epoch; -1 when it does not parse.
std::int64_t parse_at(const std::string& at) {
    std::tm tm{};
    int ms = 0;
    if (std::sscanf(at.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
                    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms)
        != 7) {
        return -1;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

struct results {
    std::mutex mutex;
    std::vector<std::int64_t> latencies_ms;
    std::atomic<int> finished{0};  // watchers that saw job_finished
    std::atomic<int> failed{0};    // watchers that could not connect or ended badly

    void add(const std::string& type, const std::string& at) {
        if (type == "snapshot") return;  // a replay of the past, not a delivery
        const auto stamp = parse_at(at);
        if (stamp < 0) return;
        const auto latency = now_ms() - stamp;
        const std::lock_guard<std::mutex> lock(mutex);
        latencies_ms.push_back(latency);
    }
};

// One SSE subscriber: raw HTTP/1.1 on its own socket, lines parsed as they come.
asio::awaitable<void> sse_watcher(tcp::endpoint server, std::string request, results& out) {
    tcp::socket socket(co_await asio::this_coro::executor);
    try {
        co_await socket.async_connect(server, asio::use_awaitable);
        co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);
        std::string buffer;
        for (;;) {
            const std::size_t n =
                co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer), '\n',
                                                asio::use_awaitable);
            std::string line = buffer.substr(0, n - 1);
            buffer.erase(0, n);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.rfind("data: ", 0) != 0) continue;
            boost::system::error_code ec;
            auto event = boost::json::parse(line.substr(6), ec);
            if (ec || !event.is_object()) continue;
            const auto& o = event.as_object();
            const auto* type = o.if_contains("type");
            const auto* at = o.if_contains("at");
            if (type == nullptr || !type->is_string()) continue;
            const std::string t(type->get_string());
            out.add(t, at != nullptr && at->is_string() ? std::string(at->get_string()) : "");
            if (t == "job_finished") {
                ++out.finished;
                co_return;
            }
        }
    } catch (const std::exception&) {
        ++out.failed;
    }
}

// One gRPC WatchJob stream, read with the callback API (no thread per stream).
class grpc_watcher : public grpc::ClientReadReactor<migration::JobEvent> {
public:
    grpc_watcher(migration::MigrationService::Stub& stub, const std::string& token,
                 const std::string& job_id, results& out, std::atomic<int>& open)
        : out_(out), open_(open) {
        context_.AddMetadata("authorization", "Bearer " + token);
        request_.set_job_id(job_id);
        stub.async()->WatchJob(&context_, &request_, this);
        StartRead(&event_);
        StartCall();
    }
    void OnReadDone(bool ok) override {
        if (!ok) return;
        out_.add(event_.type(), event_.at());
        if (event_.type() == "job_finished") ++out_.finished;
        StartRead(&event_);
    }
    void OnDone(const grpc::Status& status) override {
        if (!status.ok()) ++out_.failed;
        --open_;
    }

private:
    grpc::ClientContext context_;
    migration::WatchJobRequest request_;
    migration::JobEvent event_;
    results& out_;
    std::atomic<int>& open_;
};

std::int64_t percentile(const std::vector<std::int64_t>& sorted, double p) {
    if (sorted.empty()) return -1;
    const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(i, sorted.size() - 1)];
}

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

    // gRPC: 10 channels (separate HTTP/2 connections), streams spread over them.
    std::vector<std::unique_ptr<migration::MigrationService::Stub>> stubs;
    for (int i = 0; i < 10; ++i) {
        grpc::ChannelArguments args;
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        args.SetInt("bench.channel", i);  // distinct args: distinct connections
        stubs.push_back(migration::MigrationService::NewStub(grpc::CreateCustomChannel(
            grpc_target, grpc::InsecureChannelCredentials(), args)));
    }
    std::atomic<int> grpc_open{grpc_count};
    std::vector<std::unique_ptr<grpc_watcher>> watchers;
    for (int i = 0; i < grpc_count; ++i) {
        watchers.push_back(
            std::make_unique<grpc_watcher>(*stubs[static_cast<std::size_t>(i) % stubs.size()],
                                           token, job_id, out, grpc_open));
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

    std::vector<std::int64_t> sorted = out.latencies_ms;
    std::sort(sorted.begin(), sorted.end());
    boost::json::object report{
        {"sse_watchers", sse_count},
        {"grpc_watchers", grpc_count},
        {"watchers_finished", out.finished.load()},
        {"watchers_failed", out.failed.load()},
        {"events_received", sorted.size()},
        {"latency_ms", boost::json::object{{"p50", percentile(sorted, 0.50)},
                                           {"p90", percentile(sorted, 0.90)},
                                           {"p99", percentile(sorted, 0.99)},
                                           {"max", sorted.empty() ? -1 : sorted.back()}}},
    };
    std::cout << boost::json::serialize(report) << "\n";
    return out.failed > 0 ? 1 : 0;
}
