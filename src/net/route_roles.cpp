#include "net/route_roles.hpp"

#include "net/json_response.hpp"

namespace bfm::net {

role required_role(core::job_kind kind) {
    // No default: a new kind does not compile (-Wswitch) until it is given its role here.
    switch (kind) {
        case core::job_kind::up:
        case core::job_kind::down:
        case core::job_kind::rollback:
            return role::operator_;
        case core::job_kind::baseline:
        case core::job_kind::force:
        case core::job_kind::repair:
            return role::admin;
    }
    return role::admin;
}

json_reply forbidden_reply(role have, role need) {
    return error_reply(boost::beast::http::status::forbidden,
                       "this token's role (" + std::string(role_name(have))
                           + ") may not do this; it needs " + std::string(role_name(need))
                           + " or higher",
                       "forbidden");
}

}  // namespace bfm::net
