// Convention D (SPEC 1.1, 1.2): an upstream `.go` metadata stub beside its up and down
// scripts. Part 1 of the input is the stub; part 2 (after a NUL byte), when present, replaces
// the up script.

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::vector<std::string> parts = bfm::fuzz::split_input(data, size, 2);
    const std::string up = parts.size() >= 2 ? parts[1] : "CREATE TABLE t (id int);\n";
    const std::string dir = "postgresql/core/";
    const std::string stem = "20250115000000_bootstrap_solution";
    bfm::fuzz::load_and_check({
        {dir + stem + ".go", parts[0]},
        {dir + stem + ".up.sql", up},
        {dir + stem + ".down.sql", "DROP TABLE t;\n"},
    });
    // A stub alone, without scripts, must be an error or ignored, never a crash.
    bfm::fuzz::load_and_check({{dir + stem + ".go", parts[0]}});
    return 0;
}
