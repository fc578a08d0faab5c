#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "core/uuid.hpp"

namespace {

TEST(UuidV7, IsWellFormedVersion7) {
    const std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
    for (int i = 0; i < 100; ++i) {
        const std::string id = bfm::core::make_uuid_v7();
        EXPECT_TRUE(std::regex_match(id, shape)) << id;
    }
}

TEST(UuidV7, SortsInCreationOrderEvenWithinOneMillisecond) {
    // Far more than fit in one millisecond's randomness: order must come from the counter.
    std::vector<std::string> ids;
    for (int i = 0; i < 20000; ++i) ids.push_back(bfm::core::make_uuid_v7());
    for (std::size_t i = 1; i < ids.size(); ++i) {
        ASSERT_LT(ids[i - 1], ids[i]) << "at " << i;
    }
}

}  // namespace
