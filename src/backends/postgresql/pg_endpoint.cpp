#include "backends/postgresql/pg_endpoint.hpp"

namespace bfm::pg {

connect_params connect_params_for(const core::db_endpoint& endpoint, std::string application_name,
                                  std::chrono::milliseconds connect_timeout) {
    connect_params p;
    p.host = endpoint.host;
    p.port = endpoint.port;
    p.user = endpoint.username;
    p.password = endpoint.password;
    p.dbname = endpoint.database;
    p.sslmode = endpoint.sslmode;
    p.application_name = std::move(application_name);
    p.connect_timeout = connect_timeout;
    return p;
}

}  // namespace bfm::pg
