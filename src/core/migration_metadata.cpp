#include "core/migration_metadata.hpp"

#include "core/dependency_spec.hpp"
#include "core/schema_name.hpp"
#include "core/tag_list.hpp"
#include "core/text.hpp"

namespace bfm::core {

namespace {

bool is_key_prefix_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
           || c == '-' || c == '.';
}

std::string where(const std::string& file, int line) {
    return file + ":" + std::to_string(line);
}

std::string show_schema(const std::string& schema) {
    return schema.empty() ? "\"\" (dynamic)" : quote_for_message(schema);
}

// The first declaration of a single-valued field, which later ones must agree with.
struct declared {
    const migration_header* from = nullptr;
    std::string value;
    int line = 0;
};

std::string as_is(const std::string& v) {
    return v;
}

class metadata_merger {
public:
    metadata_merger(migration& m, std::vector<load_error>& errors) : m_(m), errors_(errors) {}

    void add(const migration_header& h) {
        if (h.schema_declared) agree("schema", h, h.schema, h.schema_line, schema_, show_schema);
        if (!h.table.empty()) agree("table", h, h.table, h.table_line, table_, quote_for_message);
        if (h.transactional) {
            agree("transaction", h, *h.transactional ? "on" : "off", h.transaction_line,
                  transaction_, as_is);
        }
        if (h.timeout) {
            agree("timeout", h, std::to_string(h.timeout->count()) + "ms", h.timeout_line, timeout_,
                  as_is);
            if (timeout_.from == &h) m_.timeout = *h.timeout;
        }
        for (const dependency& d : h.dependencies) add_dependency(d);
        for (const std::string& s : h.depends_schemas) add_depends_schema(s);
        for (const header_tag& t : h.tags) {
            if (auto problem = tags_.add(t.value, {h.file, t.line}))
                error(h.file, t.line, *problem);
        }
    }

    bool finish() {
        if (schema_.from != nullptr) m_.schema = schema_.value;
        if (table_.from != nullptr) m_.table = table_.value;
        if (transaction_.from != nullptr) m_.transactional = transaction_.value == "on";
        m_.tags = tags_.tags();
        return !failed_;
    }

private:
    template <class Show>
    void agree(std::string_view field, const migration_header& h, const std::string& value,
               int line, declared& first, Show show) {
        if (first.from == nullptr) {
            first = {&h, value, line};
            return;
        }
        if (first.value == value) return;
        error(h.file, line,
              std::string(field) + " " + show(value) + " disagrees with " + show(first.value)
                  + " declared at " + where(first.from->file, first.line));
    }

    void add_dependency(const dependency& d) {
        for (const dependency& known : m_.dependencies) {
            if (same_dependency(known, d)) return;
        }
        m_.dependencies.push_back(d);
    }

    void add_depends_schema(const std::string& s) {
        for (const std::string& known : m_.depends_schemas) {
            if (known == s) return;
        }
        m_.depends_schemas.push_back(s);
    }

    void error(const std::string& file, int line, std::string message) {
        failed_ = true;
        errors_.push_back({file, line, std::move(message)});
    }

    migration& m_;
    std::vector<load_error>& errors_;
    bool failed_ = false;
    declared schema_, table_, transaction_, timeout_;
    tag_set tags_;
};

}  // namespace

std::optional<std::string> validate_declared_schema(std::string_view backend,
                                                    std::string_view schema) {
    if (backend != "etcd" || !schema.starts_with('/')) return validate_schema_name(schema);
    // An absolute key prefix: /segment[/segment...], no empty, "." or ".." segments.
    std::string_view rest = schema;
    while (!rest.empty()) {
        rest.remove_prefix(1);  // '/'
        const std::size_t end = rest.find('/');
        const std::string_view segment = rest.substr(0, end);
        bool ok = !segment.empty() && segment != "." && segment != "..";
        for (char c : segment) ok = ok && is_key_prefix_char(c);
        if (!ok) {
            return "etcd key prefix " + quote_for_message(schema)
                   + " is invalid: it must be /segment[/segment...] with segments of letters, "
                     "digits, '_', '-' and '.' (no empty, \".\" or \"..\" segments)";
        }
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end);
    }
    return std::nullopt;
}

bool apply_metadata(migration& m, const std::vector<const migration_header*>& sources,
                    std::vector<load_error>& errors) {
    metadata_merger merger(m, errors);
    for (const migration_header* h : sources) {
        if (h != nullptr) merger.add(*h);
    }
    return merger.finish();
}

}  // namespace bfm::core
