#include "net/job_request_json.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>

#include "net/json_response.hpp"

namespace bfm::net {

namespace json = boost::json;

namespace {

body_error type_error(std::string_view field, std::string_view expected) {
    return {"invalid_type", "field \"" + std::string(field) + "\" must be " + std::string(expected),
            std::string(field)};
}

std::optional<body_error> read_kind(const json::value& v, core::job_kind& kind) {
    if (v.is_null()) return std::nullopt;
    if (!v.is_string()) return type_error("kind", "a string");
    auto parsed = core::job_kind_from(v.get_string());
    if (!parsed) {
        return body_error{"unsupported_kind",
                          "kind \"" + truncate_for_message(v.get_string(), 64)
                              + "\" is not supported; a job is of kind \"up\", \"down\", \"rollback\", "
                                "\"baseline\", \"force\" or \"repair\"",
                          "kind"};
    }
    kind = *parsed;
    return std::nullopt;
}

std::optional<body_error> read_migration_ids(json::object& fields, core::revert_spec& spec) {
    const json::value* one = fields.if_contains("migration_id");
    const json::value* many = fields.if_contains("migration_ids");
    if (one != nullptr && !one->is_null()) {
        if (!one->is_string() || one->get_string().empty()) {
            return type_error("migration_id", "a non-empty string");
        }
        spec.migration_ids.emplace_back(one->get_string());
    }
    if (many != nullptr && !many->is_null()) {
        if (!many->is_array()) return type_error("migration_ids", "an array of strings");
        std::size_t i = 0;
        for (const auto& id : many->get_array()) {
            const std::string field = "migration_ids[" + std::to_string(i++) + "]";
            if (!id.is_string() || id.get_string().empty()) {
                return type_error(field, "a non-empty string");
            }
            spec.migration_ids.emplace_back(id.get_string());
        }
    }
    return std::nullopt;
}

std::optional<body_error> read_steps_and_version(json::object& fields, core::revert_spec& spec) {
    if (const auto* v = fields.if_contains("steps"); v != nullptr && !v->is_null()) {
        if (!v->is_int64() || v->get_int64() < 1 || v->get_int64() > 1000000) {
            return body_error{"invalid_value", "field \"steps\" must be an integer from 1 to 1000000",
                              "steps"};
        }
        spec.steps = v->get_int64();
    }
    if (const auto* v = fields.if_contains("to_version"); v != nullptr && !v->is_null()) {
        const bool digits = v->is_string() && !v->get_string().empty()
                            && v->get_string().size() <= 20
                            && std::all_of(v->get_string().begin(), v->get_string().end(),
                                           [](char c) { return c >= '0' && c <= '9'; });
        if (!digits) return type_error("to_version", "a version number (digits, as a string)");
        spec.to_version = std::string(v->get_string());
    }
    if (const auto* v = fields.if_contains("cascade"); v != nullptr && !v->is_null()) {
        if (!v->is_bool()) return type_error("cascade", "a boolean");
        spec.cascade = v->get_bool();
    }
    return std::nullopt;
}

std::optional<body_error> read_on_error(const json::value& v, core::job_options& options) {
    if (v.is_null()) return std::nullopt;
    if (!v.is_string()) return type_error("on_error", "a string");
    if (v.get_string() == "continue") {
        options.on_error = core::on_error_policy::continue_;
    } else if (v.get_string() == "stop") {
        options.on_error = core::on_error_policy::stop;
    } else {
        return body_error{"invalid_value",
                          "field \"on_error\" must be \"continue\" or \"stop\", not \""
                              + truncate_for_message(v.get_string(), 64) + "\"",
                          "on_error"};
    }
    return std::nullopt;
}

std::optional<body_error> read_max_failures(const json::value& v, core::job_options& options) {
    if (v.is_null()) return std::nullopt;
    if (v.is_int64()) {
        if (v.get_int64() < 0) {
            return body_error{"invalid_value", "field \"max_failures\" must be >= 0 (0: no limit)",
                              "max_failures"};
        }
        options.max_failures = v.get_int64();
        return std::nullopt;
    }
    if (v.is_uint64()) {  // above INT64_MAX
        return body_error{"invalid_value", "field \"max_failures\" is too large", "max_failures"};
    }
    return type_error("max_failures", "an integer >= 0");
}

}  // namespace

std::optional<body_error> take_revert_fields(json::object& fields, core::job_kind kind,
                                             core::revert_spec& spec) {
    const bool revert = core::is_revert(kind);
    for (const char* name : {"steps", "to_version", "migration_id", "migration_ids", "cascade"}) {
        const json::value* v = fields.if_contains(name);
        if (!revert && v != nullptr && !v->is_null()) {
            return body_error{"unknown_field",
                              std::string("field \"") + name
                                  + "\" is for down and rollback jobs, not for kind \"" + std::string(core::to_string(kind)) + "\"",
                              name};
        }
    }
    if (revert) {
        if (auto e = read_migration_ids(fields, spec)) return e;
        if (auto e = read_steps_and_version(fields, spec)) return e;
        const int given = (spec.steps > 0 ? 1 : 0) + (spec.to_version.empty() ? 0 : 1)
                          + (spec.migration_ids.empty() ? 0 : 1);
        if (kind == core::job_kind::rollback && (spec.steps > 0 || !spec.to_version.empty())) {
            return body_error{"conflicting_fields",
                              "a rollback names its migrations (migration_id or migration_ids); "
                              "use kind \"down\" for steps or to_version",
                              spec.steps > 0 ? "steps" : "to_version"};
        }
        if (given == 0) {
            return body_error{"missing_field",
                              kind == core::job_kind::rollback
                                  ? std::string("a rollback needs migration_id or migration_ids")
                                  : std::string("a down needs one of steps, to_version, "
                                                "migration_id or migration_ids"),
                              "migration_id"};
        }
        if (given > 1) {
            return body_error{"conflicting_fields",
                              "give only one of steps, to_version and migration_id(s)", "steps"};
        }
    }
    for (const char* name : {"steps", "to_version", "migration_id", "migration_ids", "cascade"}) {
        fields.erase(name);
    }
    return std::nullopt;
}

std::optional<body_error> take_fix_fields(json::object& fields, core::job_kind kind,
                                          core::fix_spec& fix) {
    auto text = [&](const char* name, std::string& out) -> std::optional<body_error> {
        const json::value* v = fields.if_contains(name);
        if (v == nullptr || v->is_null()) return std::nullopt;
        if (!v->is_string()) return type_error(name, "a string");
        out = std::string(v->get_string());
        return std::nullopt;
    };
    std::optional<body_error> e = text("reason", fix.reason);
    if (!e) e = text("to_version", fix.to_version);
    if (!e) e = text("migration_id", fix.migration_id);
    if (!e) e = text("status", fix.status);
    if (e) return e;
    const std::string kind_name(core::to_string(kind));
    auto missing = [&](const char* name, const std::string& what) {
        return body_error{"missing_field", "a " + kind_name + " needs " + what, name};
    };
    auto not_for = [&](const char* name) {
        return body_error{"unknown_field",
                          std::string("field \"") + name + "\" is not used by a " + kind_name, name};
    };
    if (fix.reason.find_first_not_of(" \t") == std::string::npos) {
        return missing("reason", "a \"reason\", recorded in history");
    }
    if (fix.reason.size() > 1000) {
        return body_error{"invalid_value", "field \"reason\" is longer than 1000 bytes", "reason"};
    }
    const bool digits = !fix.to_version.empty() && fix.to_version.size() <= 20
                        && fix.to_version.find_first_not_of("0123456789") == std::string::npos;
    if (kind == core::job_kind::baseline && !digits) {
        return fix.to_version.empty() ? missing("to_version", "\"to_version\" (digits)")
                                      : type_error("to_version", "a version number (digits)");
    }
    if (kind != core::job_kind::baseline && !fix.to_version.empty()) return not_for("to_version");
    if (kind == core::job_kind::force) {
        if (fix.migration_id.empty()) return missing("migration_id", "\"migration_id\"");
        if (fix.status != "applied" && fix.status != "pending" && fix.status != "failed"
            && fix.status != "rolled_back") {
            return body_error{"invalid_value",
                              "field \"status\" must be applied, pending, failed or rolled_back",
                              "status"};
        }
    } else {
        if (!fix.migration_id.empty()) return not_for("migration_id");
        if (!fix.status.empty()) return not_for("status");
    }
    for (const char* name : {"steps", "migration_ids", "cascade"}) {
        if (const auto* v = fields.if_contains(name); v != nullptr && !v->is_null()) {
            return not_for(name);
        }
    }
    for (const char* name : {"reason", "to_version", "migration_id", "status", "steps",
                             "migration_ids", "cascade"}) {
        fields.erase(name);
    }
    return std::nullopt;
}

job_body_result parse_job_body(std::string_view body) {
    job_body_result out;
    json::stream_parser parser;
    boost::system::error_code ec;
    const std::size_t consumed = parser.write_some(body.data(), body.size(), ec);
    if (!ec && consumed < body.size()) ec = json::error::extra_data;
    if (!ec) parser.finish(ec);
    if (ec) {
        out.error = body_error{
            "malformed_json",
            "malformed JSON: " + ec.message() + " at offset " + std::to_string(consumed), ""};
        return out;
    }
    json::value root = parser.release();
    if (!root.is_object()) {
        out.error = body_error{"invalid_body", "request body must be a JSON object", ""};
        return out;
    }
    json::object& fields = root.get_object();

    // Take the job-only fields out; the rest is exactly a /migrations/up body.
    if (auto* v = fields.if_contains("kind")) out.error = read_kind(*v, out.kind);
    if (!out.error) {
        if (auto* v = fields.if_contains("on_error")) out.error = read_on_error(*v, out.options);
    }
    if (!out.error) {
        if (auto* v = fields.if_contains("max_failures")) {
            out.error = read_max_failures(*v, out.options);
        }
    }
    if (!out.error) {
        out.error = core::is_operator_fix(out.kind)
                        ? take_fix_fields(fields, out.kind, out.fix)
                        : take_revert_fields(fields, out.kind, out.revert);
    }
    if (out.error) return out;
    fields.erase("kind");
    fields.erase("on_error");
    fields.erase("max_failures");

    migrate_body_result parsed =
        parse_migrate_body(json::serialize(fields), migrate_body_kind::migrations_up);
    if (parsed.error) {
        out.error = std::move(parsed.error);
        return out;
    }
    if (parsed.request->dry_run) {
        out.error =
            body_error{"dry_run_not_a_job",
                       "dry runs are not jobs; use POST /api/v1/migrations/plan", "dry_run"};
        return out;
    }
    out.request = std::move(parsed.request);
    return out;
}

}  // namespace bfm::net
