// Token file parsing, token tables and the role order (net/auth.hpp).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "net/auth.hpp"
#include "net/route_roles.hpp"

namespace {

using bfm::net::allows;
using bfm::net::authenticate;
using bfm::net::authenticate_bearer;
using bfm::net::load_token_table;
using bfm::net::parse_role;
using bfm::net::parse_token_file;
using bfm::net::role;
using bfm::net::token_table;

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

TEST(AuthRoles, RoleOrder) {
    EXPECT_TRUE(allows(role::admin, role::admin));
    EXPECT_TRUE(allows(role::admin, role::operator_));
    EXPECT_TRUE(allows(role::admin, role::viewer));
    EXPECT_FALSE(allows(role::operator_, role::admin));
    EXPECT_TRUE(allows(role::operator_, role::operator_));
    EXPECT_TRUE(allows(role::operator_, role::viewer));
    EXPECT_FALSE(allows(role::viewer, role::admin));
    EXPECT_FALSE(allows(role::viewer, role::operator_));
    EXPECT_TRUE(allows(role::viewer, role::viewer));
}

TEST(AuthRoles, ParseRole) {
    EXPECT_EQ(parse_role("admin"), role::admin);
    EXPECT_EQ(parse_role("Operator"), role::operator_);
    EXPECT_EQ(parse_role("VIEWER"), role::viewer);
    EXPECT_EQ(parse_role("root"), std::nullopt);
    EXPECT_EQ(parse_role(""), std::nullopt);
    EXPECT_EQ(parse_role("operator_"), std::nullopt);
}

TEST(AuthRoles, TokenFileParsesRolesCommentsAndBlankLines) {
    const auto parsed = parse_token_file(
        "# bfm tokens\n"
        "\n"
        "admin   adm-token-0001\n"
        "  operator\top-token-0002  \r\n"
        "viewer view-token-0003\n"
        "   # indented comment\n",
        "tokens");
    ASSERT_TRUE(parsed.ok()) << parsed.errors.front();
    ASSERT_EQ(parsed.entries.size(), 3u);
    EXPECT_EQ(parsed.entries[0].granted, role::admin);
    EXPECT_EQ(parsed.entries[0].token, "adm-token-0001");
    EXPECT_EQ(parsed.entries[0].line, 3);
    EXPECT_EQ(parsed.entries[1].granted, role::operator_);
    EXPECT_EQ(parsed.entries[1].token, "op-token-0002");
    EXPECT_EQ(parsed.entries[2].granted, role::viewer);
    EXPECT_EQ(parsed.entries[2].line, 5);
}

TEST(AuthRoles, TokenFileRefusesUnknownRoleNamingTheLine) {
    const auto parsed = parse_token_file("admin a-token\nsuperuser s3cret-token\n", "t.txt");
    ASSERT_EQ(parsed.errors.size(), 1u);
    EXPECT_TRUE(contains(parsed.errors[0], "t.txt:2:")) << parsed.errors[0];
    EXPECT_TRUE(contains(parsed.errors[0], "unknown role 'superuser'")) << parsed.errors[0];
    EXPECT_FALSE(contains(parsed.errors[0], "s3cret-token"));
}

TEST(AuthRoles, TokenFileRefusesEmptyTokenAndExtraFields) {
    const auto parsed = parse_token_file("viewer\nadmin secret-a secret-b\n", "t");
    ASSERT_EQ(parsed.errors.size(), 2u);
    EXPECT_TRUE(contains(parsed.errors[0], "t:1: empty token for role viewer")) << parsed.errors[0];
    EXPECT_TRUE(contains(parsed.errors[1], "t:2: expected '<role> <token>'")) << parsed.errors[1];
    EXPECT_FALSE(contains(parsed.errors[1], "secret-"));
}

TEST(AuthRoles, TokenFileRefusesDuplicateTokensWithoutEchoingThem) {
    const auto parsed =
        parse_token_file("viewer same-token-99\noperator other\nadmin same-token-99\n", "t");
    ASSERT_EQ(parsed.errors.size(), 1u);
    EXPECT_TRUE(contains(parsed.errors[0], "t:3: duplicate token")) << parsed.errors[0];
    EXPECT_FALSE(contains(parsed.errors[0], "same-token-99"));
}

TEST(AuthRoles, TableFindsEveryRoleAndRejectsOthers) {
    token_table table;
    ASSERT_TRUE(table.add("a-token", role::admin));
    ASSERT_TRUE(table.add("o-token", role::operator_));
    ASSERT_TRUE(table.add("v-token", role::viewer));
    EXPECT_FALSE(table.add("v-token", role::admin));  // duplicate
    EXPECT_FALSE(table.add("", role::viewer));        // empty
    EXPECT_EQ(table.size(), 3u);
    EXPECT_EQ(table.find("a-token"), role::admin);
    EXPECT_EQ(table.find("o-token"), role::operator_);
    EXPECT_EQ(table.find("v-token"), role::viewer);
    EXPECT_EQ(table.find("v-toke"), std::nullopt);
    EXPECT_EQ(table.find("v-token "), std::nullopt);
    EXPECT_EQ(table.find(""), std::nullopt);
}

TEST(AuthRoles, AuthenticateReadsTheBearerHeader) {
    token_table table;
    table.add("a-token", role::admin);
    table.add("v-token", role::viewer);
    EXPECT_EQ(authenticate(std::string_view("Bearer v-token"), table), role::viewer);
    EXPECT_EQ(authenticate(std::string_view("bearer a-token"), table), role::admin);
    EXPECT_EQ(authenticate(std::string_view("Bearer x-token"), table), std::nullopt);
    EXPECT_EQ(authenticate(std::nullopt, table), std::nullopt);
    EXPECT_EQ(authenticate_bearer(std::nullopt, table).failure, "missing Authorization header");
    EXPECT_EQ(authenticate_bearer(std::string_view("Basic v-token"), table).failure,
              "authorization header must use Bearer scheme");
    EXPECT_EQ(authenticate_bearer(std::string_view("Bearer nope"), table).failure,
              "invalid API token");
    EXPECT_EQ(authenticate_bearer(std::string_view("Bearer v-token"), token_table{}).failure,
              "BFM_API_TOKEN not configured");
}

class TokenFileOnDisk : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = std::filesystem::temp_directory_path()
                / ("bfm-tokens-" + std::to_string(::getpid()) + ".txt");
    }
    void TearDown() override { std::filesystem::remove(path_); }
    void write(const std::string& text, mode_t mode) {
        std::ofstream(path_) << text;
        ::chmod(path_.c_str(), mode);
    }
    bfm::core::app_config config() const {
        bfm::core::app_config c;
        c.api_token = "main-admin-token";
        c.api_tokens_file = path_.string();
        return c;
    }
    std::filesystem::path path_;
};

TEST_F(TokenFileOnDisk, LoadsFileTokensBesideTheAdminToken) {
    write("viewer view-1\noperator op-1\n", 0600);
    const auto loaded = load_token_table(config());
    ASSERT_TRUE(loaded.ok()) << loaded.errors.front();
    EXPECT_TRUE(loaded.warnings.empty());
    EXPECT_EQ(loaded.table.size(), 3u);
    EXPECT_EQ(loaded.table.find("main-admin-token"), role::admin);
    EXPECT_EQ(loaded.table.find("view-1"), role::viewer);
    EXPECT_EQ(loaded.table.find("op-1"), role::operator_);
}

TEST_F(TokenFileOnDisk, WarnsWhenOthersMayReadIt) {
    write("viewer view-1\n", 0644);
    const auto loaded = load_token_table(config());
    ASSERT_TRUE(loaded.ok());
    ASSERT_EQ(loaded.warnings.size(), 1u);
    EXPECT_TRUE(contains(loaded.warnings[0], "mode 0644")) << loaded.warnings[0];
}

TEST_F(TokenFileOnDisk, TokenEqualToTheAdminTokenIsADuplicate) {
    write("viewer main-admin-token\n", 0600);
    const auto loaded = load_token_table(config());
    ASSERT_EQ(loaded.errors.size(), 1u);
    EXPECT_TRUE(contains(loaded.errors[0], ":1: duplicate token")) << loaded.errors[0];
    EXPECT_FALSE(contains(loaded.errors[0], "main-admin-token"));
}

TEST_F(TokenFileOnDisk, MissingFileIsAnErrorNamingTheVariable) {
    const auto loaded = load_token_table(config());
    ASSERT_EQ(loaded.errors.size(), 1u);
    EXPECT_TRUE(contains(loaded.errors[0], "BFM_API_TOKENS_FILE=")) << loaded.errors[0];
}

TEST(AuthRoles, NoFileMeansOnlyTheAdminToken) {
    bfm::core::app_config c;
    c.api_token = "only-admin";
    const auto loaded = load_token_table(c);
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded.table.size(), 1u);
    EXPECT_EQ(loaded.table.find("only-admin"), role::admin);
}

}  // namespace

namespace {

TEST(AuthRoles, JobKindsNeedOperatorOrAdmin) {
    using bfm::core::job_kind;
    using bfm::net::required_role;
    EXPECT_EQ(required_role(job_kind::up), role::operator_);
    EXPECT_EQ(required_role(job_kind::down), role::operator_);
    EXPECT_EQ(required_role(job_kind::rollback), role::operator_);
    EXPECT_EQ(required_role(job_kind::baseline), role::admin);
    EXPECT_EQ(required_role(job_kind::force), role::admin);
    EXPECT_EQ(required_role(job_kind::repair), role::admin);
}

}  // namespace
