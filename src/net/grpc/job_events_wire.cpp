#include "net/grpc/job_events_wire.hpp"

#include <grpc/slice.h>

#include <algorithm>
#include <vector>

#include "net/grpc/proto_convert.hpp"

namespace bfm::net::grpc_bridge {

namespace {

constexpr char events_tag = (1 << 3) | 2;  // field 1, wire type 2 (length-delimited)

std::size_t varint_size(std::size_t n) {
    std::size_t size = 1;
    for (; n >= 0x80; n >>= 7) ++size;
    return size;
}

// Field 1 of JobEvents: the tag, the length as a varint, then the bytes; returns the end.
char* put_events_field(char* out, const std::string& event_bytes) {
    *out++ = events_tag;
    std::size_t n = event_bytes.size();
    for (; n >= 0x80; n >>= 7) *out++ = static_cast<char>((n & 0x7f) | 0x80);
    *out++ = static_cast<char>(n);
    return std::copy(event_bytes.begin(), event_bytes.end(), out);
}

// Serializes the events not yet encoded; the size of JobEvents{events} on the wire.
std::size_t encode_each(std::span<const core::shared_event_ptr> events) {
    std::size_t size = 0;
    migration::JobEvent message;
    for (const core::shared_event_ptr& shared : events) {
        if (shared->encoded_proto.empty()) {
            message.Clear();
            to_proto(shared->event, message);
            shared->encoded_proto = message.SerializeAsString();
        }
        const std::size_t n = shared->encoded_proto.size();
        size += 1 + varint_size(n) + n;
    }
    return size;
}

void put_events(std::span<const core::shared_event_ptr> events, char* out) {
    for (const core::shared_event_ptr& shared : events) {
        out = put_events_field(out, shared->encoded_proto);
    }
}

}  // namespace

std::string encode_job_events(std::span<const core::shared_event_ptr> events) {
    std::string out(encode_each(events), '\0');
    put_events(events, out.data());
    return out;
}

grpc::ByteBuffer job_events_message(std::span<const core::shared_event_ptr> events) {
    // Written straight into the slice gRPC sends: no intermediate string to copy.
    grpc_slice slice = grpc_slice_malloc(encode_each(events));
    put_events(events, reinterpret_cast<char*>(GRPC_SLICE_START_PTR(slice)));
    grpc::Slice owned(slice, grpc::Slice::STEAL_REF);
    return grpc::ByteBuffer(&owned, 1);
}

std::string encode_job_events(const migration::JobEvent& event) {
    const std::string event_bytes = event.SerializeAsString();
    std::string out(1 + varint_size(event_bytes.size()) + event_bytes.size(), '\0');
    put_events_field(out.data(), event_bytes);
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
