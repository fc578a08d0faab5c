#include "core/config.hpp"

#include <algorithm>
#include <array>

#include "core/migration.hpp"
#include "core/schema_name.hpp"
#include "core/text.hpp"

namespace bfm::core {

namespace {

constexpr std::array<std::string_view, 6> sslmodes = {"disable", "allow",     "prefer",
                                                      "require", "verify-ca", "verify-full"};
constexpr std::array<std::string_view, 7> log_levels = {"trace", "debug",    "info", "warn",
                                                        "error", "critical", "off"};

template <std::size_t N>
bool is_one_of(std::string_view value, const std::array<std::string_view, N>& allowed) {
    return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

template <std::size_t N>
std::string list_of(const std::array<std::string_view, N>& allowed) {
    std::string out;
    for (std::string_view a : allowed) {
        if (!out.empty()) out += ", ";
        out += a;
    }
    return out;
}

// A value as shown in an error: plain when it is a harmless word, quoted and escaped otherwise.
std::string shown(std::string_view value) {
    const bool plain = !value.empty() && value.size() <= 80
                       && std::all_of(value.begin(), value.end(),
                                      [](char c) { return c > ' ' && c < 0x7f && c != '"'; });
    return plain ? std::string(value) : quote_for_message(value);
}

bool is_connection_prefix(std::string_view name) {
    if (name.empty() || !(name.front() >= 'A' && name.front() <= 'Z')) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

class config_parser {
public:
    explicit config_parser(const env_map& env) : env_(env) {}

    config_result run() {
        app_config& c = result_.config;
        c.http_port = port("BFM_HTTP_PORT", c.http_port);
        c.grpc_port = port("BFM_GRPC_PORT", c.grpc_port);
        c.http_address = text("BFM_HTTP_ADDRESS", c.http_address);
        c.api_token = text("BFM_API_TOKEN", "");
        if (c.api_token.empty()) error("BFM_API_TOKEN is required");
        c.api_tokens_file = text("BFM_API_TOKENS_FILE", "");
        c.metrics_public = flag("BFM_METRICS_PUBLIC", c.metrics_public);
        c.sfm_path_set = get("BFM_SFM_PATH").has_value();
        c.sfm_path = text("BFM_SFM_PATH", c.sfm_path);
        c.reload_interval = duration("BFM_RELOAD_INTERVAL", c.reload_interval, true);
        c.tenant_schema_prefix = tenant_prefix("BFM_TENANT_SCHEMA_PREFIX", c.tenant_schema_prefix);
        c.lock_timeout = duration("BFM_LOCK_TIMEOUT", c.lock_timeout, true);
        c.statement_timeout = duration("BFM_STATEMENT_TIMEOUT", c.statement_timeout, true);
        c.connect_timeout = duration("BFM_CONNECT_TIMEOUT", c.connect_timeout, false);
        c.http_read_timeout = duration("BFM_HTTP_READ_TIMEOUT", c.http_read_timeout, false);
        c.http_body_limit = body_limit("BFM_HTTP_BODY_LIMIT", c.http_body_limit);
        c.http_max_connections =
            count("BFM_HTTP_MAX_CONNECTIONS", c.http_max_connections, 1, 1'000'000);
        c.retry_max =
            static_cast<int>(count("BFM_RETRY_MAX", static_cast<std::size_t>(c.retry_max), 0, 100));
        c.max_parallel = count("BFM_MAX_PARALLEL", c.max_parallel, 1, 10'000);
        c.lock_lease = duration("BFM_LOCK_LEASE", c.lock_lease, false);
        if (c.lock_lease < std::chrono::milliseconds(300)) {
            error("BFM_LOCK_LEASE must be at least 300ms (the heartbeat renews it every third)");
        }
        c.job_poll_interval = duration("BFM_JOB_POLL_INTERVAL", c.job_poll_interval, false);
        c.shutdown_grace = duration("BFM_SHUTDOWN_GRACE", c.shutdown_grace, true);
        c.instance_id = text("BFM_INSTANCE_ID", "");
        c.log_level = choice("BFM_LOG_LEVEL", c.log_level, log_levels);
        c.log_format =
            choice("BFM_LOG_FORMAT", c.log_format, std::array<std::string_view, 2>{"text", "json"});
        read_state(c.state);
        read_connections(c.connections);
        return std::move(result_);
    }

private:
    // Unset and empty are the same: `FOO=` in a compose file means "use the default".
    std::optional<std::string> get(const std::string& key) const {
        auto it = env_.find(key);
        if (it == env_.end() || it->second.empty()) return std::nullopt;
        return it->second;
    }

    void error(std::string message) { result_.errors.push_back(std::move(message)); }

    void invalid(const std::string& key, std::string_view value, std::string_view expected) {
        error(key + "=" + shown(value) + ": " + std::string(expected));
    }

    std::string text(const std::string& key, const std::string& fallback) const {
        return get(key).value_or(fallback);
    }

    std::uint16_t port(const std::string& key, std::uint16_t fallback) {
        auto value = get(key);
        if (!value) return fallback;
        auto number = parse_uint64(trim(*value));
        if (!number || *number < 1 || *number > 65535) {
            invalid(key, *value, "expected a port number 1..65535");
            return fallback;
        }
        return static_cast<std::uint16_t>(*number);
    }

    std::size_t count(const std::string& key, std::size_t fallback, std::size_t min,
                      std::size_t max) {
        auto value = get(key);
        if (!value) return fallback;
        auto number = parse_uint64(trim(*value));
        if (!number || *number < min || *number > max) {
            invalid(key, *value,
                    "expected a number " + std::to_string(min) + ".." + std::to_string(max));
            return fallback;
        }
        return static_cast<std::size_t>(*number);
    }

    std::chrono::milliseconds duration(const std::string& key, std::chrono::milliseconds fallback,
                                       bool zero_allowed) {
        auto value = get(key);
        if (!value) return fallback;
        auto parsed = parse_duration(*value);
        if (!parsed) {
            invalid(key, *value, "expected a duration such as 250ms, 5s, 10m or 1h");
            return fallback;
        }
        if (!zero_allowed && parsed->count() == 0) {
            invalid(key, *value, "must be greater than 0");
            return fallback;
        }
        return *parsed;
    }

    std::size_t body_limit(const std::string& key, std::size_t fallback) {
        auto value = get(key);
        if (!value) return fallback;
        std::string_view digits = trim(*value);
        std::uint64_t multiplier = 1;
        if (!digits.empty() && (digits.back() == 'k' || digits.back() == 'K')) multiplier = 1024;
        if (!digits.empty() && (digits.back() == 'm' || digits.back() == 'M')) {
            multiplier = 1024 * 1024;
        }
        if (multiplier != 1) digits.remove_suffix(1);
        auto number = parse_uint64(digits);
        constexpr std::uint64_t max_limit = std::uint64_t{1} << 40;  // 1 TiB: surely a typo
        if (!number || *number > max_limit / multiplier || *number * multiplier < 1024) {
            invalid(key, *value, "expected a size of at least 1024 bytes (e.g. 1048576, 512k, 4M)");
            return fallback;
        }
        return static_cast<std::size_t>(*number * multiplier);
    }

    template <std::size_t N>
    std::string choice(const std::string& key, const std::string& fallback,
                       const std::array<std::string_view, N>& allowed) {
        auto value = get(key);
        if (!value) return fallback;
        std::string lower = to_lower_ascii(trim(*value));
        if (!is_one_of(lower, allowed)) {
            invalid(key, *value, "expected one of " + list_of(allowed));
            return fallback;
        }
        return lower;
    }

    std::string tenant_prefix(const std::string& key, const std::string& fallback) {
        auto value = get(key);
        if (!value) return fallback;
        // Any valid prefix plus at least one character must still be a valid schema name.
        if (validate_schema_name(*value) || value->size() > 62) {
            invalid(key, *value,
                    "must start with a letter or underscore and contain only letters, digits and "
                    "underscores (at most 62 characters)");
            return fallback;
        }
        return *value;
    }

    std::string schema(const std::string& key, const std::string& fallback) {
        auto value = get(key);
        if (!value) return fallback;
        if (auto problem = validate_schema_name(*value)) {
            error(key + ": " + *problem);
            return fallback;
        }
        return *value;
    }

    bool flag(const std::string& key, bool fallback) {
        auto value = get(key);
        if (!value) return fallback;
        const std::string lower = to_lower_ascii(trim(*value));
        if (lower == "on" || lower == "true" || lower == "1") return true;
        if (lower == "off" || lower == "false" || lower == "0") return false;
        invalid(key, *value, "expected on, off, true, false, 1 or 0");
        return fallback;
    }

    // {prefix}HOST, PORT, USERNAME, PASSWORD, NAME, and the sslmode variable.
    db_endpoint endpoint(const std::string& prefix, const std::string& sslmode_key) {
        db_endpoint e;
        e.host = text(prefix + "HOST", e.host);
        e.port = port(prefix + "PORT", e.port);
        e.username = text(prefix + "USERNAME", e.username);
        e.password = text(prefix + "PASSWORD", "");
        e.database = text(prefix + "NAME", "");
        e.sslmode = choice(sslmode_key, e.sslmode, sslmodes);
        return e;
    }

    void read_state(state_config& state) {
        if (auto value = get("BFM_STATE_BACKEND")) {
            const std::string backend = canonical_backend(*value);
            if (backend == "mysql") {
                error(
                    "BFM_STATE_BACKEND=mysql is not supported by this build yet "
                    "(supported: postgresql)");
            } else if (backend != "postgresql") {
                invalid("BFM_STATE_BACKEND", *value,
                        "unknown state backend (supported: postgresql)");
            }
        }
        state.endpoint = endpoint("BFM_STATE_DB_", "BFM_STATE_SSLMODE");
        if (state.endpoint.database.empty()) state.endpoint.database = "migration_state";
        state.schema = schema("BFM_STATE_SCHEMA", state.schema);
    }

    bool has_connection_settings(const std::string& name) const {
        for (const auto& [key, value] : env_) {
            if (key.starts_with(name + "_DB_") || key == name + "_SCHEMA") return true;
        }
        return false;
    }

    // Every {NAME}_BACKEND outside the BFM_ namespace defines connection lower(NAME).
    void read_connections(std::vector<connection_config>& out) {
        static constexpr std::string_view suffix = "_BACKEND";
        for (const auto& [key, raw_backend] : env_) {
            if (!key.ends_with(suffix)) continue;
            const std::string name = key.substr(0, key.size() - suffix.size());
            if (!is_connection_prefix(name) || name == "BFM" || name.starts_with("BFM_")) continue;
            if (trim(raw_backend).empty()) continue;
            const std::string backend = canonical_backend(raw_backend);
            if (!is_known_backend(backend)) {
                // GDK_BACKEND=x11 and the like belong to other programs; only a variable that
                // comes with connection settings is a misconfigured connection.
                if (has_connection_settings(name)) {
                    invalid(key, raw_backend,
                            "unknown backend (known: postgresql, mysql, greptimedb, etcd, "
                            "clickhouse)");
                }
                continue;
            }
            if (backend != "postgresql") {
                invalid(key, raw_backend,
                        "backend not supported by this build yet (supported: postgresql)");
                continue;
            }
            out.push_back(read_connection(name, backend));
        }
        std::sort(
            out.begin(), out.end(),
            [](const connection_config& a, const connection_config& b) { return a.name < b.name; });
    }

    connection_config read_connection(const std::string& prefix, const std::string& backend) {
        connection_config c;
        c.name = to_lower_ascii(prefix);
        c.env_prefix = prefix;
        c.backend = backend;
        c.endpoint = endpoint(prefix + "_DB_", prefix + "_SSLMODE");
        if (c.endpoint.database.empty()) {
            error(prefix + "_DB_NAME is required (the database of connection " + c.name + ")");
        }
        c.schema = schema(prefix + "_SCHEMA", "");
        c.max_connections = static_cast<int>(count(prefix + "_MAX_CONNECTIONS", 4, 1, 1000));
        c.ledger = flag(prefix + "_LEDGER", true);
        return c;
    }

    const env_map& env_;
    config_result result_;
};

}  // namespace

std::string db_endpoint::describe() const {
    // An IPv6 literal needs brackets so that the port stays readable.
    const bool ipv6 = host.find(':') != std::string::npos;
    const std::string shown_host = ipv6 ? "[" + host + "]" : host;
    return username + "@" + shown_host + ":" + std::to_string(port) + "/" + database;
}

const connection_config* app_config::find_connection(std::string_view name) const {
    const std::string wanted = to_lower_ascii(name);
    for (const connection_config& c : connections) {
        if (c.name == wanted) return &c;
    }
    return nullptr;
}

config_result parse_config(const env_map& env) {
    return config_parser(env).run();
}

}  // namespace bfm::core
