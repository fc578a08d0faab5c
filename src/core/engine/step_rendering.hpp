#pragma once
// Turns plan steps into what the APIs show and what the executor sends: the rendered script.

#include <string>

#include "core/config.hpp"
#include "core/planner.hpp"
#include "core/service.hpp"
#include "core/template.hpp"

namespace bfm::core {

// {{.Environment}}: the request's environment, else the schema without the tenant prefix
// (cli_dev -> dev), else empty.
template_values values_for_step(const plan_step& step, const std::string& request_environment,
                                const std::string& tenant_prefix);

std::string rendered_up_script(const plan_step& step, const std::string& request_environment,
                               const std::string& tenant_prefix);

// The down script of the step's migration, rendered the same way (empty when it has none).
std::string rendered_down_script(const plan_step& step, const std::string& request_environment,
                                 const std::string& tenant_prefix);

planned_step to_planned_step(const plan_step& step, const std::string& request_environment,
                             const std::string& tenant_prefix);

}  // namespace bfm::core
