#include "core/go_stub_parser.hpp"

#include <set>

#include "core/dependency_spec.hpp"
#include "core/go_tokenizer.hpp"
#include "core/migration_metadata.hpp"
#include "core/schema_name.hpp"
#include "core/text.hpp"

namespace bfm::core {

namespace {

// A Go expression as far as the stub reader needs it.
struct go_element;
struct go_value {
    enum class kind { string, composite, other };
    kind k = kind::other;
    std::string text;         // string: decoded value; other: what it is, for messages
    std::string type;         // composite: the type as written ("[]string"), "" when elided
    bool identifier = false;  // other: a single identifier (`text` is its name)
    std::vector<go_element> elements;
    int line = 0;
};
struct go_element {
    bool keyed = false;
    std::string key;
    int key_line = 0;
    go_value value;
};

class parse_failure {
public:
    int line;
    std::string message;
};

// Recursive descent over the tokens of one composite literal.
class literal_parser {
public:
    literal_parser(const std::vector<go_token>& tokens, std::size_t at) : t_(tokens), i_(at) {}

    go_value parse_composite(std::string type) {
        // Stubs nest three levels; a limit keeps hostile input from exhausting the stack.
        static constexpr int max_depth = 32;
        if (depth_ == max_depth) {
            throw parse_failure{current().line, "composite literals are nested too deeply"};
        }
        ++depth_;
        go_value v;
        v.k = go_value::kind::composite;
        v.type = std::move(type);
        v.line = current().line;
        expect("{");
        while (!peek_punct("}")) {
            go_element element;
            go_value first = parse_value();
            if (peek_punct(":")) {
                ++i_;
                element.keyed = true;
                element.key_line = first.line;
                if (first.k == go_value::kind::string || first.identifier) {
                    element.key = first.text;
                } else {
                    element.key = "<" + first.text + ">";
                }
                element.value = parse_value();
            } else {
                element.value = std::move(first);
            }
            v.elements.push_back(std::move(element));
            if (peek_punct(",")) {
                ++i_;
                continue;
            }
            if (!peek_punct("}")) {
                throw parse_failure{current().line,
                                    "expected ',' or '}' after an element of the literal that "
                                    "starts at line "
                                        + std::to_string(v.line) + ", found "
                                        + describe(current())};
            }
        }
        ++i_;  // '}'
        --depth_;
        return v;
    }

private:
    const go_token& current() const {
        if (i_ >= t_.size()) {
            throw parse_failure{t_.empty() ? 1 : t_.back().line,
                                "the file ends inside a composite literal"};
        }
        return t_[i_];
    }
    bool peek_punct(std::string_view p) const { return current().is_punct(p); }
    void expect(std::string_view p) {
        if (!peek_punct(p)) {
            throw parse_failure{current().line,
                                "expected '" + std::string(p) + "', found " + describe(current())};
        }
        ++i_;
    }

    static std::string describe(const go_token& t) {
        switch (t.kind) {
            case go_token_kind::identifier:
                return "identifier " + t.text;
            case go_token_kind::string:
                return "a string literal";
            case go_token_kind::punct:
                return "'" + t.text + "'";
            default:
                return t.text;
        }
    }

    // A binary operator, selector, index or call after an operand: the expression goes on.
    static bool continues_expression(const go_token& t) {
        static constexpr std::string_view ops[] = {"+",  "-",  "*",  "/",  "%",  "&", "|",  "^",
                                                   "<<", ">>", "&^", "==", "!=", "<", "<=", ">",
                                                   ">=", "&&", "||", "[",  ".",  "("};
        if (t.kind != go_token_kind::punct) return false;
        for (std::string_view op : ops) {
            if (t.text == op) return true;
        }
        return false;
    }

    // Go ends a statement at a line break after these tokens (automatic semicolons), so an
    // element that runs on to the next line without a comma ends there.
    static bool ends_line(const go_token& t) {
        return t.kind != go_token_kind::punct || t.is_punct(")") || t.is_punct("]")
               || t.is_punct("}") || t.is_punct("++") || t.is_punct("--");
    }

    go_value parse_value() {
        const std::size_t start_of_value = i_;
        const go_token& first = current();
        if (first.is_punct("&")) {
            ++i_;
            const std::size_t at = i_;
            if (current().is_punct("&"))
                return skip_expression(first.line, "an address expression");
            go_value v = parse_value();
            if (v.k != go_value::kind::composite) {
                i_ = at;
                return skip_expression(first.line, "an address expression");
            }
            return v;
        }
        if (first.kind == go_token_kind::string) {
            ++i_;
            if (i_ < t_.size() && continues_expression(t_[i_])) {
                i_ = start_of_value;
                return skip_expression(first.line, "an expression built from a string literal");
            }
            go_value v;
            v.k = go_value::kind::string;
            v.text = first.text;
            v.line = first.line;
            return v;
        }
        if (first.is_punct("{")) return parse_composite("");
        // A type followed by '{' starts a composite literal; anything else is some other
        // expression (a constant, a call, an index...).
        const std::size_t start = i_;
        const std::string type = scan_type();
        if (i_ > start && i_ < t_.size() && t_[i_].is_punct("{")) return parse_composite(type);
        const bool run_ends_element =
            i_ < t_.size()
            && (t_[i_].is_punct(",") || t_[i_].is_punct("}") || t_[i_].is_punct(":"));
        if (i_ > start && run_ends_element && first.kind == go_token_kind::identifier
            && type.find_first_of("[]*") == std::string::npos) {
            go_value v;
            v.identifier = i_ == start + 1;
            v.text = v.identifier ? type : "identifier " + type + " (a constant or variable?)";
            v.line = first.line;
            return v;
        }
        const bool call = i_ > start && i_ < t_.size() && t_[i_].is_punct("(");
        i_ = start;
        return skip_expression(first.line, call ? "a function call " + type + "(...)"
                                                : "an expression starting with " + describe(first));
    }

    // Tokens that can spell a type or a (qualified) name: `[]pkg.T`, `map[string]interface{}`,
    // `*T`, `[4]string`. Two names in a row end the run (`a b` is not a type).
    std::string scan_type() {
        std::string type;
        const go_token* prev = nullptr;
        auto name_allowed = [&] {
            return prev == nullptr || prev->is_punct(".") || prev->is_punct("]")
                   || prev->is_punct("[") || prev->is_punct("*");
        };
        while (i_ < t_.size()) {
            const go_token& t = t_[i_];
            if (prev != nullptr && t.line != prev->line) break;
            bool ok = false;
            if (t.kind == go_token_kind::identifier) {
                ok = name_allowed();
            } else if (t.is_punct(".")) {
                ok = prev != nullptr && prev->kind == go_token_kind::identifier;
            } else if (t.is_punct("[") || t.is_punct("*")) {
                ok = prev == nullptr || prev->is_punct("]") || prev->is_punct("*")
                     || (t.is_punct("[") && prev->is(go_token_kind::identifier, "map"));
            } else if (t.is_punct("]")) {
                ok = prev != nullptr
                     && (prev->is_punct("[") || prev->kind == go_token_kind::number
                         || prev->kind == go_token_kind::identifier);
            } else if (t.kind == go_token_kind::number) {
                ok = prev != nullptr && prev->is_punct("[");
            }
            if (!ok) break;
            type += t.text;
            prev = &t_[i_];
            ++i_;
            if ((t.is(go_token_kind::identifier, "interface")
                 || t.is(go_token_kind::identifier, "struct"))
                && i_ < t_.size() && t_[i_].is_punct("{")) {
                int depth = 0;
                do {
                    if (current().is_punct("{")) ++depth;
                    if (current().is_punct("}")) --depth;
                    type += current().text;
                    prev = &t_[i_];
                    ++i_;
                } while (depth > 0);
            }
        }
        return type;
    }

    // Skips to the ',' or closing bracket that ends the current element.
    go_value skip_expression(int line, std::string what) {
        int depth = 0;
        const go_token* prev = nullptr;
        while (true) {
            const go_token& t = current();
            if (depth == 0
                && (t.is_punct(",") || t.is_punct("}") || t.is_punct(")") || t.is_punct("]")
                    || t.is_punct(":"))) {
                break;
            }
            if (depth == 0 && prev != nullptr && t.line != prev->line && ends_line(*prev)) break;
            prev = &t;
            if (t.is_punct("(") || t.is_punct("[") || t.is_punct("{")) ++depth;
            if (t.is_punct(")") || t.is_punct("]") || t.is_punct("}")) --depth;
            ++i_;
        }
        go_value v;
        v.text = std::move(what);
        v.line = line;
        return v;
    }

    const std::vector<go_token>& t_;
    std::size_t i_;
    int depth_ = 0;
};

// The index of the '{' of each `MigrationScript{` (qualified or not) in the file.
std::vector<std::size_t> find_migration_literals(const std::vector<go_token>& t) {
    std::vector<std::size_t> found;
    for (std::size_t i = 0; i + 1 < t.size(); ++i) {
        if (t[i].is(go_token_kind::identifier, "MigrationScript") && t[i + 1].is_punct("{")) {
            found.push_back(i + 1);
        }
    }
    return found;
}

std::string type_before(const std::vector<go_token>& t, std::size_t brace) {
    std::size_t begin = brace - 1;
    while (begin > 0
           && (t[begin - 1].is_punct(".") || t[begin - 1].is_punct("]")
               || t[begin - 1].is_punct("[") || t[begin - 1].is_punct("*")
               || (t[begin - 1].kind == go_token_kind::identifier && t[begin].is_punct(".")))) {
        --begin;
    }
    std::string type;
    for (std::size_t i = begin; i < brace; ++i) type += t[i].text;
    return type;
}

class stub_reader {
public:
    stub_reader(const std::string& file, std::string_view backend) : backend_(backend) {
        result_.metadata.file = file;
    }

    void read(std::string_view source) {
        const go_tokenize_result tokens = tokenize_go(source);
        if (!tokens.ok()) return error(tokens.error_line, "not valid Go source: " + tokens.error);
        const auto literals = find_migration_literals(tokens.tokens);
        if (literals.empty()) {
            return error(0,
                         "no MigrationScript composite literal found (expected "
                         "&migrations.MigrationScript{Schema: ..., ...}); a .go file named "
                         "{version}_{name}.go beside migrations is read as an upstream stub");
        }
        if (literals.size() > 1) {
            return error(tokens.tokens[literals[1]].line,
                         "a second MigrationScript literal (the first is at line "
                             + std::to_string(tokens.tokens[literals[0]].line)
                             + "): a stub describes exactly one migration");
        }
        const std::string type = type_before(tokens.tokens, literals[0]);
        if (type.starts_with("[")) {
            return error(tokens.tokens[literals[0]].line,
                         "a slice of MigrationScript: a stub describes exactly one migration");
        }
        try {
            const go_value script =
                literal_parser(tokens.tokens, literals[0]).parse_composite(type);
            read_fields(script);
        } catch (const parse_failure& f) {
            error(f.line, "cannot read the MigrationScript literal: " + f.message);
        }
    }

    go_stub_parse take() { return std::move(result_); }

private:
    void read_fields(const go_value& script) {
        std::set<std::string> seen;
        for (const go_element& e : script.elements) {
            if (!e.keyed) {
                return error(e.value.line,
                             "MigrationScript fields must be named (Schema: \"...\"); positional "
                             "values cannot be read");
            }
            if (!seen.insert(e.key).second) {
                error(e.key_line, "field " + e.key + " is set twice");
                continue;
            }
            if (e.key == "Schema") {
                read_schema(e);
            } else if (e.key == "Dependencies") {
                read_dependencies(e);
            } else if (e.key == "StructuredDependencies") {
                read_structured_dependencies(e);
            } else if (e.key == "Tags") {
                read_tags(e);
            }
        }
    }

    bool expect_string(const go_value& v, const std::string& field) {
        if (v.k == go_value::kind::string) return true;
        error(v.line, field + " must be a string literal, found " + what(v)
                          + " (bfm reads stubs without compiling them)");
        return false;
    }

    bool expect_plain_entry(const go_element& item, const std::string& field) {
        if (item.keyed) {
            error(item.key_line, "entries of " + field + " are plain values, not key: value");
            return false;
        }
        return expect_string(item.value, "each " + field + " entry");
    }

    // The elements of a []T{...} field; nil is an empty list.
    const std::vector<go_element>* expect_list(const go_element& e) {
        static const std::vector<go_element> none;
        if (e.value.identifier && e.value.text == "nil") return &none;
        if (e.value.k != go_value::kind::composite || !e.value.type.starts_with("[]")) {
            error(e.value.line,
                  e.key + " must be a slice literal like []"
                      + std::string(e.key == "StructuredDependencies" ? "migrations.Dependency{...}"
                                                                      : "string{...}")
                      + ", found " + what(e.value));
            return nullptr;
        }
        return &e.value.elements;
    }

    static std::string what(const go_value& v) {
        switch (v.k) {
            case go_value::kind::string:
                return "a string literal";
            case go_value::kind::composite:
                return "a composite literal" + (v.type.empty() ? "" : " of type " + v.type);
            default:
                return v.identifier ? "identifier " + v.text + " (a constant or variable?)"
                                    : v.text;
        }
    }

    void read_schema(const go_element& e) {
        if (!expect_string(e.value, "Schema")) return;
        if (!e.value.text.empty()) {
            if (auto problem = validate_declared_schema(backend_, e.value.text)) {
                return error(e.value.line, "Schema: " + *problem);
            }
        }
        migration_header& h = result_.metadata;
        h.schema = e.value.text;
        h.schema_line = e.value.line;
        h.schema_declared = true;
    }

    void read_dependencies(const go_element& e) {
        const auto* list = expect_list(e);
        if (list == nullptr) return;
        for (const go_element& item : *list) {
            if (!expect_plain_entry(item, "Dependencies")) continue;
            const dependency_spec_parse parsed = parse_dependency_spec(item.value.text);
            if (!parsed.ok() || !parsed.value.connection.empty()
                || parsed.value.target_type != dependency::kind::name) {
                error(item.value.line,
                      "Dependencies entry " + quote_for_message(item.value.text)
                          + " is not a migration name (use StructuredDependencies for a "
                            "connection or a version)");
                continue;
            }
            push_dependency(parsed.value, item.value.line);
        }
    }

    void read_structured_dependencies(const go_element& e) {
        const auto* list = expect_list(e);
        if (list == nullptr) return;
        for (const go_element& item : *list) {
            if (item.keyed || item.value.k != go_value::kind::composite) {
                error(item.value.line,
                      "each StructuredDependencies entry must be a literal "
                      "{Target: \"...\", ...}, found "
                          + what(item.value));
                continue;
            }
            read_structured_dependency(item.value);
        }
    }

    void read_structured_dependency(const go_value& literal) {
        dependency d;
        std::string target_type;
        std::set<std::string> seen;
        bool ok = true;
        for (const go_element& f : literal.elements) {
            if (!f.keyed) {
                error(f.value.line, "Dependency fields must be named (Target: \"...\")");
                ok = false;
                continue;
            }
            std::string* field = nullptr;
            if (f.key == "Connection") field = &d.connection;
            if (f.key == "Schema") field = &d.schema;
            if (f.key == "Target") field = &d.target;
            if (f.key == "TargetType") field = &target_type;
            if (f.key == "RequiresTable") field = &d.requires_table;
            if (f.key == "RequiresSchema") field = &d.requires_schema;
            if (field == nullptr) {
                error(f.key_line, "unknown Dependency field " + f.key
                                      + " (known: Connection, Schema, Target, TargetType, "
                                        "RequiresTable, RequiresSchema)");
                ok = false;
                continue;
            }
            if (!seen.insert(f.key).second) {
                error(f.key_line, "Dependency field " + f.key + " is set twice");
                ok = false;
                continue;
            }
            if (!expect_string(f.value, "Dependency field " + f.key)) {
                ok = false;
                continue;
            }
            *field = f.value.text;
        }
        if (!ok) return;
        if (d.target.empty()) {
            return error(literal.line, "a StructuredDependencies entry needs a non-empty Target");
        }
        if (target_type == "version") {
            d.target_type = dependency::kind::version;
            if (!is_all_digits(d.target)) {
                return error(literal.line, "Target " + quote_for_message(d.target)
                                               + " of TargetType \"version\" must be digits");
            }
        } else if (target_type.empty() || target_type == "name") {
            d.target_type = dependency::kind::name;
        } else {
            return error(literal.line, "TargetType must be \"name\" or \"version\", got "
                                           + quote_for_message(target_type));
        }
        if (!d.requires_schema.empty()) {
            if (auto problem = validate_schema_name(d.requires_schema)) {
                return error(literal.line, "RequiresSchema: " + *problem);
            }
        }
        push_dependency(std::move(d), literal.line);
    }

    void push_dependency(dependency d, int line) {
        d.line = line;
        d.source_file = result_.metadata.file;
        for (const dependency& known : result_.metadata.dependencies) {
            if (same_dependency(known, d)) return;
        }
        result_.metadata.dependencies.push_back(std::move(d));
    }

    void read_tags(const go_element& e) {
        const auto* list = expect_list(e);
        if (list == nullptr) return;
        for (const go_element& item : *list) {
            if (!expect_plain_entry(item, "Tags")) continue;
            if (auto problem = add_tag(result_.metadata, item.value.text, item.value.line)) {
                error(item.value.line, "Tags: " + *problem);
            }
        }
    }

    void error(int line, std::string message) {
        result_.errors.push_back({result_.metadata.file, line, std::move(message)});
    }

    std::string backend_;
    go_stub_parse result_;
};

}  // namespace

go_stub_parse parse_go_stub(std::string_view source, const std::string& file,
                            std::string_view backend) {
    stub_reader reader(file, backend);
    reader.read(source);
    return reader.take();
}

}  // namespace bfm::core
