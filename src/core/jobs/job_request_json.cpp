#include "core/jobs/job_request_json.hpp"

#include <boost/json.hpp>

namespace bfm::core {
namespace json = boost::json;

namespace {

json::array strings(const std::vector<std::string>& values) {
    json::array out;
    for (const auto& v : values) out.emplace_back(v);
    return out;
}

std::vector<std::string> strings_of(const json::value& v) {
    std::vector<std::string> out;
    for (const auto& item : v.as_array()) out.emplace_back(item.as_string());
    return out;
}

std::string text_of(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

bool flag_of(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_bool() && v->get_bool();
}

}  // namespace

std::string job_request_to_json(const job_request& r) {
    json::array tags;
    for (const auto& t : r.filter.tags) tags.push_back(json::array{json::string(t.key), json::string(t.value)});
    json::object filter{
        {"backend", r.filter.backend},
        {"connection", r.filter.connection},
        {"schema", r.filter.schema},
        {"tables", strings(r.filter.tables)},
        {"version", r.filter.version.version},
        {"version_up_to", r.filter.version.up_to},
        {"version_number", r.filter.version.number},
        {"tags", std::move(tags)},
    };
    json::object origin{
        {"method", to_string(r.origin.method)},
        {"executed_by", r.origin.executed_by},
        {"context", r.origin.context_json},
    };
    json::object revert{
        {"steps", r.revert.steps},
        {"to_version", r.revert.to_version},
        {"migration_ids", strings(r.revert.migration_ids)},
        {"cascade", r.revert.cascade},
    };
    json::object fix{
        {"to_version", r.fix.to_version},
        {"migration_id", r.fix.migration_id},
        {"status", r.fix.status},
        {"reason", r.fix.reason},
    };
    json::object o{
        {"v", 1},
        {"kind", to_string(r.kind)},
        {"revert", std::move(revert)},
        {"fix", std::move(fix)},
        {"filter", std::move(filter)},
        {"connection", r.connection},
        {"schemas", strings(r.schemas)},
        {"ignore_dependencies", r.ignore_dependencies},
        {"allow_modified", r.allow_modified},
        {"strict_order", r.strict_order},
        {"environment", r.environment},
        {"schema_selector_like", r.schema_selector_like},
        {"origin", std::move(origin)},
    };
    return json::serialize(o);
}

std::optional<job_request> job_request_from_json(std::string_view text, std::string& error) {
    try {
        const json::value parsed = json::parse(text);
        const json::object& o = parsed.as_object();
        if (o.at("v").as_int64() != 1) {
            error = "stored job request has an unknown format version";
            return std::nullopt;
        }
        job_request r;
        // Requests stored before down/rollback existed have neither field: they are ups.
        if (auto kind = job_kind_from(text_of(o, "kind"))) r.kind = *kind;
        if (const auto* rv = o.if_contains("revert")) {
            const json::object& revert = rv->as_object();
            r.revert.steps = revert.at("steps").as_int64();
            r.revert.to_version = text_of(revert, "to_version");
            r.revert.migration_ids = strings_of(revert.at("migration_ids"));
            r.revert.cascade = flag_of(revert, "cascade");
        }
        if (const auto* fx = o.if_contains("fix")) {
            const json::object& fix = fx->as_object();
            r.fix.to_version = text_of(fix, "to_version");
            r.fix.migration_id = text_of(fix, "migration_id");
            r.fix.status = text_of(fix, "status");
            r.fix.reason = text_of(fix, "reason");
        }
        const json::object& f = o.at("filter").as_object();
        r.filter.backend = text_of(f, "backend");
        r.filter.connection = text_of(f, "connection");
        r.filter.schema = text_of(f, "schema");
        r.filter.tables = strings_of(f.at("tables"));
        r.filter.version.version = text_of(f, "version");
        r.filter.version.up_to = flag_of(f, "version_up_to");
        r.filter.version.number = json::value_to<std::uint64_t>(f.at("version_number"));
        for (const auto& t : f.at("tags").as_array()) {
            const auto& pair = t.as_array();
            r.filter.tags.push_back({std::string(pair.at(0).as_string()),
                                     std::string(pair.at(1).as_string())});
        }
        r.connection = text_of(o, "connection");
        r.schemas = strings_of(o.at("schemas"));
        r.ignore_dependencies = flag_of(o, "ignore_dependencies");
        r.allow_modified = flag_of(o, "allow_modified");
        r.strict_order = flag_of(o, "strict_order");
        r.environment = text_of(o, "environment");
        r.schema_selector_like = text_of(o, "schema_selector_like");
        const json::object& origin = o.at("origin").as_object();
        const std::string method = text_of(origin, "method");
        for (auto m : {execution_method::api, execution_method::grpc, execution_method::cli,
                       execution_method::dashboard, execution_method::auto_migrate}) {
            if (to_string(m) == method) r.origin.method = m;
        }
        r.origin.executed_by = text_of(origin, "executed_by");
        r.origin.context_json = text_of(origin, "context");
        return r;
    } catch (const std::exception& e) {
        error = std::string("stored job request is malformed: ") + e.what();
        return std::nullopt;
    }
}

}  // namespace bfm::core
