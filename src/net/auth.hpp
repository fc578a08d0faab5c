#pragma once
// Bearer-token authentication and roles (SPEC 7), transport-neutral: HTTP reads the
// Authorization header, gRPC the `authorization` metadata; both call authenticate() and allows().
// Tokens are never logged, and the table keeps only their SHA-256 digests.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"

namespace bfm::net {

// Ordered by power: every role may do what the weaker ones may.
// viewer: reads; operator_: + run/plan/cancel; admin: + reindex and operator fixes.
enum class role { viewer = 0, operator_ = 1, admin = 2 };

// "viewer", "operator", "admin".
std::string_view role_name(role r);
// Case-insensitive; nullopt for anything else.
std::optional<role> parse_role(std::string_view name);

// Whether a caller with role `have` may use something that needs `need`.
constexpr bool allows(role have, role need) {
    return static_cast<int>(have) >= static_cast<int>(need);
}

// Compares two secrets in time that depends on neither their contents nor the position of the
// first difference, nor (beyond hashing) their lengths: both sides are hashed with SHA-256 and
// the digests compared with CRYPTO_memcmp.
bool constant_time_equals(std::string_view a, std::string_view b);

// Configured tokens and their roles.
class token_table {
public:
    using digest = std::array<unsigned char, 32>;

    // False (and nothing added) when the token is empty or already present.
    bool add(std::string_view token, role r);
    std::size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }

    // The role of `token`. Compares it with EVERY entry, without early exit, so the time taken
    // does not tell which entry (or whether any) matched.
    std::optional<role> find(std::string_view token) const;

private:
    struct entry {
        digest token_digest;
        role granted;
    };
    std::vector<entry> entries_;
};

// One `<role> <token>` line of a tokens file.
struct token_file_entry {
    role granted;
    std::string token;
    int line = 0;
};

struct token_file_result {
    std::vector<token_file_entry> entries;
    std::vector<std::string> errors;  // "file:line: ...", never echoing a token
    bool ok() const { return errors.empty(); }
};

// Parses a tokens file (BFM_API_TOKENS_FILE): one `<role> <token>` per line, role one of
// admin|operator|viewer, separated by blanks; blank lines and lines starting with `#` are
// ignored. Unknown roles, missing or extra fields and duplicate tokens are errors naming the
// line. Pure: `file_name` is for messages only.
token_file_result parse_token_file(std::string_view content, const std::string& file_name);

struct token_table_result {
    token_table table;
    std::vector<std::string> errors;    // stop start-up
    std::vector<std::string> warnings;  // e.g. the file is readable by group or others
    bool ok() const { return errors.empty(); }
};

// The table of a configuration: BFM_API_TOKEN as admin, plus the tokens of BFM_API_TOKENS_FILE
// when set (read here; a token equal to BFM_API_TOKEN is a duplicate).
token_table_result load_token_table(const core::app_config& config);

// The outcome of checking a credential: the caller's role, or the upstream 401 message
// ("missing Authorization header", "invalid Authorization header format",
// "authorization header must use Bearer scheme", "invalid API token").
struct auth_outcome {
    std::optional<role> granted;
    std::string failure;  // set when !granted
};

// `header` is the Authorization header (or gRPC `authorization` metadata) value, nullopt when
// absent. Accepts `Bearer <token>` (scheme case-insensitive, as upstream).
auth_outcome authenticate_bearer(std::optional<std::string_view> header, const token_table& tokens);

inline std::optional<role> authenticate(std::optional<std::string_view> authorization_header,
                                        const token_table& tokens) {
    return authenticate_bearer(authorization_header, tokens).granted;
}

// Checks an Authorization header against one token. Returns nullopt when authorised, else the
// upstream message (see auth_outcome). Kept for callers with a single admin token.
std::optional<std::string> check_bearer(std::optional<std::string_view> header,
                                        std::string_view expected_token);

}  // namespace bfm::net
