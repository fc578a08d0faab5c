#include "core/target_filter.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace bfm::core {

namespace {

bool version_matches(const version_filter& filter, const migration& m) {
    if (filter.version.empty()) return true;
    if (filter.up_to) return m.version_number <= filter.number;
    // "0042" and "42" name the same version: versions compare numerically (SPEC 1.1).
    return m.version == filter.version
           || (is_all_digits(filter.version) && m.version_number == filter.number);
}

}  // namespace

bool target_filter::matches(const migration& m) const {
    if (!backend.empty() && canonical_backend(backend) != canonical_backend(m.backend)) {
        return false;
    }
    if (!connection.empty() && connection != m.connection) return false;
    if (!schema.empty() && schema != m.schema) return false;
    if (!tables.empty() && std::find(tables.begin(), tables.end(), m.table) == tables.end()) {
        return false;
    }
    return version_matches(version, m);
}

}  // namespace bfm::core
