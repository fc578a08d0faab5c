#include "net/grpc/job_events_wire.hpp"

#include <vector>

#include "net/grpc/proto_convert.hpp"

namespace bfm::net::grpc_bridge {

namespace {

// Field 1, wire type 2 (length-delimited), then the length as a varint, then the bytes.
void append_events_field(std::string& out, const std::string& event_bytes) {
    constexpr char events_tag = (1 << 3) | 2;
    out.push_back(events_tag);
    std::size_t n = event_bytes.size();
    while (n >= 0x80) {
        out.push_back(static_cast<char>((n & 0x7f) | 0x80));
        n >>= 7;
    }
    out.push_back(static_cast<char>(n));
    out.append(event_bytes);
}

}  // namespace

std::string encode_job_events(std::span<const core::shared_event_ptr> events) {
    std::string out;
    migration::JobEvent message;
    for (const core::shared_event_ptr& shared : events) {
        if (shared->encoded_proto.empty()) {
            message.Clear();
            to_proto(shared->event, message);
            shared->encoded_proto = message.SerializeAsString();
        }
        append_events_field(out, shared->encoded_proto);
    }
    return out;
}

std::string encode_job_events(const migration::JobEvent& event) {
    std::string out;
    append_events_field(out, event.SerializeAsString());
    return out;
}

grpc::ByteBuffer to_byte_buffer(const std::string& bytes) {
    grpc::Slice slice(bytes);
    return grpc::ByteBuffer(&slice, 1);
}

std::optional<migration::WatchJobRequest> parse_watch_request(const grpc::ByteBuffer& buffer) {
    std::vector<grpc::Slice> slices;
    if (!buffer.Dump(&slices).ok()) return std::nullopt;
    std::string bytes;
    for (const grpc::Slice& s : slices) {
        bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    migration::WatchJobRequest request;
    if (!request.ParseFromString(bytes)) return std::nullopt;
    return request;
}

}  // namespace bfm::net::grpc_bridge
