#include <gtest/gtest.h>

#include "core/checksum.hpp"

namespace bfm::core {
namespace {

// Expected digests computed with `printf '...' | sha256sum`.
TEST(Sha256Hex, KnownVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ChecksumV1, KnownScript) {
    EXPECT_EQ(checksum_v1("CREATE TABLE users (id int);\n"),
              "v1:537129faaa4be351bd58fa07b80cf56476785f89e597a6820328d2c49ac6ae05");
}

struct equivalent_case {
    const char* label;
    std::string a;
    std::string b;
};

// gtest prints parameters of failed tests with this.
void PrintTo(const equivalent_case& c, std::ostream* os) {
    *os << c.label;
}

class ChecksumEquivalent : public testing::TestWithParam<equivalent_case> {};

TEST_P(ChecksumEquivalent, SameChecksum) {
    EXPECT_EQ(checksum_v1(GetParam().a), checksum_v1(GetParam().b)) << GetParam().label;
}

INSTANTIATE_TEST_SUITE_P(
    Normalisation, ChecksumEquivalent,
    testing::Values(equivalent_case{"crlf", "CREATE TABLE users (id int);\r\n",
                                    "CREATE TABLE users (id int);\n"},
                    equivalent_case{"lone cr", "a;\rb;\r", "a;\nb;\n"},
                    equivalent_case{"mixed endings", "a;\r\nb;\rc;\n", "a;\nb;\nc;\n"},
                    equivalent_case{"trailing spaces", "a;   \nb;\t \n", "a;\nb;\n"},
                    equivalent_case{"trailing blanks before crlf", "a; \t\r\nb;", "a;\nb;"},
                    equivalent_case{"blank line of spaces", "a;\n   \nb;\n", "a;\n\nb;\n"},
                    equivalent_case{"trailing blanks at end", "a;  ", "a;"}),
    [](const auto& p) {
        std::string name = p.param.label;
        for (char& c : name) {
            if (c == ' ') c = '_';
        }
        return name;
    });

TEST(ChecksumV1, CrlfScriptHasTheLfDigest) {
    EXPECT_EQ(checksum_v1("CREATE TABLE users (id int);  \r\n"),
              "v1:537129faaa4be351bd58fa07b80cf56476785f89e597a6820328d2c49ac6ae05");
}

struct different_case {
    const char* label;
    std::string a;
    std::string b;
};

// gtest prints parameters of failed tests with this.
void PrintTo(const different_case& c, std::ostream* os) {
    *os << c.label;
}

class ChecksumDifferent : public testing::TestWithParam<different_case> {};

TEST_P(ChecksumDifferent, DifferentChecksum) {
    EXPECT_NE(checksum_v1(GetParam().a), checksum_v1(GetParam().b)) << GetParam().label;
}

INSTANTIATE_TEST_SUITE_P(Sensitivity, ChecksumDifferent,
                         testing::Values(different_case{"content", "a;\n", "b;\n"},
                                         different_case{"leading spaces", "  a;\n", "a;\n"},
                                         different_case{"final newline", "a;\n", "a;"},
                                         different_case{"inner spaces", "a b;\n", "a  b;\n"}));

TEST(ChecksumV1, HasVersionTagAndHexDigest) {
    const std::string sum = checksum_v1("SELECT 1;");
    ASSERT_EQ(sum.size(), 3u + 64u);
    EXPECT_EQ(sum.substr(0, 3), "v1:");
    EXPECT_EQ(sum.find_first_not_of("0123456789abcdef", 3), std::string::npos);
}

}  // namespace
}  // namespace bfm::core
