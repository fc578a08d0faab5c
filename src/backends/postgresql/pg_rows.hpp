#pragma once
// The rows of a query result. Owns the PGresult; values are text (the simple and the text
// extended protocol), read as string_views valid while the rows live.

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace bfm::pg {

class rows {
public:
    rows() = default;
    explicit rows(PGresult* res) : res_(res, &PQclear) {}

    int size() const { return res_ ? PQntuples(res_.get()) : 0; }
    bool empty() const { return size() == 0; }
    int columns() const { return res_ ? PQnfields(res_.get()) : 0; }
    // Column index by name, -1 when absent.
    int column(const char* name) const { return res_ ? PQfnumber(res_.get(), name) : -1; }

    bool is_null(int row, int col) const { return PQgetisnull(res_.get(), row, col) != 0; }
    std::string_view text(int row, int col) const {
        return {PQgetvalue(res_.get(), row, col),
                static_cast<std::size_t>(PQgetlength(res_.get(), row, col))};
    }
    std::optional<std::string> optional_text(int row, int col) const {
        if (is_null(row, col)) return std::nullopt;
        return std::string(text(row, col));
    }
    std::int64_t integer(int row, int col) const;  // 0 for NULL
    bool boolean(int row, int col) const { return text(row, col) == "t"; }

    // Rows affected by the last command (INSERT/UPDATE/DELETE), 0 otherwise.
    std::int64_t affected() const;

private:
    std::shared_ptr<PGresult> res_;
};

}  // namespace bfm::pg
