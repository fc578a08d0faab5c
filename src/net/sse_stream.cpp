#include "net/sse_stream.hpp"

namespace bfm::net {

std::string sse_event(std::string_view type, std::uint64_t id, std::string_view data) {
    std::string out;
    out.reserve(type.size() + data.size() + 40);
    append_sse_event(out, type, id, data);
    return out;
}

void append_sse_event(std::string& out, std::string_view type, std::uint64_t id,
                      std::string_view data) {
    out.append("event: ").append(type).append("\nid: ").append(std::to_string(id)).append("\n");
    for (;;) {
        const std::size_t eol = data.find('\n');
        out.append("data: ").append(data.substr(0, eol)).append("\n");
        if (eol == std::string_view::npos) break;
        data.remove_prefix(eol + 1);
    }
    out.append("\n");
}

std::string sse_comment(std::string_view text) {
    std::string out(": ");
    out.append(text).append("\n\n");
    return out;
}

}  // namespace bfm::net
