#include "net/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <boost/beast/core/string.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace bfm::net {

namespace {

using digest = token_table::digest;

digest sha256(std::string_view text) {
    digest out{};
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), out.data(), &size, EVP_sha256(), nullptr) != 1
        || size != out.size()) {
        throw std::runtime_error("SHA-256 failed");
    }
    return out;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Splits a line into blank-separated fields.
std::vector<std::string_view> fields_of(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_blank(line[i])) ++i;
        const std::size_t start = i;
        while (i < line.size() && !is_blank(line[i])) ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
    return out;
}

}  // namespace

std::string_view role_name(role r) {
    switch (r) {
        case role::viewer:
            return "viewer";
        case role::operator_:
            return "operator";
        case role::admin:
            return "admin";
    }
    return "unknown";
}

std::optional<role> parse_role(std::string_view name) {
    for (role r : {role::viewer, role::operator_, role::admin}) {
        if (boost::beast::iequals(name, role_name(r))) return r;
    }
    return std::nullopt;
}

bool constant_time_equals(std::string_view a, std::string_view b) {
    const digest da = sha256(a);
    const digest db = sha256(b);
    // Both digests are always compared in full; the length check adds no early exit either.
    const bool same_digest = CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
    const bool same_length = a.size() == b.size();
    return same_digest & same_length;
}

bool token_table::add(std::string_view token, role r) {
    if (token.empty() || find(token)) return false;
    entries_.push_back(entry{sha256(token), r});
    return true;
}

std::optional<role> token_table::find(std::string_view token) const {
    const digest presented = sha256(token);
    // Equal digests mean equal tokens (SHA-256 collisions aside), so lengths need no check.
    // Every entry is compared; the match is folded in without a data-dependent branch.
    unsigned matched = 0;
    unsigned granted = 0;
    for (const entry& e : entries_) {
        const unsigned equal =
            static_cast<unsigned>(CRYPTO_memcmp(presented.data(), e.token_digest.data(),
                                                presented.size())
                                  == 0);
        const unsigned mask = 0U - equal;  // all ones when equal
        matched |= equal;
        granted |= mask & static_cast<unsigned>(e.granted);
    }
    if (matched == 0) return std::nullopt;
    return static_cast<role>(granted);
}

token_file_result parse_token_file(std::string_view content, const std::string& file_name) {
    token_file_result out;
    token_table seen;
    int line_no = 0;
    while (!content.empty()) {
        const std::size_t end = content.find('\n');
        std::string_view line = content.substr(0, end);
        content = end == std::string_view::npos ? std::string_view{} : content.substr(end + 1);
        ++line_no;
        const std::vector<std::string_view> fields = fields_of(line);
        if (fields.empty() || fields.front().front() == '#') continue;
        const std::string where = file_name + ":" + std::to_string(line_no) + ": ";
        if (fields.size() == 1 && parse_role(fields[0])) {
            out.errors.push_back(where + "empty token for role " + std::string(fields[0]));
            continue;
        }
        if (fields.size() != 2) {
            out.errors.push_back(where + "expected '<role> <token>' (role admin|operator|viewer), "
                                 + "found " + std::to_string(fields.size()) + " field(s)");
            continue;
        }
        const std::optional<role> r = parse_role(fields[0]);
        if (!r) {
            // A role word is not secret; cut it anyway in case a token was put first.
            std::string shown(fields[0].substr(0, 16));
            out.errors.push_back(where + "unknown role '" + shown
                                 + "' (expected admin, operator or viewer)");
            continue;
        }
        if (!seen.add(fields[1], *r)) {
            out.errors.push_back(where + "duplicate token (already on an earlier line)");
            continue;
        }
        out.entries.push_back(token_file_entry{*r, std::string(fields[1]), line_no});
    }
    return out;
}

token_table_result load_token_table(const core::app_config& config) {
    token_table_result out;
    if (!config.api_token.empty()) out.table.add(config.api_token, role::admin);
    if (config.api_tokens_file.empty()) return out;

    const std::string& path = config.api_tokens_file;
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
        out.errors.push_back("BFM_API_TOKENS_FILE=" + path + ": not a readable file");
        return out;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        out.errors.push_back("BFM_API_TOKENS_FILE=" + path + ": cannot be opened");
        return out;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
        out.warnings.push_back("BFM_API_TOKENS_FILE=" + path + " is accessible by group or others"
                               + " (mode " + mode + "); chmod 600 it");
    }
    token_file_result parsed = parse_token_file(text.str(), path);
    out.errors = std::move(parsed.errors);
    for (const token_file_entry& e : parsed.entries) {
        if (!out.table.add(e.token, e.granted)) {
            out.errors.push_back(path + ":" + std::to_string(e.line)
                                 + ": duplicate token (the same as BFM_API_TOKEN)");
        }
    }
    if (out.table.empty() && out.errors.empty()) {
        out.errors.push_back("BFM_API_TOKENS_FILE=" + path + " holds no token");
    }
    return out;
}

auth_outcome authenticate_bearer(std::optional<std::string_view> header,
                                 const token_table& tokens) {
    auth_outcome out;
    if (!header || header->empty()) {
        out.failure = "missing Authorization header";
        return out;
    }
    // As upstream: split on the first space into scheme and token.
    const auto space = header->find(' ');
    if (space == std::string_view::npos) {
        out.failure = "invalid Authorization header format";
        return out;
    }
    if (!boost::beast::iequals(header->substr(0, space), "bearer")) {
        out.failure = "authorization header must use Bearer scheme";
        return out;
    }
    // An empty table never authorises anything (config requires a token; a second fence).
    if (tokens.empty()) {
        out.failure = "BFM_API_TOKEN not configured";
        return out;
    }
    out.granted = tokens.find(header->substr(space + 1));
    if (!out.granted) out.failure = "invalid API token";
    return out;
}

std::optional<std::string> check_bearer(std::optional<std::string_view> header,
                                        std::string_view expected_token) {
    token_table tokens;
    tokens.add(expected_token, role::admin);
    auth_outcome outcome = authenticate_bearer(header, tokens);
    if (outcome.granted) return std::nullopt;
    return std::move(outcome.failure);
}

}  // namespace bfm::net
