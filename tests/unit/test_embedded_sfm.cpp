// A tree compiled into the binary with bfm_embed_sfm() loads exactly like the same tree on disk.

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "core/embedded_sfm.hpp"
#include "core/loader.hpp"

TEST(EmbeddedSfm, EmbeddedExamplesEqualTheTreeOnDisk) {
    const auto embedded = bfm::core::load_migrations(bfm::core::embedded_sfm_files());
    const auto disk =
        bfm::core::load_migrations_from_directory(std::string(BFM_SOURCE_DIR) + "/config/sfm");
    ASSERT_TRUE(embedded.ok()) << embedded.errors.front().to_string();
    ASSERT_TRUE(disk.ok()) << disk.errors.front().to_string();
    ASSERT_FALSE(disk.migrations.empty());
    ASSERT_EQ(embedded.migrations.size(), disk.migrations.size());
    for (std::size_t i = 0; i < disk.migrations.size(); ++i) {
        const auto& e = embedded.migrations[i];
        const auto& d = disk.migrations[i];
        EXPECT_EQ(e.id, d.id);
        EXPECT_EQ(e.checksum, d.checksum) << d.id;
        EXPECT_EQ(e.up_sql, d.up_sql) << d.id;
        EXPECT_EQ(e.down_sql, d.down_sql) << d.id;
        EXPECT_EQ(e.up_path, d.up_path) << d.id;
        EXPECT_EQ(e.schema, d.schema) << d.id;
        EXPECT_EQ(e.dependencies.size(), d.dependencies.size()) << d.id;
    }
}

TEST(EmbeddedSfm, EveryFileIsEmbeddedByteForByte) {
    const std::string root = std::string(BFM_SOURCE_DIR) + "/config/sfm/";
    const auto files = bfm::core::embedded_sfm_files();
    ASSERT_GE(files.size(), 8u);
    for (const auto& f : files) {
        std::ifstream in(root + f.path, std::ios::binary);
        ASSERT_TRUE(in) << f.path;
        const std::string on_disk((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
        EXPECT_EQ(f.content, on_disk) << f.path;
    }
}
