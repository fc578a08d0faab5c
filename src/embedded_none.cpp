// A binary without an embedded sfm tree: migrations come from BFM_SFM_PATH.
#include "core/embedded_sfm.hpp"

namespace bfm::core {

std::vector<source_file> embedded_sfm_files() { return {}; }

}  // namespace bfm::core
