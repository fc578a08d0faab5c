#include "core/migration.hpp"

#include <array>

#include "core/text.hpp"

namespace bfm::core {

std::string canonical_backend(std::string_view backend) {
    std::string name = to_lower_ascii(trim(backend));
    if (name == "postgres") return "postgresql";
    return name;
}

bool is_known_backend(std::string_view backend) {
    static constexpr std::array<std::string_view, 5> known = {"postgresql", "mysql", "greptimedb",
                                                              "etcd", "clickhouse"};
    const std::string name = canonical_backend(backend);
    for (std::string_view k : known) {
        if (name == k) return true;
    }
    return false;
}

}  // namespace bfm::core
