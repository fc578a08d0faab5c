#include "net/migration_read_json.hpp"

#include <boost/json/array.hpp>

namespace bfm::net {

namespace json = boost::json;

namespace {

void put_if(json::object& o, std::string_view key, const std::string& value) {
    if (!value.empty()) o[key] = value;
}

json::object targets_json(const std::map<std::string, std::int64_t>& counts) {
    json::object out;
    for (const auto& [status, n] : counts) out[status] = n;
    return out;
}

// The state fields shared by the detail and status answers.
void put_state(json::object& o, const core::state_summary& s) {
    o["status"] = s.status;
    o["applied"] = s.applied;
    put_if(o, "applied_at", s.applied_at);
    put_if(o, "error_message", s.error_message);
    o["target_connection"] = s.connection;
    o["target_schema"] = s.schema;
    o["targets"] = targets_json(s.targets);
}

json::object structured_json(const core::dependency& d) {
    json::object o{{"connection", d.connection},
                   {"schema", d.schema},
                   {"target", d.target},
                   {"target_type", d.target_type == core::dependency::kind::version ? "version"
                                                                                    : "name"}};
    put_if(o, "requires_table", d.requires_table);
    put_if(o, "requires_schema", d.requires_schema);
    return o;
}

json::object target_state_json(const core::target_state& s) {
    json::object o{{"migration_id", s.migration_id},
                   {"schema", s.schema},
                   {"table", s.table},
                   {"version", s.version},
                   {"name", s.name},
                   {"connection", s.connection},
                   {"backend", s.backend},
                   {"status", s.status},
                   {"applied", s.status == "applied"},
                   {"checksum", s.checksum},
                   {"execution_ms", s.execution_ms},
                   {"recorded", s.recorded}};
    put_if(o, "applied_at", s.applied_at);
    put_if(o, "created_at", s.created_at);
    put_if(o, "updated_at", s.updated_at);
    put_if(o, "error_message", s.error_message);
    put_if(o, "job_id", s.job_id);
    return o;
}

json::object history_entry_json(const core::history_entry& h) {
    json::object o{{"id", h.id},
                   {"attempt_id", h.attempt_id},
                   {"migration_id", h.migration_id},
                   {"schema", h.schema},
                   {"table", h.table},
                   {"version", h.version},
                   {"connection", h.connection},
                   {"backend", h.backend},
                   {"action", h.action},
                   {"status", h.status},
                   {"error_message", h.error_message},
                   {"checksum", h.checksum},
                   // upstream's name for when the attempt was recorded
                   {"applied_at", h.finished_at.empty() ? h.started_at : h.finished_at},
                   {"started_at", h.started_at},
                   {"finished_at", h.finished_at},
                   {"duration_ms", h.duration_ms},
                   {"executed_by", h.executed_by},
                   {"execution_method", h.execution_method},
                   {"execution_context", h.execution_context},
                   {"job_id", h.job_id}};
    if (h.statement_index) o["statement_index"] = *h.statement_index;
    return o;
}

json::object skipped_entry_json(const core::history_entry& h) {
    return json::object{{"id", h.id},
                        {"migration_id", h.migration_id},
                        {"schema", h.schema},
                        {"table", h.table},
                        {"version", h.version},
                        {"connection", h.connection},
                        {"backend", h.backend},
                        {"reason", h.skip_reason},
                        {"checksum", h.checksum},
                        {"executed_by", h.executed_by},
                        {"execution_method", h.execution_method},
                        {"execution_context", h.execution_context},
                        {"job_id", h.job_id},
                        {"skipped_at", h.started_at},
                        {"created_at", h.finished_at.empty() ? h.started_at : h.finished_at}};
}

json::object page_json(const std::string& migration_id, std::string_view key, json::array items,
                       std::size_t total, const core::read_query& query) {
    json::object o;
    if (!migration_id.empty()) o["migration_id"] = migration_id;
    o[key] = std::move(items);
    o["total"] = total;
    o["limit"] = query.limit;
    o["offset"] = query.offset;
    return o;
}

}  // namespace

std::string dependency_text(const core::dependency& d) {
    std::string out = d.connection.empty() ? std::string() : d.connection + ":";
    if (d.target_type == core::dependency::kind::version) out += "@";
    return out + d.target;
}

json::object migration_detail_json(const core::migration_detail& d) {
    json::object o{{"migration_id", d.migration_id},
                   {"schema", d.schema},
                   {"table", d.table},
                   {"version", d.version},
                   {"name", d.name},
                   {"connection", d.connection},
                   {"backend", d.backend},
                   {"known", d.known},
                   {"checksum", d.checksum},
                   {"transactional", d.transactional},
                   {"up_path", d.up_path}};
    put_state(o, d.state);
    if (d.known) o["up_sql"] = d.up_sql;
    if (d.down_sql) o["down_sql"] = *d.down_sql;
    if (d.down_path) o["down_path"] = *d.down_path;
    json::array dependencies;
    json::array structured;
    for (const auto& dep : d.dependencies) {
        dependencies.emplace_back(dependency_text(dep));
        structured.emplace_back(structured_json(dep));
    }
    o["dependencies"] = std::move(dependencies);
    o["structured_dependencies"] = std::move(structured);
    json::array depends_schemas;
    for (const auto& s : d.depends_schemas) depends_schemas.emplace_back(s);
    o["depends_schemas"] = std::move(depends_schemas);
    json::array tags;
    for (const auto& t : d.tags) tags.emplace_back(t.key + "=" + t.value);
    o["tags"] = std::move(tags);
    return o;
}

json::object status_json(const core::status_report& report) {
    json::object o{{"migration_id", report.migration_id}};
    put_state(o, report.state);
    return o;
}

json::object applied_json(const core::applied_report& report, const core::read_query& query) {
    json::array targets;
    targets.reserve(report.targets.size());
    for (const auto& t : report.targets) targets.emplace_back(target_state_json(t));
    json::object o = page_json(report.migration_id, "targets", std::move(targets), report.total,
                               query);
    o["applied"] = report.applied;
    return o;
}

json::object executions_json(const core::state_page& page, const core::read_query& query) {
    json::array items;
    items.reserve(page.items.size());
    for (const auto& s : page.items) items.emplace_back(target_state_json(s));
    return page_json(page.migration_id, "executions", std::move(items), page.total, query);
}

json::object history_json(const core::history_page& page, const core::read_query& query) {
    json::array items;
    items.reserve(page.items.size());
    for (const auto& h : page.items) items.emplace_back(history_entry_json(h));
    return page_json(page.migration_id, "history", std::move(items), page.total, query);
}

json::object skipped_json(const core::history_page& page, const core::read_query& query) {
    json::array items;
    items.reserve(page.items.size());
    for (const auto& h : page.items) items.emplace_back(skipped_entry_json(h));
    return page_json(page.migration_id, "skipped", std::move(items), page.total, query);
}

}  // namespace bfm::net
