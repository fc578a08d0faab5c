#include "net/job_request_json.hpp"

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

std::optional<body_error> read_kind(const json::value& v, std::string& kind) {
    if (v.is_null()) return std::nullopt;
    if (!v.is_string()) return type_error("kind", "a string");
    if (v.get_string() != "up") {
        return body_error{"unsupported_kind",
                          "kind \"" + truncate_for_message(v.get_string(), 64)
                              + "\" is not supported; jobs can only be of kind \"up\" for now",
                          "kind"};
    }
    kind = "up";
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
