#include "backends/postgresql/pg_quote.hpp"

namespace bfm::pg {
namespace {

std::string quote_with(std::string_view text, char q) {
    std::string out;
    out.reserve(text.size() + 2);
    out.push_back(q);
    for (char c : text) {
        if (c == '\0') continue;  // NUL cannot travel in the protocol; never part of a name
        if (c == q) out.push_back(q);
        out.push_back(c);
    }
    out.push_back(q);
    return out;
}

}  // namespace

std::string quote_ident(std::string_view ident) {
    return quote_with(ident, '"');
}
std::string quote_literal(std::string_view text) {
    return quote_with(text, '\'');
}

}  // namespace bfm::pg
