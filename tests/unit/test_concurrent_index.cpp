// Which indexes a script builds concurrently (for INVALID index clean-up).

#include <gtest/gtest.h>

#include "core/concurrent_index.hpp"

namespace {

std::vector<std::string> names(std::string_view script) {
    return bfm::core::concurrent_index_names(bfm::core::split_sql_statements(script));
}

TEST(ConcurrentIndex, FindsTheNamesPostgresWouldUse) {
    EXPECT_EQ(names("CREATE INDEX CONCURRENTLY Orders_Tenant_Idx ON orders (tenant);"),
              std::vector<std::string>{"orders_tenant_idx"});
    EXPECT_EQ(names("create unique index concurrently if not exists u_email on users (email);"),
              std::vector<std::string>{"u_email"});
    EXPECT_EQ(names("CREATE INDEX CONCURRENTLY \"Mixed\"\"Case\" ON t (a);"),
              std::vector<std::string>{"Mixed\"Case"});
    EXPECT_EQ(names("CREATE INDEX CONCURRENTLY app.t_a_idx ON t (a);"),
              std::vector<std::string>{"t_a_idx"});
    EXPECT_EQ(names("-- bfm:transaction off\n\nCREATE /* c */ INDEX\n CONCURRENTLY a ON t (a);"
                    "CREATE INDEX CONCURRENTLY b ON t (b);"),
              (std::vector<std::string>{"a", "b"}));
}

TEST(ConcurrentIndex, IgnoresEverythingElse) {
    EXPECT_TRUE(names("CREATE INDEX a ON t (a); CREATE TABLE concurrently (id int);").empty());
    EXPECT_TRUE(names("CREATE INDEX CONCURRENTLY ON t (a);").empty());  // unnamed: nothing to drop
    EXPECT_TRUE(names("SELECT 'CREATE INDEX CONCURRENTLY x ON t (a)';").empty());
    EXPECT_TRUE(names("DROP INDEX CONCURRENTLY x;").empty());
}

}  // namespace
