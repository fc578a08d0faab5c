#pragma once
#include <string>

namespace bfm::core {

// A random, time-sortable UUID version 7 (RFC 9562) in canonical text form. Used for attempt
// and job IDs so that sorting by ID sorts by creation time.
std::string make_uuid_v7();

}  // namespace bfm::core
