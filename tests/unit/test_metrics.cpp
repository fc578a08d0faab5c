// The metrics registry and its Prometheus text format 0.0.4 (core/metrics.hpp, bfm_metrics.hpp).
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "core/bfm_metrics.hpp"
#include "core/metrics.hpp"

namespace {

namespace metrics = bfm::core::metrics;

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

TEST(Metrics, CounterTextFormat) {
    metrics::registry r;
    auto& c = r.counter("x_requests_total", "Requests.", {"route", "code"});
    c.inc({"/a", "200"});
    c.inc({"/a", "200"}, 2);
    c.inc({"/b", "404"});
    EXPECT_EQ(r.render(),
              "# HELP x_requests_total Requests.\n"
              "# TYPE x_requests_total counter\n"
              "x_requests_total{route=\"/a\",code=\"200\"} 3\n"
              "x_requests_total{route=\"/b\",code=\"404\"} 1\n");
    EXPECT_EQ(c.value({"/a", "200"}), 3);
    EXPECT_EQ(c.value({"/c", "200"}), 0);
}

TEST(Metrics, UnlabelledCounterStartsAtZero) {
    metrics::registry r;
    r.counter("x_total", "X.");
    EXPECT_EQ(r.render(), "# HELP x_total X.\n# TYPE x_total counter\nx_total 0\n");
}

TEST(Metrics, LabelValuesAndHelpAreEscaped) {
    metrics::registry r;
    auto& g = r.gauge("x", "line\\one\ntwo", {"v"});
    g.set({"a\"b\\c\nd"}, 1.5);
    const std::string text = r.render();
    EXPECT_TRUE(contains(text, "# HELP x line\\\\one\\ntwo\n")) << text;
    EXPECT_TRUE(contains(text, "x{v=\"a\\\"b\\\\c\\nd\"} 1.5\n")) << text;
}

TEST(Metrics, GaugeSetAndClear) {
    metrics::registry r;
    auto& g = r.gauge("jobs", "Jobs.", {"status"});
    g.set({"running"}, 2);
    g.set({"running"}, 5);
    EXPECT_EQ(g.value({"running"}), 5);
    EXPECT_TRUE(contains(r.render(), "jobs{status=\"running\"} 5\n"));
    g.clear();
    EXPECT_EQ(r.render(), "# HELP jobs Jobs.\n# TYPE jobs gauge\n");
}

TEST(Metrics, HistogramBucketsAreCumulativeAndUpperInclusive) {
    metrics::registry r;
    auto& h = r.histogram("d_seconds", "D.", {"route"}, {0.1, 1, 10});
    h.observe({"/a"}, 0.05);
    h.observe({"/a"}, 0.1);  // le="0.1" includes 0.1
    h.observe({"/a"}, 0.5);
    h.observe({"/a"}, 100);
    const auto s = h.get({"/a"});
    EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{2, 3, 3, 4}));
    EXPECT_EQ(s.count, 4u);
    EXPECT_DOUBLE_EQ(s.sum, 100.65);
    EXPECT_EQ(r.render(),
              "# HELP d_seconds D.\n"
              "# TYPE d_seconds histogram\n"
              "d_seconds_bucket{route=\"/a\",le=\"0.1\"} 2\n"
              "d_seconds_bucket{route=\"/a\",le=\"1\"} 3\n"
              "d_seconds_bucket{route=\"/a\",le=\"10\"} 3\n"
              "d_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n"
              "d_seconds_sum{route=\"/a\"} 100.65\n"
              "d_seconds_count{route=\"/a\"} 4\n");
}

TEST(Metrics, UnlabelledHistogramRendersZeroBuckets) {
    metrics::registry r;
    r.histogram("w", "W.", {}, {0.5});
    EXPECT_EQ(r.render(),
              "# HELP w W.\n# TYPE w histogram\n"
              "w_bucket{le=\"0.5\"} 0\nw_bucket{le=\"+Inf\"} 0\nw_sum 0\nw_count 0\n");
}

TEST(Metrics, MisuseThrows) {
    metrics::registry r;
    auto& c = r.counter("c_total", "C.", {"a"});
    EXPECT_THROW(c.inc({}), std::invalid_argument);
    EXPECT_THROW(c.inc({"x", "y"}), std::invalid_argument);
    EXPECT_THROW(r.counter("c_total", "again"), std::invalid_argument);
    EXPECT_THROW(r.histogram("h", "H.", {}, {1, 0.5}), std::invalid_argument);
}

TEST(Metrics, ValuesFormatAsPrometheusReadsThem) {
    EXPECT_EQ(metrics::format_value(0), "0");
    EXPECT_EQ(metrics::format_value(42), "42");
    EXPECT_EQ(metrics::format_value(0.005), "0.005");
    EXPECT_EQ(metrics::format_value(1.0 / 0.0), "+Inf");
    EXPECT_EQ(metrics::format_value(-1.0 / 0.0), "-Inf");
    EXPECT_EQ(metrics::format_value(0.0 / 0.0), "NaN");
}

TEST(Metrics, UpdatesFromSeveralThreadsAreNotLost) {
    metrics::registry r;
    auto& c = r.counter("t_total", "T.", {"k"});
    auto& h = r.histogram("t_seconds", "T.", {}, {1});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 10000; ++i) {
                c.inc({"x"});
                h.observe({}, 0.5);
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(c.value({"x"}), 40000);
    EXPECT_EQ(h.get({}).count, 40000u);
}

TEST(Metrics, BfmMetricsMoveWhenRecorded) {
    const std::string before = metrics::render();
    metrics::record_http_request("/api/v1/jobs/{id}", "GET", 200, 0.002);
    metrics::record_grpc_request("/migration.MigrationService/Migrate", "OK", 0.01);
    metrics::record_migration("applied", 1.2);
    metrics::record_migrations_skipped(3);
    metrics::record_lock_wait(0.02);
    metrics::record_retry();
    metrics::set_job_gauges(true, {{"running", 2}}, {{"queued", 7}});
    const std::string text = metrics::render();
    EXPECT_TRUE(contains(
        text, "bfm_http_requests_total{route=\"/api/v1/jobs/{id}\",method=\"GET\",code=\"200\"}"))
        << text;
    EXPECT_TRUE(contains(text, "bfm_http_request_duration_seconds_bucket{route=\"/api/v1/jobs/"
                               "{id}\",method=\"GET\",le=\"0.0025\"}"))
        << text;
    EXPECT_TRUE(contains(text, "bfm_grpc_requests_total{method=\"/migration.MigrationService/"
                               "Migrate\",code=\"OK\"} 1"))
        << text;
    EXPECT_TRUE(contains(text, "bfm_migration_duration_seconds_count{outcome=\"applied\"}"));
    EXPECT_TRUE(contains(text, "bfm_lock_wait_seconds_count"));
    EXPECT_TRUE(contains(text, "bfm_jobs{status=\"running\"} 2\n")) << text;
    EXPECT_TRUE(contains(text, "bfm_job_targets{status=\"queued\"} 7\n")) << text;
    EXPECT_TRUE(contains(text, "bfm_state_up 1\n"));
    metrics::set_job_gauges(false, {}, {});
    const std::string down = metrics::render();
    EXPECT_TRUE(contains(down, "bfm_state_up 0\n"));
    EXPECT_FALSE(contains(down, "bfm_jobs{"));
}

}  // namespace
