#pragma once
// Migration-side tags (SPEC 1.2, upstream §4.6 done strictly): `key=value`, split at the first
// '=', key trimmed and lower-cased, value trimmed (it may contain '=' and may be empty).
// Malformed tags are errors, never dropped; one key with two values in one migration is an
// error.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/migration.hpp"

namespace bfm::core {

struct tag_parse {
    tag value;
    std::string error;  // empty when `value` is set

    bool ok() const { return error.empty(); }
};

// One `key=value` entry. Errors: empty entry, no '=', empty key, blanks inside the key.
tag_parse parse_migration_tag(std::string_view text);

// Where a tag was declared, for messages.
struct tag_origin {
    std::string file;
    int line = 0;
};

// The tags of one migration, from every source (header lines, .go stub, .meta.json).
class tag_set {
public:
    // Adds `t`; the same key with the same value again is fine. Returns the error message when
    // the key already has another value.
    std::optional<std::string> add(const tag& t, const tag_origin& where);

    // In the order the keys were first declared.
    std::vector<tag> tags() const;

private:
    struct entry {
        tag value;
        tag_origin where;
    };
    std::vector<entry> entries_;
};

}  // namespace bfm::core
