#pragma once
// The sfm tree compiled into the binary by the CMake function bfm_embed_sfm() (SPEC 1.3,
// build-time embedding). A binary built without one links src/embedded_none.cpp instead and
// gets an empty list.

#include <vector>

#include "core/loader.hpp"

namespace bfm::core {

std::vector<source_file> embedded_sfm_files();

}  // namespace bfm::core
