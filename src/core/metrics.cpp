#include "core/metrics.hpp"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace bfm::core::metrics {

namespace {

std::string escape_help(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

std::string format_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", value);
}

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

family::family(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

void family::render(std::string& out) const {
    out += "# HELP " + name_ + " " + escape_help(help_) + "\n";
    out += "# TYPE " + name_ + " " + std::string(type()) + "\n";
    std::lock_guard lock(mutex_);
    render_children(out);
}

std::string family::labels_text(const label_values& values, std::string_view extra) const {
    if (values.empty() && extra.empty()) return {};
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out += ',';
        out += label_names_[i] + "=\"" + escape_label_value(values[i]) + "\"";
    }
    if (!extra.empty()) {
        if (!values.empty()) out += ',';
        out += extra;
    }
    out += '}';
    return out;
}

void family::check_arity(const label_values& values) const {
    if (values.size() != label_names_.size()) {
        throw std::invalid_argument("metric " + name_ + " takes "
                                    + std::to_string(label_names_.size()) + " label value(s), got "
                                    + std::to_string(values.size()));
    }
}

// ---- counter ------------------------------------------------------------------------------

void counter_family::inc(const label_values& values, double amount) {
    check_arity(values);
    std::lock_guard lock(mutex_);
    children_[values] += amount;
}

double counter_family::value(const label_values& values) const {
    std::lock_guard lock(mutex_);
    auto it = children_.find(values);
    return it == children_.end() ? 0 : it->second;
}

void counter_family::render_children(std::string& out) const {
    // A counter without labels exists from the start: `rate()` needs its first zero.
    if (label_names_.empty() && children_.empty()) out += name_ + " 0\n";
    for (const auto& [values, v] : children_) {
        out += name_ + labels_text(values) + " " + format_value(v) + "\n";
    }
}

// ---- gauge --------------------------------------------------------------------------------

void gauge_family::set(const label_values& values, double value) {
    check_arity(values);
    std::lock_guard lock(mutex_);
    children_[values] = value;
}

double gauge_family::value(const label_values& values) const {
    std::lock_guard lock(mutex_);
    auto it = children_.find(values);
    return it == children_.end() ? 0 : it->second;
}

void gauge_family::clear() {
    std::lock_guard lock(mutex_);
    children_.clear();
}

void gauge_family::render_children(std::string& out) const {
    for (const auto& [values, v] : children_) {
        out += name_ + labels_text(values) + " " + format_value(v) + "\n";
    }
}

// ---- histogram ----------------------------------------------------------------------------

histogram_family::histogram_family(std::string name, std::string help,
                                   std::vector<std::string> label_names, std::vector<double> bounds)
    : family(std::move(name), std::move(help), std::move(label_names)), bounds_(std::move(bounds)) {
    if (!std::is_sorted(bounds_.begin(), bounds_.end())
        || std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
        throw std::invalid_argument("histogram " + name_ + ": bounds must be strictly ascending");
    }
}

void histogram_family::observe(const label_values& values, double sample) {
    check_arity(values);
    // Buckets are upper-inclusive (le): the first bound >= sample.
    const auto bucket = static_cast<std::size_t>(
        std::lower_bound(bounds_.begin(), bounds_.end(), sample) - bounds_.begin());
    std::lock_guard lock(mutex_);
    child& c = children_[values];
    if (c.counts.empty()) c.counts.resize(bounds_.size() + 1, 0);
    ++c.counts[bucket];
    ++c.count;
    c.sum += sample;
}

histogram_family::snapshot histogram_family::snapshot_of(const child& c) const {
    snapshot s;
    s.count = c.count;
    s.sum = c.sum;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        running += c.counts.empty() ? 0 : c.counts[i];
        s.cumulative.push_back(running);
    }
    return s;
}

histogram_family::snapshot histogram_family::get(const label_values& values) const {
    std::lock_guard lock(mutex_);
    auto it = children_.find(values);
    return snapshot_of(it == children_.end() ? child{} : it->second);
}

void histogram_family::render_children(std::string& out) const {
    std::map<label_values, child> zero;
    if (label_names_.empty() && children_.empty()) zero.emplace(label_values{}, child{});
    for (const auto& [values, c] : children_.empty() ? zero : children_) {
        const snapshot s = snapshot_of(c);
        for (std::size_t i = 0; i <= bounds_.size(); ++i) {
            const std::string le =
                "le=\"" + (i < bounds_.size() ? format_value(bounds_[i]) : "+Inf") + "\"";
            out += name_ + "_bucket" + labels_text(values, le) + " "
                   + std::to_string(s.cumulative[i]) + "\n";
        }
        out += name_ + "_sum" + labels_text(values) + " " + format_value(s.sum) + "\n";
        out += name_ + "_count" + labels_text(values) + " " + std::to_string(s.count) + "\n";
    }
}

// ---- registry -----------------------------------------------------------------------------

template <class F, class... Args>
F& registry::add(Args&&... args) {
    auto made = std::make_unique<F>(std::forward<Args>(args)...);
    F& out = *made;
    std::lock_guard lock(mutex_);
    for (const auto& f : families_) {
        if (f->name() == out.name()) {
            throw std::invalid_argument("metric " + out.name() + " registered twice");
        }
    }
    families_.push_back(std::move(made));
    return out;
}

counter_family& registry::counter(std::string name, std::string help,
                                  std::vector<std::string> label_names) {
    return add<counter_family>(std::move(name), std::move(help), std::move(label_names));
}

gauge_family& registry::gauge(std::string name, std::string help,
                              std::vector<std::string> label_names) {
    return add<gauge_family>(std::move(name), std::move(help), std::move(label_names));
}

histogram_family& registry::histogram(std::string name, std::string help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> bounds) {
    return add<histogram_family>(std::move(name), std::move(help), std::move(label_names),
                                 std::move(bounds));
}

std::string registry::render() const {
    std::string out;
    std::lock_guard lock(mutex_);
    for (const auto& f : families_) f->render(out);
    return out;
}

}  // namespace bfm::core::metrics
