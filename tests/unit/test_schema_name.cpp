#include <gtest/gtest.h>

#include "core/schema_name.hpp"

namespace bfm::core {
namespace {

class ValidSchemaName : public testing::TestWithParam<std::string> {};

TEST_P(ValidSchemaName, Accepted) {
    EXPECT_EQ(validate_schema_name(GetParam()), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(Names, ValidSchemaName,
                         testing::Values("core", "cli_e1", "_private", "A", "Tenant_42",
                                         std::string(63, 'a'), "_" + std::string(62, '9')));

struct invalid_case {
    std::string name;
    std::string shown;  // how the message must show the value
};

// gtest prints parameters of failed tests with this.
void PrintTo(const invalid_case& c, std::ostream* os) {
    *os << c.shown;
}

class InvalidSchemaName : public testing::TestWithParam<invalid_case> {};

TEST_P(InvalidSchemaName, RejectedWithTheValueAndTheRule) {
    const auto message = validate_schema_name(GetParam().name);
    ASSERT_TRUE(message.has_value());
    EXPECT_NE(message->find("schema name " + GetParam().shown + " is invalid"), std::string::npos)
        << *message;
    EXPECT_NE(message->find("letter or underscore"), std::string::npos) << *message;
    EXPECT_NE(message->find("63"), std::string::npos) << *message;
}

INSTANTIATE_TEST_SUITE_P(
    Names, InvalidSchemaName,
    testing::Values(invalid_case{"x; drop table y", "\"x; drop table y\""},
                    invalid_case{"a\"b", "\"a\\\"b\""}, invalid_case{"", "\"\""},
                    invalid_case{"1abc", "\"1abc\""}, invalid_case{"cli-e1", "\"cli-e1\""},
                    invalid_case{"a b", "\"a b\""},
                    invalid_case{"caf\xc3\xa9", "\"caf\\xc3\\xa9\""},
                    invalid_case{"a\nb", "\"a\\x0ab\""},
                    invalid_case{"a\x1b[31m", "\"a\\x1b[31m\""},
                    invalid_case{std::string(64, 'a'), "\"" + std::string(64, 'a') + "\""}));

TEST(SchemaName, MessageContainsNoRawControlCharacters) {
    const auto message = validate_schema_name(std::string("bad\r\n\0name", 10));
    ASSERT_TRUE(message.has_value());
    for (char c : *message) {
        EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20) << "control character in " << *message;
    }
}

TEST(SchemaName, HugeValueIsCutInTheMessage) {
    const auto message = validate_schema_name(std::string(100000, 'x'));
    ASSERT_TRUE(message.has_value());
    EXPECT_LT(message->size(), 400u);
    EXPECT_NE(message->find("100000 characters"), std::string::npos) << *message;
}

}  // namespace
}  // namespace bfm::core
