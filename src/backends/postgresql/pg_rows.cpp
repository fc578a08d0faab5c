#include "backends/postgresql/pg_rows.hpp"

#include <charconv>

namespace bfm::pg {

std::int64_t rows::integer(int row, int col) const {
    if (is_null(row, col)) return 0;
    const auto t = text(row, col);
    std::int64_t v = 0;
    std::from_chars(t.data(), t.data() + t.size(), v);
    return v;
}

std::int64_t rows::affected() const {
    if (!res_) return 0;
    const char* t = PQcmdTuples(res_.get());
    std::int64_t v = 0;
    std::from_chars(t, t + std::char_traits<char>::length(t), v);
    return v;
}

}  // namespace bfm::pg
