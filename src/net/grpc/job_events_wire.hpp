#pragma once
// WatchJob's messages built from cached bytes. `JobEvents` holds `repeated JobEvent events = 1`,
// and the wire form of a message is the concatenation of its fields, so a batch is each event's
// serialized JobEvent behind a field tag and a length. Each event is serialized once (into
// shared_event::encoded_proto) and reused for every watcher, which is what lets one job feed
// thousands of streams; WatchJob is therefore served as a raw (ByteBuffer) method.

#include <grpcpp/support/byte_buffer.h>

#include <optional>
#include <span>
#include <string>

#include "core/jobs/event_bus.hpp"
#include "migration.pb.h"

namespace bfm::net::grpc_bridge {

// The wire form of JobEvents{events}; serializes events not yet encoded.
std::string encode_job_events(std::span<const core::shared_event_ptr> events);
// The same as the message WatchJob writes, built in place in gRPC's buffer.
grpc::ByteBuffer job_events_message(std::span<const core::shared_event_ptr> events);
// The same for one message built here (the snapshot).
std::string encode_job_events(const migration::JobEvent& event);

grpc::ByteBuffer to_byte_buffer(const std::string& bytes);
// The message in `buffer`; nullopt when it does not parse as one.
std::optional<migration::WatchJobRequest> parse_watch_request(const grpc::ByteBuffer& buffer);

}  // namespace bfm::net::grpc_bridge
