#pragma once
// Helpers shared by the loader tests: readable error lists, and table-driven "this tree gives
// exactly one error at file:line" cases.

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "core/loader.hpp"

namespace bfm::core {

inline std::string describe(const load_result& r) {
    std::string out;
    for (const load_error& e : r.errors) out += "\n  " + e.to_string();
    return out;
}

struct load_error_case {
    const char* label;
    std::vector<source_file> files;
    std::string file;
    int line;
    std::string contains;
};

inline void PrintTo(const load_error_case& c, std::ostream* os) {
    *os << c.label;
}

inline void expect_single_load_error(const load_error_case& c) {
    const auto r = load_migrations(c.files);
    EXPECT_TRUE(r.migrations.empty());
    ASSERT_EQ(r.errors.size(), 1u) << describe(r);
    EXPECT_EQ(r.errors[0].file, c.file);
    EXPECT_EQ(r.errors[0].line, c.line) << describe(r);
    EXPECT_NE(r.errors[0].message.find(c.contains), std::string::npos) << r.errors[0].message;
}

}  // namespace bfm::core
