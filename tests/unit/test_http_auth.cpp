#include <gtest/gtest.h>

#include <string>

#include "net/auth.hpp"

namespace {

using bfm::net::check_bearer;
using bfm::net::constant_time_equals;

constexpr std::string_view token = "s3cret-token-0123456789";

TEST(HttpAuth, ConstantTimeEqualsAcceptsEqualSecrets) {
    EXPECT_TRUE(constant_time_equals("abc", "abc"));
    EXPECT_TRUE(constant_time_equals("", ""));
    EXPECT_TRUE(constant_time_equals(token, std::string(token)));
}

TEST(HttpAuth, ConstantTimeEqualsRejectsDifferentSecrets) {
    EXPECT_FALSE(constant_time_equals("abc", "abd"));
    EXPECT_FALSE(constant_time_equals("abc", "xbc"));
    EXPECT_FALSE(constant_time_equals("abc", ""));
}

TEST(HttpAuth, ConstantTimeEqualsRejectsPrefixAndLonger) {
    EXPECT_FALSE(constant_time_equals("s3cret", token));                   // prefix
    EXPECT_FALSE(constant_time_equals(std::string(token) + "x", token));   // longer
    EXPECT_FALSE(constant_time_equals(token, std::string(token) + '\0'));  // embedded NUL
}

TEST(HttpAuth, MissingHeader) {
    EXPECT_EQ(check_bearer(std::nullopt, token), "missing Authorization header");
    EXPECT_EQ(check_bearer(std::string_view(""), token), "missing Authorization header");
}

TEST(HttpAuth, HeaderWithoutSpaceIsInvalidFormat) {
    EXPECT_EQ(check_bearer(std::string_view("Bearer"), token),
              "invalid Authorization header format");
    EXPECT_EQ(check_bearer(std::string_view("s3cret-token-0123456789"), token),
              "invalid Authorization header format");
}

TEST(HttpAuth, NonBearerScheme) {
    EXPECT_EQ(check_bearer(std::string_view("Basic dXNlcjpwYXNz"), token),
              "authorization header must use Bearer scheme");
    EXPECT_EQ(check_bearer(std::string_view("Token s3cret-token-0123456789"), token),
              "authorization header must use Bearer scheme");
}

TEST(HttpAuth, WrongToken) {
    EXPECT_EQ(check_bearer(std::string_view("Bearer wrong"), token), "invalid API token");
    EXPECT_EQ(check_bearer(std::string_view("Bearer "), token), "invalid API token");
    EXPECT_EQ(check_bearer(std::string_view("Bearer s3cret-token-012345678"), token),
              "invalid API token");
    // The token is everything after the first space: an extra space is part of it.
    EXPECT_EQ(check_bearer(std::string_view("Bearer  s3cret-token-0123456789"), token),
              "invalid API token");
}

TEST(HttpAuth, SchemeIsCaseInsensitive) {
    EXPECT_EQ(check_bearer(std::string_view("Bearer s3cret-token-0123456789"), token),
              std::nullopt);
    EXPECT_EQ(check_bearer(std::string_view("bearer s3cret-token-0123456789"), token),
              std::nullopt);
    EXPECT_EQ(check_bearer(std::string_view("BEARER s3cret-token-0123456789"), token),
              std::nullopt);
}

TEST(HttpAuth, EmptyConfiguredTokenNeverAuthorises) {
    EXPECT_EQ(check_bearer(std::string_view("Bearer "), ""), "BFM_API_TOKEN not configured");
    EXPECT_EQ(check_bearer(std::string_view("Bearer x"), ""), "BFM_API_TOKEN not configured");
}

}  // namespace
