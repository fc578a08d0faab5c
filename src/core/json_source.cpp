#include "core/json_source.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/stream_parser.hpp>

#include "core/source_lines.hpp"

namespace bfm::core {

namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

std::string_view without_bom(std::string_view text) {
    if (text.starts_with(utf8_bom)) text.remove_prefix(utf8_bom.size());
    return text;
}

bool is_json_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::size_t skip_blanks(std::string_view text, std::size_t pos) {
    while (pos < text.size() && is_json_blank(text[pos])) ++pos;
    return pos;
}

std::size_t skip_string(std::string_view text, std::size_t pos) {
    ++pos;  // opening quote
    while (pos < text.size() && text[pos] != '"') pos += text[pos] == '\\' ? 2 : 1;
    return pos + 1;
}

std::size_t skip_value(std::string_view text, std::size_t pos) {
    if (pos >= text.size()) return pos;
    if (text[pos] == '"') return skip_string(text, pos);
    if (text[pos] == '[' || text[pos] == '{') {
        int depth = 0;
        while (pos < text.size()) {
            const char c = text[pos];
            if (c == '"') {
                pos = skip_string(text, pos);
                continue;
            }
            if (c == '[' || c == '{') ++depth;
            if ((c == ']' || c == '}') && --depth == 0) return pos + 1;
            ++pos;
        }
        return pos;
    }
    while (pos < text.size() && !is_json_blank(text[pos]) && text[pos] != ',' && text[pos] != ']'
           && text[pos] != '}') {
        ++pos;
    }
    return pos;
}

int line_breaks(std::string_view text) {
    int breaks = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) {
            ++breaks;
        }
    }
    return breaks;
}

// Where the parser stops: feeding one byte at a time makes Boost.JSON fail at the byte that is
// wrong (it reports no position itself). Only used after a failed parse.
std::size_t error_offset(std::string_view text) {
    boost::json::stream_parser p;
    boost::system::error_code ec;
    for (std::size_t i = 0; i < text.size(); ++i) {
        p.write(text.data() + i, 1, ec);
        if (ec) return i;
    }
    return text.size();
}

}  // namespace

json_source_parse parse_json_source(std::string_view text) {
    text = without_bom(text);
    json_source_parse r;
    boost::json::stream_parser p;
    boost::system::error_code ec;
    p.write(text.data(), text.size(), ec);
    if (!ec) p.finish(ec);
    if (!ec) {
        r.value = p.release();
        return r;
    }
    const line_column at = position_at(text, error_offset(text));
    r.error_line = at.line;
    r.error = "JSON syntax error at line " + std::to_string(at.line) + ", column "
              + std::to_string(at.column) + ": " + ec.message();
    return r;
}

std::vector<json_member_location> locate_json_members(std::string_view text,
                                                      std::size_t value_offset) {
    text = without_bom(text);
    std::vector<json_member_location> members;
    std::size_t pos = value_offset == 0 ? skip_blanks(text, 0) : value_offset;
    if (pos >= text.size() || (text[pos] != '[' && text[pos] != '{')) return members;
    const bool object = text[pos] == '{';
    // Lines are counted forward from the container, so long scripts stay linear.
    int line = position_at(text, pos).line;
    std::size_t counted = pos;
    pos = skip_blanks(text, pos + 1);
    while (pos < text.size() && text[pos] != ']' && text[pos] != '}') {
        json_member_location m;
        line += line_breaks(text.substr(counted, pos - counted));
        counted = pos;
        m.line = line;
        if (object) {
            const std::size_t key_end = skip_string(text, pos);
            boost::system::error_code ec;
            const boost::json::value key = boost::json::parse(text.substr(pos, key_end - pos), ec);
            if (!ec && key.is_string()) m.key = std::string(key.get_string());
            pos = skip_blanks(text, key_end) + 1;  // ':'
            pos = skip_blanks(text, pos);
        }
        m.value_offset = pos;
        pos = skip_blanks(text, skip_value(text, pos));
        if (pos < text.size() && text[pos] == ',') pos = skip_blanks(text, pos + 1);
        members.push_back(std::move(m));
    }
    return members;
}

}  // namespace bfm::core
