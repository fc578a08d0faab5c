#include "support/job_fleet.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

#include "support/http_client.hpp"
#include "support/pg_test_env.hpp"

namespace bfm::test {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

struct migration_file {
    const char* stem;
    const char* sql;
};

// Every one of them fails when it runs a second time on the same schema (CREATE without IF NOT
// EXISTS, ADD COLUMN, an INSERT into a UNIQUE key), and each leaves one `audit` row, so a second
// application that somehow did not fail would still be counted. The sleep keeps a target busy
// long enough for a kill to land inside a migration's transaction now and then.
const migration_file once_only_migrations[] = {
    {"20250101000001_create_tables",
     "CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL UNIQUE);\n"
     "CREATE TABLE audit (id bigserial PRIMARY KEY, what text NOT NULL);\n"
     "INSERT INTO audit (what) VALUES ('create_tables');\n"},
    {"20250101000002_name_index",
     "CREATE INDEX accounts_name_lower_idx ON accounts (lower(name));\n"
     "INSERT INTO audit (what) VALUES ('name_index');\n"},
    {"20250101000003_add_tier",
     "ALTER TABLE accounts ADD COLUMN tier text NOT NULL DEFAULT 'free';\n"
     "SELECT pg_sleep(0.03);\n"
     "INSERT INTO audit (what) VALUES ('add_tier');\n"},
    {"20250101000004_backfill",
     "INSERT INTO accounts (id, name) VALUES (1, 'owner'), (2, 'system');\n"
     "INSERT INTO audit (what) VALUES ('backfill');\n"},
};

bool plain_name(const std::string& s) {
    if (s.empty()) return false;
    for (char c : s) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
    }
    return true;
}

std::string quoted(const std::string& s) {
    if (!plain_name(s)) throw std::invalid_argument("not a plain name: " + s);
    return "'" + s + "'";
}

}  // namespace

temp_dir::temp_dir(const std::string& name)
    : path_(fs::temp_directory_path()
            / ("bfm-" + name + "-" + std::to_string(::getpid()) + "-"
               + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
}

temp_dir::~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

std::vector<std::string> write_once_only_tree(const fs::path& root) {
    const fs::path dir = root / "postgresql" / fleet_connection;
    fs::create_directories(dir);
    std::vector<std::string> ids;
    for (const auto& m : once_only_migrations) {
        std::ofstream(dir / (std::string(m.stem) + ".up.sql")) << m.sql;
        ids.push_back(std::string(m.stem) + "_postgresql_" + fleet_connection);
    }
    return ids;
}

std::uint32_t test_seed() {
    if (const char* s = std::getenv("BFM_TEST_SEED"); s && *s) {
        return static_cast<std::uint32_t>(std::stoul(s));
    }
    return std::random_device{}();
}

std::string log_excerpt(const std::string& log) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < log.size()) {
        auto end = log.find('\n', start);
        if (end == std::string::npos) end = log.size();
        lines.push_back(log.substr(start, end - start));
        start = end + 1;
    }
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto& l = lines[i];
        if (i + 15 >= lines.size() || l.find(" warning ") != std::string::npos
            || l.find(" error ") != std::string::npos
            || l.find(" critical ") != std::string::npos) {
            out += l + "\n";
        }
    }
    if (out.size() > 20000) out = "...\n" + out.substr(out.size() - 20000);
    return out;
}

std::vector<std::string> tenant_schemas(int count) {
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "cli_t%03d", i);
        out.emplace_back(name);
    }
    return out;
}

bfm_replica::bfm_replica(const replica_options& o) : port_(free_port()) {
    const auto p = pg_params(o.state_db);
    std::map<std::string, std::string> env{
        {"BFM_HTTP_PORT", std::to_string(port_)},
        {"BFM_GRPC_PORT", std::to_string(free_port())},
        {"BFM_HTTP_ADDRESS", "127.0.0.1"},
        {"BFM_API_TOKEN", fleet_token},
        {"BFM_SFM_PATH", o.sfm.string()},
        {"BFM_STATE_DB_HOST", p.host},
        {"BFM_STATE_DB_PORT", std::to_string(p.port)},
        {"BFM_STATE_DB_USERNAME", p.user},
        {"BFM_STATE_DB_NAME", o.state_db},
        {"BFM_STATE_SSLMODE", "disable"},
        {"BFM_LOCK_LEASE", o.lock_lease},
        {"BFM_JOB_POLL_INTERVAL", o.poll_interval},
        {"BFM_SHUTDOWN_GRACE", "1s"},
        {"APP_BACKEND", "postgresql"},
        {"APP_DB_HOST", p.host},
        {"APP_DB_PORT", std::to_string(p.port)},
        {"APP_DB_USERNAME", p.user},
        {"APP_DB_NAME", o.app_db},
        {"APP_SSLMODE", "disable"},
        {"APP_MAX_CONNECTIONS", "4"},
    };
    if (!o.instance_id.empty()) env["BFM_INSTANCE_ID"] = o.instance_id;
    process_ = std::make_unique<child_process>(std::vector<std::string>{o.binary, "serve"},
                                               std::move(env));
}

bool bfm_replica::wait_healthy(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!process_->running()) return false;
        try {
            if (http_request(port_, "GET", "/health").status == 200) return true;
        } catch (const std::exception&) {
            // not listening yet
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

std::string bfm_replica::holder(std::chrono::milliseconds timeout) {
    static const std::string marker = "claiming work as ";
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const std::string out = process_->output();
        if (const auto at = out.find(marker); at != std::string::npos) {
            const auto start = at + marker.size();
            const auto end = out.find_first_of(" \r\n", start);
            return out.substr(start, end == std::string::npos ? std::string::npos : end - start);
        }
        if (std::chrono::steady_clock::now() >= deadline) return {};
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void bfm_replica::kill() {
    const int code = process_->stop(SIGKILL, std::chrono::seconds(5));
    EXPECT_EQ(code, 128 + SIGKILL) << "bfm did not die of SIGKILL";
}

std::string submit_job(unsigned short port, const std::vector<std::string>& schemas) {
    json::array names;
    for (const auto& s : schemas) names.emplace_back(s);
    const auto body =
        json::serialize(json::object{{"connection", fleet_connection}, {"schemas", names}});
    auto reply = http_request(port, "POST", "/api/v1/jobs", body, fleet_token);
    EXPECT_EQ(reply.status, 202) << reply.body;
    if (reply.status != 202) return {};
    auto answer = json::parse(reply.body).as_object();
    const std::string id(answer.at("job_id").as_string());
    EXPECT_EQ(answer.at("status_url").as_string(), "/api/v1/jobs/" + id);
    return id;
}

std::optional<json::object> get_job(unsigned short port, const std::string& job_id) {
    try {
        auto reply = http_request(port, "GET", "/api/v1/jobs/" + job_id, {}, fleet_token);
        if (reply.status != 200) return std::nullopt;
        return json::parse(reply.body).as_object();
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<json::object> wait_for_final(unsigned short port, const std::string& job_id,
                                           std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::optional<json::object> last;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto job = get_job(port, job_id)) {
            last = job;
            const auto status = job->at("status").as_string();
            if (status != "queued" && status != "running") return last;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (last)
        ADD_FAILURE() << "job still " << last->at("status") << " after the timeout: " << *last;
    return std::nullopt;
}

pg_session::pg_session(const std::string& dbname) {
    const auto p = pg_params(dbname);
    const std::string conninfo = "host=" + p.host + " port=" + std::to_string(p.port)
                                 + " user=" + p.user + " dbname=" + dbname
                                 + " sslmode=disable application_name=bfm-e2e-test";
    conn_ = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
        const std::string message = PQerrorMessage(conn_);
        PQfinish(conn_);
        throw std::runtime_error("connecting to " + dbname + " failed: " + message);
    }
}

pg_session::~pg_session() {
    PQfinish(conn_);
}

std::vector<std::vector<std::string>> pg_session::rows(const std::string& sql) {
    std::unique_ptr<PGresult, void (*)(PGresult*)> res(PQexec(conn_, sql.c_str()), &PQclear);
    const auto st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        throw std::runtime_error("SQL failed: " + std::string(PQresultErrorMessage(res.get()))
                                 + " in: " + sql.substr(0, 300));
    }
    std::vector<std::vector<std::string>> out;
    for (int r = 0; r < PQntuples(res.get()); ++r) {
        std::vector<std::string> row;
        for (int c = 0; c < PQnfields(res.get()); ++c)
            row.emplace_back(PQgetvalue(res.get(), r, c));
        out.push_back(std::move(row));
    }
    return out;
}

std::string pg_session::query(const std::string& sql) {
    auto all = rows(sql);
    if (all.empty() || all.front().empty()) return {};
    return all.front().front();
}

std::string sql_text_array(const std::vector<std::string>& names) {
    std::string out = "ARRAY[";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += ",";
        out += quoted(names[i]);
    }
    return out + "]::text[]";
}

void expect_applied_exactly_once(const std::string& state_db, const std::string& app_db,
                                 const std::vector<std::string>& schemas,
                                 const std::vector<std::string>& migration_ids) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string n = std::to_string(schemas.size());
    const std::string conn = quoted(fleet_connection);
    // Every expected (schema, migration) pair against what a table holds for it: the pairs whose
    // count is not exactly 1, and rows for pairs nobody asked for.
    const std::string expected =
        "WITH expected AS (SELECT s AS schema, m AS migration_id FROM unnest("
        + sql_text_array(schemas) + ") s, unnest(" + sql_text_array(migration_ids) + ") m), ";
    auto not_once = [&](const std::string& counted) {
        return expected + "got AS (" + counted
               + "), bad AS (SELECT schema, migration_id, coalesce(g.c, 0) AS c FROM expected e"
                 " FULL JOIN got g USING (schema, migration_id)"
                 " WHERE coalesce(g.c, 0) <> 1 OR e.schema IS NULL ORDER BY 1, 2)"
                 " SELECT count(*) || ' pair(s): ' || coalesce(left(string_agg(schema || '/' ||"
                 " migration_id || ' x' || c, ', '), 1500), '') FROM bad";
    };
    const std::string none = "0 pair(s): ";

    pg_session state(state_db);
    EXPECT_EQ(state.query(not_once("SELECT schema, migration_id, count(*) AS c FROM bfm_migrations"
                                   " WHERE connection = "
                                   + conn + " AND status = 'applied' GROUP BY 1, 2")),
              none)
        << "bfm_migrations: (schema, migration) pairs without exactly one applied row";
    EXPECT_EQ(state.query("SELECT count(*) || ': ' || coalesce(left(string_agg(schema || '/' ||"
                          " migration_id || '=' || status, ', '), 1500), '') FROM bfm_migrations"
                          " WHERE connection = "
                          + conn + " AND status <> 'applied'"),
              "0: ")
        << "bfm_migrations: rows not applied";
    EXPECT_EQ(
        state.query(not_once(
            "SELECT schema, migration_id, count(*) AS c FROM bfm_history WHERE connection = " + conn
            + " AND status = 'applied' AND action IN ('up', 'reconcile') GROUP BY 1, 2")),
        none)
        << "bfm_history: (schema, migration) pairs without exactly one applied up/reconcile row";
    // A failed attempt that tripped over what the migration itself creates was a second
    // application (rolled back, but it ran).
    EXPECT_EQ(state.query("SELECT count(*) || ': ' || coalesce(left(string_agg(schema || '/' ||"
                          " migration_id || ': ' || coalesce(error_message, ''), ' | '), 2000), '')"
                          " FROM bfm_history WHERE connection = "
                          + conn
                          + " AND status <> 'applied' AND error_message ~* "
                            "'(already exists|duplicate key|42P07|42701|23505)'"),
              "0: ")
        << "bfm_history: failed attempts that were second applications";
    const auto other_failures = state.query(
        "SELECT count(*) || ': ' || coalesce(left(string_agg(schema || '/' || migration_id || ': '"
        " || coalesce(error_message, ''), ' | '), 2000), '') FROM bfm_history WHERE connection = "
        + conn + " AND status <> 'applied' AND action <> 'skip'");
    if (other_failures != "0: ") {
        std::cout << "[ note ] failed attempts in bfm_history (not double applications): "
                  << other_failures << "\n";
    }

    pg_session app(app_db);
    EXPECT_EQ(app.query(not_once("SELECT schema, migration_id, count(*) AS c FROM bfm.ledger"
                                 " GROUP BY 1, 2")),
              none)
        << "bfm.ledger: (schema, migration) pairs without exactly one row";

    // The objects themselves.
    const std::string in_schemas = " = ANY (" + sql_text_array(schemas) + ")";
    EXPECT_EQ(app.query("SELECT count(*) FROM pg_tables WHERE tablename IN ('accounts', 'audit')"
                        " AND schemaname"
                        + in_schemas),
              std::to_string(2 * schemas.size()))
        << "tables accounts and audit in every tenant";
    EXPECT_EQ(
        app.query("SELECT count(*) FROM pg_indexes WHERE indexname = 'accounts_name_lower_idx'"
                  " AND schemaname"
                  + in_schemas),
        n)
        << "index accounts_name_lower_idx in every tenant";
    EXPECT_EQ(app.query("SELECT count(*) FROM information_schema.columns WHERE table_name ="
                        " 'accounts' AND column_name = 'tier' AND is_nullable = 'NO' AND"
                        " column_default LIKE '''free''%' AND table_schema"
                        + in_schemas),
              n)
        << "column accounts.tier NOT NULL DEFAULT 'free' in every tenant";
    std::string counts;
    for (const auto& s : schemas) {
        if (!counts.empty()) counts += " UNION ALL ";
        const std::string q = "\"" + s + "\".";
        counts += "SELECT " + quoted(s) + " AS s, (SELECT count(*) FROM " + q
                  + "accounts) AS a, (SELECT count(*) FROM " + q
                  + "accounts WHERE tier = 'free') AS f, (SELECT count(*) FROM " + q
                  + "audit) AS u, (SELECT count(DISTINCT what) FROM " + q + "audit) AS d";
    }
    EXPECT_EQ(
        app.query("SELECT count(*) || ': ' || coalesce(left(string_agg(s || ' accounts=' || a"
                  " || ' free=' || f || ' audit=' || u || ' distinct=' || d, ', '), 1500), '')"
                  " FROM ("
                  + counts + ") x WHERE a <> 2 OR f <> 2 OR u <> "
                  + std::to_string(migration_ids.size()) + " OR d <> "
                  + std::to_string(migration_ids.size())),
        "0: ")
        << "tenants whose backfill or audit rows are not exactly once";
    std::cout << "[ check ] exactly-once checks of " << schemas.size() << " tenants took "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0)
                     .count()
              << " ms\n";
}

std::vector<target_row> job_targets(const std::string& state_db, const std::string& job_id) {
    pg_session state(state_db);
    std::string id_literal = "'";
    for (char c : job_id) {
        if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == '-')) {
            throw std::invalid_argument("not a job ID: " + job_id);
        }
        id_literal += c;
    }
    id_literal += "'";
    std::vector<target_row> out;
    for (const auto& r : state.rows("SELECT seq, schema, status, coalesce(claimed_by, ''), attempts"
                                    " FROM bfm_job_targets WHERE job_id = "
                                    + id_literal + " ORDER BY seq")) {
        target_row t;
        t.seq = std::stoi(r[0]);
        t.schema = r[1];
        t.status = r[2];
        t.claimed_by = r[3];
        t.attempts = std::stoi(r[4]);
        out.push_back(std::move(t));
    }
    return out;
}

std::vector<std::string> prepare_fleet(const std::string& state_db, const std::string& app_db,
                                       const std::filesystem::path& root) {
    const auto t0 = std::chrono::steady_clock::now();
    create_test_database(state_db);
    create_test_database(app_db);
    auto ids = write_once_only_tree(root);
    std::cout << "[ setup ] databases created in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0)
                     .count()
              << " ms\n";
    return ids;
}

}  // namespace bfm::test
