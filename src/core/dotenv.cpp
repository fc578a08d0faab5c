#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/config.hpp"
#include "core/text.hpp"

namespace bfm::core {

namespace {

bool is_env_key(std::string_view key) {
    if (key.empty()) return false;
    for (std::size_t i = 0; i < key.size(); ++i) {
        const char c = key[i];
        const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

// What may follow a closing quote: nothing, or a comment.
bool only_comment_left(std::string_view rest) {
    rest = trim(rest);
    return rest.empty() || rest.front() == '#';
}

// Parses one value; nullopt with `problem` set when it is malformed.
std::optional<std::string> parse_value(std::string_view raw, std::string& problem) {
    raw = trim(raw);
    if (raw.empty()) return std::string{};
    const char quote = raw.front();
    if (quote == '\'') {
        const std::size_t close = raw.find('\'', 1);
        if (close == std::string_view::npos) {
            problem = "unterminated single-quoted value";
            return std::nullopt;
        }
        if (!only_comment_left(raw.substr(close + 1))) {
            problem = "unexpected text after the closing quote";
            return std::nullopt;
        }
        return std::string(raw.substr(1, close - 1));
    }
    if (quote == '"') {
        std::string value;
        for (std::size_t i = 1; i < raw.size(); ++i) {
            const char c = raw[i];
            if (c == '"') {
                if (!only_comment_left(raw.substr(i + 1))) {
                    problem = "unexpected text after the closing quote";
                    return std::nullopt;
                }
                return value;
            }
            if (c == '\\' && i + 1 < raw.size()) {
                const char next = raw[++i];
                value += next == 'n' ? '\n' : next;
                continue;
            }
            value += c;
        }
        problem = "unterminated double-quoted value";
        return std::nullopt;
    }
    // Unquoted: a `#` preceded by a blank starts a comment (a `#` inside a word is kept).
    for (std::size_t i = 1; i < raw.size(); ++i) {
        if (raw[i] == '#' && (raw[i - 1] == ' ' || raw[i - 1] == '\t')) {
            return std::string(trim(raw.substr(0, i)));
        }
    }
    return std::string(raw);
}

}  // namespace

env_map parse_dotenv(std::string_view content, const std::string& file_name,
                     std::vector<std::string>& errors) {
    env_map values;
    int line_number = 0;
    while (!content.empty()) {
        const std::size_t end = content.find('\n');
        std::string_view line = trim(content.substr(0, end));
        content = end == std::string_view::npos ? std::string_view{} : content.substr(end + 1);
        ++line_number;
        if (line.empty() || line.front() == '#') continue;
        if (line.starts_with("export ") || line.starts_with("export\t"))
            line = trim(line.substr(7));
        const std::size_t eq = line.find('=');
        const std::string where = file_name + ":" + std::to_string(line_number) + ": ";
        if (eq == std::string_view::npos || !is_env_key(trim(line.substr(0, eq)))) {
            errors.push_back(where + "expected KEY=VALUE");
            continue;
        }
        const std::string key(trim(line.substr(0, eq)));
        std::string problem;
        auto value = parse_value(line.substr(eq + 1), problem);
        if (!value) {
            errors.push_back(where + problem + " for " + key);
            continue;
        }
        values[key] = std::move(*value);
    }
    return values;
}

env_map read_environment(std::vector<std::string>& errors) {
    env_map env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view item(*entry);
        const std::size_t eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        env.emplace(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
    }
    auto config_file = env.find("BFM_CONFIG");
    if (config_file == env.end() || config_file->second.empty()) return env;

    const std::string path = config_file->second;
    std::error_code ec;
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    if (in) content << in.rdbuf();
    if (!std::filesystem::is_regular_file(path, ec) || !in || in.bad()) {
        errors.push_back("BFM_CONFIG=" + path + ": cannot read the file");
        return env;
    }
    for (auto& [key, value] : parse_dotenv(content.str(), path, errors)) {
        env.emplace(key, std::move(value));  // the environment wins
    }
    return env;
}

}  // namespace bfm::core
