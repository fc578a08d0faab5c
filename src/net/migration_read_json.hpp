#pragma once
// JSON of the per-migration read endpoints: upstream's field names (migration_id, schema,
// table, version, name, connection, backend, applied, status, applied_at, error_message,
// up_sql, down_sql, dependencies, structured_dependencies, tags, history, executions, skipped)
// plus bfm's additions. `execution_context` stays a JSON string, as upstream sent it.

#include <boost/json/object.hpp>

#include "core/migration_reads.hpp"

namespace bfm::net {

boost::json::object migration_detail_json(const core::migration_detail& detail);
boost::json::object status_json(const core::status_report& report);
boost::json::object applied_json(const core::applied_report& report,
                                 const core::read_query& query);

// {"migration_id"?, "<key>": [...], "total", "limit", "offset"}; the ID only when the page
// has one (not for the recent lists).
boost::json::object executions_json(const core::state_page& page, const core::read_query& query);
boost::json::object history_json(const core::history_page& page, const core::read_query& query);
boost::json::object skipped_json(const core::history_page& page, const core::read_query& query);

// `[connection:]name` or `[connection:]@version`, as written in `-- bfm:depends`.
std::string dependency_text(const core::dependency& d);

}  // namespace bfm::net
