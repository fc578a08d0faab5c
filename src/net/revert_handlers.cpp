#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/decode_view.hpp>
#include <boost/url/pct_string_view.hpp>

#include "net/http_origin.hpp"
#include "net/job_request_json.hpp"
#include "net/migrate_request_json.hpp"
#include "net/migrate_response_json.hpp"
#include "net/revert_routes.hpp"

namespace bfm::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr std::string_view migrations_prefix = "/api/v1/migrations/";


json_reply bad_request(const body_error& e) {
    return error_reply(http::status::bad_request, e.message, e.code, e.field);
}

// An empty body means {}; anything else must be a JSON object.
std::optional<body_error> parse_object(std::string_view body, json::object& out) {
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return std::nullopt;
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec) return body_error{"malformed_json", "malformed JSON: " + ec.message(), ""};
    if (!v.is_object()) return body_error{"invalid_body", "request body must be a JSON object", ""};
    out = std::move(v.get_object());
    return std::nullopt;
}

std::optional<body_error> take_bool(json::object& o, std::string_view key, bool& out) {
    if (const auto* v = o.if_contains(key); v != nullptr && !v->is_null()) {
        if (!v->is_bool()) {
            return body_error{"invalid_type", "field \"" + std::string(key) + "\" must be a boolean",
                              std::string(key)};
        }
        out = v->get_bool();
    }
    o.erase(key);
    return std::nullopt;
}

std::optional<body_error> take_schemas(json::object& o, std::vector<std::string>& out) {
    if (const auto* v = o.if_contains("schemas"); v != nullptr && !v->is_null()) {
        if (!v->is_array()) {
            return body_error{"invalid_type", "field \"schemas\" must be an array of strings",
                              "schemas"};
        }
        std::size_t i = 0;
        for (const auto& s : v->get_array()) {
            if (!s.is_string()) {
                return body_error{"invalid_type", "schemas[" + std::to_string(i) + "] must be a string",
                                  "schemas[" + std::to_string(i) + "]"};
            }
            out.emplace_back(s.get_string());
            ++i;
        }
    }
    o.erase("schemas");
    return std::nullopt;
}

std::optional<body_error> take_string(json::object& o, std::string_view key, std::string& out) {
    if (const auto* v = o.if_contains(key); v != nullptr && !v->is_null()) {
        if (!v->is_string()) {
            return body_error{"invalid_type", "field \"" + std::string(key) + "\" must be a string",
                              std::string(key)};
        }
        out = std::string(v->get_string());
    }
    o.erase(key);
    return std::nullopt;
}

std::optional<body_error> no_unknown_fields(const json::object& o) {
    if (o.empty()) return std::nullopt;
    const std::string name(o.begin()->key());
    return body_error{"unknown_field", "unknown field \"" + truncate_for_message(name, 64) + "\"",
                      name};
}

// The run schemas of a revert of `m`: the given ones, else the schema of an upstream
// `{schema}_{id}`, else its declared schema.
std::optional<body_error> default_schemas(const core::migration_ref& m,
                                          std::vector<std::string>& schemas) {
    if (!schemas.empty()) return std::nullopt;
    if (!m.id_schema.empty()) {
        schemas.push_back(m.id_schema);
    } else if (!m.schema.empty()) {
        schemas.push_back(m.schema);
    } else {
        return body_error{"missing_field",
                          m.id + " is a dynamic migration: name the schemas to revert it in",
                          "schemas"};
    }
    return std::nullopt;
}

json_reply unknown_migration(std::string_view id) {
    return error_reply(http::status::not_found,
                       "migration not found: " + truncate_for_message(id, 128), "not_found");
}

// Runs a validated revert request and gives the run result (or an error reply).
asio::awaitable<std::optional<json_reply>> run_revert(core::migration_service& service,
                                                      core::raw_up_request raw,
                                                      core::job_kind kind,
                                                      core::revert_spec spec,
                                                      std::string_view endpoint,
                                                      core::run_result& result) {
    core::normalise_result normalised =
        core::normalise_request(raw, service.config(), http_origin(endpoint));
    if (normalised.error) {
        const core::request_error& e = *normalised.error;
        co_return error_reply(http::status::bad_request, e.message, e.code, e.field);
    }
    normalised.request->kind = kind;
    normalised.request->revert = std::move(spec);
    auto outcome = co_await service.migrate_up(std::move(*normalised.request));
    if (outcome.error) {
        const auto status = outcome.error->code == "unknown_migration" ? http::status::not_found
                            : outcome.error->code.rfind("invalid_", 0) == 0
                                ? http::status::bad_request
                                : http::status::service_unavailable;
        co_return error_reply(status, outcome.error->message, outcome.error->code);
    }
    if (!outcome.value) throw std::logic_error("migrate_up returned neither a value nor an error");
    result = std::move(*outcome.value);
    co_return std::nullopt;
}

}  // namespace

std::optional<revert_route_match> match_revert_route(std::string_view path) {
    if (path == "/api/v1/migrations/down") return revert_route_match{revert_endpoint::down, {}};
    if (path == "/api/v1/migrations/baseline") {
        return revert_route_match{revert_endpoint::baseline, {}};
    }
    if (path == "/api/v1/migrations/repair") return revert_route_match{revert_endpoint::repair, {}};
    if (path.substr(0, migrations_prefix.size()) != migrations_prefix) return std::nullopt;
    const std::string_view rest = path.substr(migrations_prefix.size());
    const auto slash = rest.find('/');
    if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
    const std::string_view action = rest.substr(slash + 1);
    revert_route_match match{revert_endpoint::rollback, {}};
    if (action == "force") {
        match.endpoint = revert_endpoint::force;
    } else if (action != "rollback") {
        return std::nullopt;
    }
    if (auto pct = boost::urls::make_pct_string_view(rest.substr(0, slash))) {
        const auto decoded = **pct;
        match.id.assign(decoded.begin(), decoded.end());
    }
    return match;
}

asio::awaitable<json_reply> handle_migrations_down(core::migration_service& service,
                                                   std::string_view body) {
    json::object fields;
    core::raw_up_request raw;
    core::revert_spec spec;
    bool ignored = false;  // upstream's ignore_dependencies: accepted, no meaning for a down
    std::optional<body_error> e = parse_object(body, fields);
    if (!e) e = take_schemas(fields, raw.schemas);
    if (!e) e = take_string(fields, "schema", raw.schema);
    if (!e) e = take_string(fields, "connection", raw.connection);
    if (!e) e = take_bool(fields, "dry_run", raw.dry_run);
    if (!e) e = take_bool(fields, "ignore_dependencies", ignored);
    if (!e) e = take_revert_fields(fields, core::job_kind::down, spec);
    if (!e) e = no_unknown_fields(fields);
    if (e) co_return bad_request(*e);
    // Named migrations (upstream: one migration_id) decide the connection and default schemas.
    for (auto& id : spec.migration_ids) {
        auto m = service.resolve_migration(id);
        if (!m) co_return unknown_migration(id);
        if (!raw.connection.empty() && raw.connection != m->connection) {
            co_return bad_request(body_error{"invalid_migration",
                                             m->id + " belongs to connection " + m->connection
                                                 + ", not " + raw.connection,
                                             "connection"});
        }
        raw.connection = m->connection;
        if (raw.schema.empty()) {
            if (auto missing = default_schemas(*m, raw.schemas)) co_return bad_request(*missing);
        }
        id = m->id;
    }
    if (raw.connection.empty()) {
        co_return bad_request(body_error{
            "missing_field", "a down by steps or to_version needs \"connection\"", "connection"});
    }
    core::run_result result;
    if (auto failed = co_await run_revert(service, std::move(raw), core::job_kind::down,
                                          std::move(spec), "/api/v1/migrations/down", result)) {
        co_return std::move(*failed);
    }
    co_return migrate_reply(result);
}

asio::awaitable<json_reply> handle_rollback(core::migration_service& service, std::string_view id,
                                            std::string_view body) {
    json::object fields;
    core::raw_up_request raw;
    core::revert_spec spec;
    std::optional<body_error> e = parse_object(body, fields);
    if (!e) e = take_schemas(fields, raw.schemas);
    if (!e) e = take_bool(fields, "dry_run", raw.dry_run);
    if (!e) e = take_bool(fields, "cascade", spec.cascade);
    if (!e) e = no_unknown_fields(fields);
    if (e) co_return bad_request(*e);
    auto m = service.resolve_migration(id);
    if (!m) co_return unknown_migration(id);
    if (auto missing = default_schemas(*m, raw.schemas)) co_return bad_request(*missing);
    raw.connection = m->connection;
    spec.migration_ids.assign(1, m->id);
    const std::string endpoint = "/api/v1/migrations/" + m->id + "/rollback";
    core::run_result result;
    if (auto failed = co_await run_revert(service, std::move(raw), core::job_kind::rollback,
                                          std::move(spec), endpoint, result)) {
        co_return std::move(*failed);
    }

    json::array applied;  // schemas where it was rolled back
    json::array skipped;  // schemas where it was not applied
    json::array errors;
    for (const auto& t : result.targets) {
        for (const auto& r : t.migrations) {
            if (r.outcome == core::migration_outcome::rolled_back
                || r.outcome == core::migration_outcome::would_roll_back) {
                applied.emplace_back(t.schema);
            } else if (r.outcome == core::migration_outcome::skipped) {
                skipped.emplace_back(t.schema + " (not applied)");
            } else if (r.outcome == core::migration_outcome::failed) {
                errors.emplace_back(t.schema + ": " + r.error);
            }
        }
        if (!t.error.empty()) errors.emplace_back(t.schema + ": " + t.error);
    }
    const bool success = errors.empty() && !applied.empty();
    if (applied.empty() && errors.empty()) {
        json::object body_out{{"error", "no migrations to rollback"},
                              {"success", false},
                              {"message", "no migrations to rollback"},
                              {"applied", std::move(applied)},
                              {"skipped", std::move(skipped)},
                              {"errors", std::move(errors)}};
        co_return json_reply{http::status::bad_request, std::move(body_out), {}};
    }
    const std::string message =
        success ? "rollback completed successfully for " + std::to_string(applied.size())
                      + " schema(s)"
                : std::string("rollback failed");
    json::object body_out{{"success", success},
                          {"message", message},
                          {"applied", std::move(applied)},
                          {"skipped", std::move(skipped)},
                          {"errors", std::move(errors)}};
    co_return json_reply{http::status::ok, std::move(body_out), {}};
}

asio::awaitable<json_reply> handle_operator_fix(core::migration_service& service,
                                                core::job_kind kind, std::string_view id,
                                                std::string_view body) {
    json::object fields;
    core::fix_spec fix;
    std::optional<body_error> e = parse_object(body, fields);
    if (!e && kind == core::job_kind::force) {
        if (fields.contains("migration_id")) {
            e = body_error{"unknown_field", "the migration to force is the one in the path",
                           "migration_id"};
        }
        fix.migration_id = std::string(id);
    }
    if (!e) e = take_fix_fields(fields, kind, fix);
    if (e) co_return bad_request(*e);
    core::raw_up_request raw;
    if (kind == core::job_kind::force) {
        if (!e) e = take_schemas(fields, raw.schemas);
        if (!e) e = no_unknown_fields(fields);
        if (e) co_return bad_request(*e);
        auto m = service.resolve_migration(id);
        if (!m) co_return unknown_migration(id);
        if (auto missing = default_schemas(*m, raw.schemas)) co_return bad_request(*missing);
        raw.connection = m->connection;
        fix.migration_id = m->id;
    } else {
        migrate_body_result parsed =
            parse_migrate_body(json::serialize(fields), migrate_body_kind::migrations_up);
        if (parsed.error) co_return bad_request(*parsed.error);
        if (parsed.request->dry_run) {
            co_return bad_request(body_error{"invalid_field", "an operator fix has no dry run",
                                             "dry_run"});
        }
        raw = std::move(*parsed.request);
    }
    const std::string endpoint =
        kind == core::job_kind::force ? "/api/v1/migrations/" + fix.migration_id + "/force"
                                      : "/api/v1/migrations/" + std::string(core::to_string(kind));
    core::normalise_result normalised =
        core::normalise_request(raw, service.config(), http_origin(endpoint));
    if (normalised.error) {
        const core::request_error& re = *normalised.error;
        co_return error_reply(http::status::bad_request, re.message, re.code, re.field);
    }
    normalised.request->kind = kind;
    normalised.request->fix = std::move(fix);
    auto outcome = co_await service.migrate_up(std::move(*normalised.request));
    if (outcome.error) {
        const auto status = outcome.error->code == "unknown_migration" ? http::status::not_found
                                                                       : http::status::service_unavailable;
        co_return error_reply(status, outcome.error->message, outcome.error->code);
    }
    if (!outcome.value) throw std::logic_error("migrate_up returned neither a value nor an error");
    co_return migrate_reply(*outcome.value);
}

}  // namespace bfm::net
