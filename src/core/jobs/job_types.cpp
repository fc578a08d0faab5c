#include "core/jobs/job_types.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace bfm::core {

namespace {

template <class Enum, std::size_t N>
std::optional<Enum> parse_name(const std::array<std::pair<Enum, std::string_view>, N>& names,
                               std::string_view text) {
    for (const auto& [value, name] : names) {
        if (name == text) return value;
    }
    return std::nullopt;
}

template <class Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& names, Enum e) {
    for (const auto& [value, name] : names) {
        if (value == e) return name;
    }
    return "unknown";
}

constexpr std::array<std::pair<job_status, std::string_view>, 6> job_status_names = {{
    {job_status::queued, "queued"},
    {job_status::running, "running"},
    {job_status::succeeded, "succeeded"},
    {job_status::failed, "failed"},
    {job_status::partial, "partial"},
    {job_status::cancelled, "cancelled"},
}};

constexpr std::array<std::pair<target_status, std::string_view>, 5> target_status_names = {{
    {target_status::queued, "queued"},
    {target_status::running, "running"},
    {target_status::succeeded, "succeeded"},
    {target_status::failed, "failed"},
    {target_status::cancelled, "cancelled"},
}};

constexpr std::array<std::pair<job_event_type, std::string_view>, 10> event_names = {{
    {job_event_type::job_queued, "job_queued"},
    {job_event_type::job_started, "job_started"},
    {job_event_type::target_started, "target_started"},
    {job_event_type::migration_started, "migration_started"},
    {job_event_type::statement_done, "statement_done"},
    {job_event_type::migration_succeeded, "migration_succeeded"},
    {job_event_type::migration_failed, "migration_failed"},
    {job_event_type::migration_skipped, "migration_skipped"},
    {job_event_type::target_finished, "target_finished"},
    {job_event_type::job_finished, "job_finished"},
}};

}  // namespace

std::string_view to_string(job_status s) { return name_of(job_status_names, s); }
std::optional<job_status> parse_job_status(std::string_view text) {
    return parse_name(job_status_names, text);
}
bool is_final(job_status s) { return s != job_status::queued && s != job_status::running; }

std::string_view to_string(target_status s) { return name_of(target_status_names, s); }
std::optional<target_status> parse_target_status(std::string_view text) {
    return parse_name(target_status_names, text);
}

std::string_view to_string(on_error_policy p) {
    return p == on_error_policy::stop ? "stop" : "continue";
}

std::string_view to_string(job_event_type t) { return name_of(event_names, t); }

int job_counts::progress() const {
    if (targets_total <= 0) return 100;
    return static_cast<int>(std::min<std::int64_t>(100, targets_done * 100 / targets_total));
}

}  // namespace bfm::core
