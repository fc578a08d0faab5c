#include "net/migrate_response_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace bfm::net {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr std::string_view dry_run_suffix = " (dry-run)";

std::string target_label(const core::target_result& t) {
    return t.connection + "/" + t.schema;
}

json::array plan_json(const std::vector<core::planned_step>& plan) {
    json::array steps;
    for (const auto& s : plan) {
        steps.push_back(json::object{{"migration_id", s.migration_id},
                                     {"connection", s.connection},
                                     {"schema", s.schema},
                                     {"action", s.run ? "run" : "skip"},
                                     {"reason", s.reason},
                                     {"dependency", s.dependency},
                                     {"out_of_order", s.out_of_order},
                                     {"transactional", s.transactional},
                                     {"sql", s.sql}});
    }
    return steps;
}

}  // namespace

json_reply plan_reply(const core::run_result& result) {
    json::array targets;
    bool all_ok = true;
    for (const core::target_result& t : result.targets) {
        json::array errors;
        if (!t.error.empty()) errors.emplace_back(t.error);
        all_ok = all_ok && t.error.empty();
        targets.push_back(json::object{{"connection", t.connection},
                                       {"schema", t.schema},
                                       {"ok", t.error.empty()},
                                       {"errors", std::move(errors)},
                                       {"steps", plan_json(t.plan)}});
    }
    return json_reply{
        http::status::ok, json::object{{"ok", all_ok}, {"targets", std::move(targets)}}, {}};
}

json_reply migrate_reply(const core::run_result& result) {
    json::array applied;
    json::array skipped;
    json::array errors;
    json::array targets;
    for (const core::target_result& t : result.targets) {
        json::array t_applied;
        json::array t_skipped;
        json::array t_failed;
        json::array t_errors;
        for (const core::migration_result& m : t.migrations) {
            switch (m.outcome) {
                // Upstream's down answer lists what it reverted under "applied".
                case core::migration_outcome::applied:
                case core::migration_outcome::rolled_back:
                    t_applied.emplace_back(m.migration_id);
                    break;
                case core::migration_outcome::would_apply:
                case core::migration_outcome::would_roll_back:
                    t_applied.emplace_back(m.migration_id + std::string(dry_run_suffix));
                    break;
                case core::migration_outcome::skipped:
                    t_skipped.emplace_back(m.migration_id);
                    break;
                case core::migration_outcome::failed:
                    t_failed.emplace_back(m.migration_id);
                    t_errors.emplace_back(target_label(t) + ": " + m.migration_id + ": " + m.error);
                    break;
            }
        }
        if (!t.error.empty()) t_errors.emplace_back(target_label(t) + ": " + t.error);

        for (const auto& v : t_applied) applied.push_back(v);
        for (const auto& v : t_skipped) skipped.push_back(v);
        for (const auto& v : t_errors) errors.push_back(v);
        json::object target{{"connection", t.connection},      {"schema", t.schema},
                            {"applied", std::move(t_applied)}, {"skipped", std::move(t_skipped)},
                            {"failed", std::move(t_failed)},   {"errors", std::move(t_errors)}};
        if (!t.plan.empty()) target["plan"] = plan_json(t.plan);
        targets.push_back(std::move(target));
    }
    const bool success = result.success();
    json::object body{{"success", success},
                      {"applied", std::move(applied)},
                      {"skipped", std::move(skipped)},
                      {"errors", std::move(errors)},
                      {"targets", std::move(targets)}};
    return json_reply{
        success ? http::status::ok : http::status::partial_content, std::move(body), {}};
}

}  // namespace bfm::net
