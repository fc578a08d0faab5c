#pragma once
// The `-- +migrate` markers of a convention C single-file migration (dbackup / sql-migrate
// style):
//   -- +migrate Up [notransaction]     starts the up script (required, once)
//   -- +migrate Down [notransaction]   starts the down script (optional, once, after Up)
//   -- +migrate StatementBegin / StatementEnd   around one statement; checked for pairing and
//                                               otherwise kept as the SQL comments they are
// Markers are case-insensitive; other words after Up/Down are ignored. SQL before the Up
// marker belongs to no script and is an error.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/load_error.hpp"

namespace bfm::core {

struct migrate_sections {
    std::string_view up;                   // the lines between the Up and Down markers (or the end)
    int up_first_line = 0;                 // line number of the first line of `up`
    std::optional<std::string_view> down;  // after the Down marker, when there is one
    int down_first_line = 0;
    // Everything before the Down marker: the region whose leading comments are header lines
    // (before the Up marker and at the start of the up script).
    std::string_view header_region;
    int no_transaction_line = 0;  // line of an Up marker with `notransaction`; 0 = none
    std::vector<load_error> errors;
};

// `text` is the whole file (without a byte order mark); views point into it.
migrate_sections split_migrate_sections(std::string_view text, const std::string& file);

}  // namespace bfm::core
