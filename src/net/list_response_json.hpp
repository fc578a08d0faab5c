#pragma once
// GET /api/v1/migrations answer: {"items": [...], "total", "limit", "offset"} (upstream's
// MigrationListResponse plus pagination).

#include "core/service.hpp"
#include "net/json_response.hpp"

namespace bfm::net {

json_reply list_reply(const core::list_page& page, const core::list_query& query);

}  // namespace bfm::net
