#include "core/engine/step_rendering.hpp"

namespace bfm::core {

template_values values_for_step(const plan_step& step, const std::string& request_environment,
                                const std::string& tenant_prefix) {
    template_values v;
    v.schema = step.schema;
    v.connection = step.connection;
    v.backend = step.m->backend;
    v.version = step.m->version;
    if (!request_environment.empty()) {
        v.environment = request_environment;
    } else if (!tenant_prefix.empty() && step.schema.size() > tenant_prefix.size()
               && step.schema.compare(0, tenant_prefix.size(), tenant_prefix) == 0) {
        v.environment = step.schema.substr(tenant_prefix.size());
    }
    return v;
}

std::string rendered_up_script(const plan_step& step, const std::string& request_environment,
                               const std::string& tenant_prefix) {
    return render_template(step.m->up_sql,
                           values_for_step(step, request_environment, tenant_prefix));
}

std::string rendered_down_script(const plan_step& step, const std::string& request_environment,
                                 const std::string& tenant_prefix) {
    if (!step.m->down_sql) return std::string();
    return render_template(*step.m->down_sql,
                           values_for_step(step, request_environment, tenant_prefix));
}

planned_step to_planned_step(const plan_step& step, const std::string& request_environment,
                             const std::string& tenant_prefix) {
    planned_step out;
    out.migration_id = step.m->id;
    out.connection = step.connection;
    out.schema = step.schema;
    out.run = step.action == step_action::run;
    out.reason = step.reason;
    out.dependency = step.dependency;
    out.out_of_order = step.out_of_order;
    out.transactional = step.m->transactional;
    out.sql = rendered_up_script(step, request_environment, tenant_prefix);
    return out;
}

}  // namespace bfm::core
