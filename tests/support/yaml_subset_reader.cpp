#include "support/yaml_subset_reader.hpp"

#include <boost/json/parse.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace bfm::test {

namespace json = boost::json;

namespace {

struct line {
    std::size_t number;  // 1-based, for messages
    std::size_t indent;
    std::string_view text;  // without the indentation
};

[[noreturn]] void fail(const line& l, const std::string& what) {
    throw std::runtime_error("YAML line " + std::to_string(l.number) + ": " + what + ": "
                             + std::string(l.text.substr(0, 80)));
}

class reader {
public:
    explicit reader(std::string_view text) {
        std::size_t number = 0;
        while (!text.empty()) {
            const std::size_t end = text.find('\n');
            if (end == std::string_view::npos) {
                throw std::runtime_error("YAML: the last line has no newline");
            }
            std::string_view raw = text.substr(0, end);
            text.remove_prefix(end + 1);
            ++number;
            const std::size_t indent = raw.find_first_not_of(' ');
            if (indent == std::string_view::npos) {
                throw std::runtime_error("YAML line " + std::to_string(number) + " is blank");
            }
            lines_.push_back(line{number, indent, raw.substr(indent)});
        }
        if (lines_.empty()) throw std::runtime_error("YAML: empty document");
    }

    json::value document() {
        const line& first = lines_.front();
        json::value out;
        if (first.indent != 0) fail(first, "the document must start in column 0");
        boost::system::error_code ec;
        if (lines_.size() == 1 && (json::parse(first.text, ec), !ec)) {
            out = scalar(first, first.text);
            pos_ = 1;
        } else {
            out = block(0);
        }
        if (pos_ != lines_.size()) fail(lines_[pos_], "unexpected indentation");
        return out;
    }

private:
    json::value scalar(const line& l, std::string_view text) {
        boost::system::error_code ec;
        json::value v = json::parse(text, ec);
        if (ec) fail(l, "not a quoted string or JSON scalar");
        if ((v.is_object() && !v.get_object().empty())
            || (v.is_array() && !v.get_array().empty())) {
            fail(l, "a non-empty flow collection");
        }
        return v;
    }

    // What follows "key:" or "-": " <scalar>", or nothing and a deeper block below.
    json::value after_marker(const line& l, std::string_view rest, std::size_t indent) {
        if (rest.empty()) {
            if (pos_ >= lines_.size() || lines_[pos_].indent <= indent) {
                fail(l, "nothing after the marker and no nested block");
            }
            return block(lines_[pos_].indent);
        }
        if (rest[0] != ' ') fail(l, "the marker must be followed by a space");
        return scalar(l, rest.substr(1));
    }

    json::value block(std::size_t indent) {
        const bool sequence = lines_[pos_].text[0] == '-';
        json::value out = sequence ? json::value(json::array()) : json::value(json::object());
        while (pos_ < lines_.size() && lines_[pos_].indent == indent) {
            const line l = lines_[pos_++];
            if (sequence) {
                if (l.text[0] != '-') fail(l, "a mapping entry inside a sequence");
                out.get_array().push_back(after_marker(l, l.text.substr(1), indent));
                continue;
            }
            if (l.text[0] != '"') fail(l, "an unquoted key");
            std::size_t end = 1;
            while (end < l.text.size() && l.text[end] != '"') end += l.text[end] == '\\' ? 2 : 1;
            if (end >= l.text.size()) fail(l, "an unterminated key");
            boost::system::error_code ec;
            json::value key = json::parse(l.text.substr(0, end + 1), ec);
            if (ec || !key.is_string()) fail(l, "a malformed key");
            if (end + 1 >= l.text.size() || l.text[end + 1] != ':') fail(l, "no ':' after the key");
            json::object& object = out.get_object();
            if (object.contains(key.get_string())) fail(l, "a duplicate key");
            json::value value = after_marker(l, l.text.substr(end + 2), indent);
            object[key.get_string()] = std::move(value);
        }
        if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
            fail(lines_[pos_], "unexpected indentation");
        }
        return out;
    }

    std::vector<line> lines_;
    std::size_t pos_ = 0;
};

}  // namespace

json::value read_yaml_subset(std::string_view text) {
    return reader(text).document();
}

}  // namespace bfm::test
