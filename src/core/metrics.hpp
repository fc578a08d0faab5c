#pragma once
// A small Prometheus metrics registry (text exposition format 0.0.4): counters, gauges and
// histograms with fixed buckets, each a family of children keyed by label values. Updates take
// the family's mutex, so they are safe from any thread (the io thread, gRPC's, the side pool).

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace bfm::core::metrics {

using label_values = std::vector<std::string>;

class family {
public:
    family(std::string name, std::string help, std::vector<std::string> label_names);
    virtual ~family() = default;
    family(const family&) = delete;
    family& operator=(const family&) = delete;

    const std::string& name() const { return name_; }
    // Appends `# HELP`, `# TYPE` and one line per child (several for a histogram).
    void render(std::string& out) const;

protected:
    virtual std::string_view type() const = 0;
    virtual void render_children(std::string& out) const = 0;  // called with mutex_ held
    // `{a="x",b="y"` plus `extra` (e.g. `le="0.5"`) and `}`; empty when there are no labels.
    std::string labels_text(const label_values& values, std::string_view extra = {}) const;
    // Throws std::invalid_argument when the count differs from the label names'.
    void check_arity(const label_values& values) const;

    std::string name_;
    std::string help_;
    std::vector<std::string> label_names_;
    mutable std::mutex mutex_;
};

class counter_family final : public family {
public:
    using family::family;
    void inc(const label_values& values, double amount = 1);
    double value(const label_values& values) const;  // 0 when never incremented

private:
    std::string_view type() const override { return "counter"; }
    void render_children(std::string& out) const override;
    std::map<label_values, double> children_;
};

class gauge_family final : public family {
public:
    using family::family;
    void set(const label_values& values, double value);
    double value(const label_values& values) const;
    void clear();  // drops every child (for gauges recomputed whole at scrape time)

private:
    std::string_view type() const override { return "gauge"; }
    void render_children(std::string& out) const override;
    std::map<label_values, double> children_;
};

class histogram_family final : public family {
public:
    // `bounds`: upper bounds of the buckets, ascending; +Inf is implicit.
    histogram_family(std::string name, std::string help, std::vector<std::string> label_names,
                     std::vector<double> bounds);
    void observe(const label_values& values, double sample);

    struct snapshot {
        std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
        std::uint64_t count = 0;
        double sum = 0;
    };
    snapshot get(const label_values& values) const;

private:
    struct child {
        std::vector<std::uint64_t> counts;  // per bucket, not cumulative; last is +Inf
        std::uint64_t count = 0;
        double sum = 0;
    };
    std::string_view type() const override { return "histogram"; }
    void render_children(std::string& out) const override;
    snapshot snapshot_of(const child& c) const;
    std::vector<double> bounds_;
    std::map<label_values, child> children_;
};

// Families in registration order. Names must be unique; registering one twice throws.
class registry {
public:
    counter_family& counter(std::string name, std::string help,
                            std::vector<std::string> label_names = {});
    gauge_family& gauge(std::string name, std::string help,
                        std::vector<std::string> label_names = {});
    histogram_family& histogram(std::string name, std::string help,
                                std::vector<std::string> label_names, std::vector<double> bounds);
    std::string render() const;

private:
    template <class F, class... Args>
    F& add(Args&&... args);
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<family>> families_;
};

// A sample value as Prometheus writes it: shortest round-trip decimal, +Inf, -Inf, NaN.
std::string format_value(double value);
// A label value with \, " and newline escaped.
std::string escape_label_value(std::string_view value);

}  // namespace bfm::core::metrics
