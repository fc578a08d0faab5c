#pragma once
#include <chrono>
#include <string>

#include "backends/postgresql/pg_connection.hpp"
#include "core/config.hpp"

namespace bfm::pg {

// Connection parameters for a configured database endpoint (state database or a connection).
connect_params connect_params_for(const core::db_endpoint& endpoint, std::string application_name,
                                  std::chrono::milliseconds connect_timeout);

}  // namespace bfm::pg
