#include "core/job_request.hpp"

#include <unordered_set>

#include "core/schema_name.hpp"
#include "core/text.hpp"

namespace bfm::core {

std::string_view to_string(job_kind k) {
    switch (k) {
        case job_kind::up: return "up";
        case job_kind::down: return "down";
        case job_kind::rollback: return "rollback";
        case job_kind::baseline: return "baseline";
        case job_kind::force: return "force";
        case job_kind::repair: return "repair";
    }
    return "up";
}

bool is_revert(job_kind k) { return k == job_kind::down || k == job_kind::rollback; }

bool is_operator_fix(job_kind k) {
    return k == job_kind::baseline || k == job_kind::force || k == job_kind::repair;
}

std::optional<job_kind> job_kind_from(std::string_view text) {
    for (auto k : {job_kind::up, job_kind::down, job_kind::rollback, job_kind::baseline,
                   job_kind::force, job_kind::repair}) {
        if (to_string(k) == text) return k;
    }
    return std::nullopt;
}

namespace {

constexpr std::size_t max_schemas_per_request = 10000;
constexpr std::size_t max_version_digits = 19;

request_error make_error(std::string code, std::string field, std::string message) {
    return request_error{std::move(code), std::move(field), std::move(message)};
}

bool is_environment_name(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name) {
        const bool ok =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) return false;
    }
    return true;
}

std::string configured_names(const app_config& config) {
    std::string names;
    for (const connection_config& c : config.connections) {
        if (!names.empty()) names += ", ";
        names += c.name;
    }
    return names.empty() ? "none" : names;
}

// "" = any version, "V" = exactly V, "<=V" = every version up to V.
std::optional<version_filter> parse_version_text(std::string_view text) {
    text = trim(text);
    version_filter filter;
    if (text.empty()) return filter;
    if (text.starts_with("<=")) {
        filter.up_to = true;
        text = trim(text.substr(2));
    }
    if (text.size() > max_version_digits) return std::nullopt;
    auto number = parse_uint64(text);
    if (!number) return std::nullopt;
    filter.version = std::string(text);
    filter.number = *number;
    return filter;
}

// Builds a job_request step by step; the first problem found is the answer.
class request_normaliser {
public:
    request_normaliser(const raw_up_request& raw, const app_config& config)
        : raw_(raw), config_(config) {}

    std::optional<request_error> run(job_request& job) {
        if (auto e = resolve_connection(job)) return e;
        if (auto e = build_filter(job)) return e;
        if (auto e = collect_schemas(job)) return e;
        job.dry_run = raw_.dry_run;
        job.ignore_dependencies = raw_.ignore_dependencies;
        job.allow_modified = raw_.allow_modified;
        job.strict_order = raw_.strict_order;
        job.environment = raw_.environment;
        return std::nullopt;
    }

private:
    std::optional<request_error> resolve_connection(job_request& job) {
        const std::string& given = raw_.connection;
        const std::string& in_target = raw_.target.connection;
        if (given.empty() && in_target.empty()) {
            return make_error("missing_field", "connection", "connection is required");
        }
        if (!given.empty() && !in_target.empty()
            && to_lower_ascii(given) != to_lower_ascii(in_target)) {
            return make_error("conflicting_fields", "target.connection",
                              "target.connection " + quote_for_message(in_target)
                                  + " differs from connection " + quote_for_message(given));
        }
        const std::string& name = given.empty() ? in_target : given;
        connection_ = config_.find_connection(name);
        if (connection_ == nullptr) {
            return make_error("unknown_connection", "connection",
                              "unknown connection " + quote_for_message(name)
                                  + " (configured: " + configured_names(config_) + ")");
        }
        job.connection = connection_->name;
        return std::nullopt;
    }

    std::optional<request_error> build_filter(job_request& job) {
        job.filter = raw_.target;
        job.filter.connection = connection_->name;
        if (!job.filter.backend.empty()) {
            const std::string backend = canonical_backend(job.filter.backend);
            if (backend != connection_->backend) {
                return make_error("invalid_value", "target.backend",
                                  "target.backend " + quote_for_message(job.filter.backend)
                                      + " does not match connection " + connection_->name + " ("
                                      + connection_->backend + ")");
            }
            job.filter.backend = backend;
        }
        if (!job.filter.schema.empty()) {
            if (auto problem = validate_schema_name(job.filter.schema)) {
                return make_error("invalid_schema", "target.schema", *problem);
            }
        }
        std::string text = raw_.target_version_text;
        if (text.empty() && !raw_.target.version.version.empty()) {
            text = (raw_.target.version.up_to ? "<=" : "") + raw_.target.version.version;
        }
        auto version = parse_version_text(text);
        if (!version) {
            return make_error("invalid_version", "target.version",
                              "target.version " + quote_for_message(text)
                                  + " is invalid: expected a version number (20250101120000) or "
                                    "<= and a version number");
        }
        job.filter.version = *version;
        auto tags = parse_tag_filter(raw_.tags);
        if (!tags.error.empty()) {
            return make_error("invalid_tag", "target.tags", "target." + tags.error);
        }
        job.filter.tags = std::move(tags.tags);
        return std::nullopt;
    }

    std::optional<request_error> collect_schemas(job_request& job) {
        if (raw_.schemas.size() > max_schemas_per_request) return too_many();
        if (!raw_.schema.empty()) {
            if (auto problem = validate_schema_name(raw_.schema)) {
                return make_error("invalid_schema", "schema", *problem);
            }
            add(job, raw_.schema);
        }
        for (std::size_t i = 0; i < raw_.schemas.size(); ++i) {
            if (auto problem = validate_schema_name(raw_.schemas[i])) {
                return make_error("invalid_schema", "schemas[" + std::to_string(i) + "]", *problem);
            }
            add(job, raw_.schemas[i]);
        }
        if (!raw_.environment.empty()) {
            if (auto e = add_environment(job, raw_.environment, "environment", true)) return e;
        }
        if (raw_.environments.size() > max_schemas_per_request) return too_many();
        for (std::size_t i = 0; i < raw_.environments.size(); ++i) {
            const std::string field = "environments[" + std::to_string(i) + "]";
            if (auto e = add_environment(job, raw_.environments[i], field, false)) return e;
        }
        if (!raw_.schema_selector_like.empty()) {
            if (raw_.schema_selector_like.size() > 63 * 2) {
                return make_error("invalid_value", "schema_selector.like",
                                  "schema_selector.like is longer than 126 characters");
            }
            job.schema_selector_like = raw_.schema_selector_like;
        }
        if (job.schemas.size() > max_schemas_per_request) return too_many();
        return std::nullopt;
    }

    std::optional<request_error> add_environment(job_request& job, const std::string& environment,
                                                 const std::string& field, bool single) {
        if (!is_environment_name(environment)) {
            return make_error("invalid_environment", field,
                              "environment " + quote_for_message(environment)
                                  + " is invalid: use only letters, digits and underscores");
        }
        const std::string schema = config_.tenant_schema_prefix + environment;
        if (auto problem = validate_schema_name(schema)) {
            return make_error(
                "invalid_environment", field,
                "environment " + quote_for_message(environment) + " gives " + *problem);
        }
        if (single && !raw_.schema.empty() && raw_.schema != schema) {
            return make_error("conflicting_fields", "environment",
                              "environment " + quote_for_message(environment) + " means schema "
                                  + quote_for_message(schema) + ", but schema "
                                  + quote_for_message(raw_.schema)
                                  + " was also given; send one of them");
        }
        add(job, schema);
        return std::nullopt;
    }

    request_error too_many() const {
        return make_error("too_many_schemas", "schemas",
                          "at most " + std::to_string(max_schemas_per_request)
                              + " schemas per request; split the job or use a schema selector");
    }

    void add(job_request& job, const std::string& schema) {
        if (seen_.insert(schema).second) job.schemas.push_back(schema);
    }

    const raw_up_request& raw_;
    const app_config& config_;
    const connection_config* connection_ = nullptr;
    std::unordered_set<std::string> seen_;
};

}  // namespace

std::string_view to_string(execution_method m) {
    switch (m) {
        case execution_method::api:
            return "api";
        case execution_method::grpc:
            return "grpc";
        case execution_method::cli:
            return "cli";
        case execution_method::dashboard:
            return "dashboard";
        case execution_method::auto_migrate:
            return "auto_migrate";
    }
    return "unknown";
}

normalise_result normalise_request(const raw_up_request& raw, const app_config& config,
                                   execution_origin origin) {
    normalise_result result;
    job_request job;
    job.origin = std::move(origin);
    if (auto error = request_normaliser(raw, config).run(job)) {
        result.error = std::move(error);
    } else {
        result.request = std::move(job);
    }
    return result;
}

}  // namespace bfm::core
