#pragma once
// The PostgreSQL server the integration and e2e tiers talk to: started on loopback by
// scripts/test.sh, which exports BFM_TEST_PG_HOST / _PORT / _USER. Each test suite creates its
// own database so suites never see each other's objects.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "backends/postgresql/pg_connection.hpp"

namespace bfm::test {

// Connection parameters for `dbname` on the test server. Fails the current test (it does not
// skip it) when the environment is missing, so a CI run without a server cannot pass silently.
pg::connect_params pg_params(const std::string& dbname = "postgres");

// Drops (if present) and creates a database; returns its name.
std::string create_test_database(const std::string& name);

// Runs SQL on `dbname` over a synchronous libpq connection (test set-up only).
std::string exec_sql(const std::string& dbname, const std::string& sql);

}  // namespace bfm::test
