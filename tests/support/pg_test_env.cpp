#include "support/pg_test_env.hpp"

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>

namespace bfm::test {
namespace {

std::string env_or_fail(const char* name, const char* fallback) {
    if (const char* v = std::getenv(name); v && *v) return v;
    if (fallback) return fallback;
    ADD_FAILURE() << name << " is not set: run the suite through scripts/test.sh, which starts "
                  << "a PostgreSQL server and exports it";
    throw std::runtime_error(std::string(name) + " is not set");
}

}  // namespace

pg::connect_params pg_params(const std::string& dbname) {
    pg::connect_params p;
    p.host = env_or_fail("BFM_TEST_PG_HOST", "127.0.0.1");
    p.port = static_cast<std::uint16_t>(std::stoi(env_or_fail("BFM_TEST_PG_PORT", nullptr)));
    p.user = env_or_fail("BFM_TEST_PG_USER", "postgres");
    p.dbname = dbname;
    p.sslmode = "disable";
    p.connect_timeout = std::chrono::seconds(5);
    return p;
}

std::string exec_sql(const std::string& dbname, const std::string& sql) {
    const auto p = pg_params(dbname);
    const std::string conninfo = "host=" + p.host + " port=" + std::to_string(p.port)
                                 + " user=" + p.user + " dbname=" + dbname + " sslmode=disable";
    std::unique_ptr<PGconn, void (*)(PGconn*)> conn(PQconnectdb(conninfo.c_str()), &PQfinish);
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        throw std::runtime_error("test set-up connect failed: "
                                 + std::string(PQerrorMessage(conn.get())));
    }
    std::unique_ptr<PGresult, void (*)(PGresult*)> res(PQexec(conn.get(), sql.c_str()), &PQclear);
    const auto st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        throw std::runtime_error("test set-up SQL failed: "
                                 + std::string(PQresultErrorMessage(res.get())) + " in: " + sql);
    }
    if (st == PGRES_TUPLES_OK && PQntuples(res.get()) > 0) return PQgetvalue(res.get(), 0, 0);
    return {};
}

std::string create_test_database(const std::string& name) {
    exec_sql("postgres", "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    exec_sql("postgres", "CREATE DATABASE " + name);
    return name;
}

}  // namespace bfm::test
