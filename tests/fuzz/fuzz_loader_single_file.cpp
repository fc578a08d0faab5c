// Convention C (SPEC 1.1): `{version}_{name}.sql` holding `-- +migrate Up` and
// `-- +migrate Down` sections. The input is that file's content.

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string content(reinterpret_cast<const char*>(data), size);
    bfm::fuzz::load_and_check({{"postgresql/core/20250101120000_single.sql", content}});
    // The same content in a folder nested below the connection (sub-folders are allowed).
    bfm::fuzz::load_and_check({{"mysql/app/2024/7_single.sql", content}});
    return 0;
}
