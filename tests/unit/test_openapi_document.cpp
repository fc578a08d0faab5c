// The OpenAPI document: the compiled-in copy is docs/openapi.json, every $ref resolves, every
// operation declares its role and security, the YAML rendering reads back to the same value
// (with a reader of the emitted subset: no YAML library, no python), and the router serves both
// documents without a token.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <fstream>
#include <iterator>
#include <set>

#include "net/openapi_document.hpp"
#include "net/router.hpp"
#include "net/yaml_emit.hpp"
#include "support/json_schema.hpp"
#include "support/yaml_subset_reader.hpp"
#include "unit/test_http_fakes.hpp"

namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using bfm::net::to_yaml;
using bfm::test::read_yaml_subset;

json::object document() {
    return json::parse(bfm::net::openapi_json_text()).as_object();
}

// Every "$ref" string anywhere in `v`.
void collect_refs(const json::value& v, std::vector<std::string>& out) {
    if (const auto* o = v.if_object()) {
        for (const auto& entry : *o) {
            if (entry.key() == "$ref") out.emplace_back(entry.value().as_string());
            collect_refs(entry.value(), out);
        }
    } else if (const auto* a = v.if_array()) {
        for (const auto& item : *a) collect_refs(item, out);
    }
}

TEST(OpenApiDocument, CompiledInCopyIsTheFileInDocs) {
    std::ifstream in(std::string(BFM_SOURCE_DIR) + "/docs/openapi.json", std::ios::binary);
    ASSERT_TRUE(in) << "docs/openapi.json";
    const std::string disk{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    EXPECT_EQ(bfm::net::openapi_json_text(), disk);
}

TEST(OpenApiDocument, IsOpenApi3WithResolvableRefs) {
    const json::object doc = document();
    EXPECT_EQ(doc.at("openapi"), "3.0.3");
    EXPECT_EQ(doc.at("components").at("securitySchemes").at("Bearer").at("scheme"), "bearer");
    std::vector<std::string> refs;
    collect_refs(doc, refs);
    ASSERT_GT(refs.size(), 50u);
    bfm::test::schema_validator validator(doc);
    for (const auto& ref : refs) EXPECT_NO_THROW(validator.resolve(ref)) << ref;
}

TEST(OpenApiDocument, EveryOperationHasRoleResponsesAndTheRightSecurity) {
    const json::object doc = document();
    const std::set<std::string> public_paths = {"/health", "/api/v1/health", "/ready",
                                                "/api/v1/openapi.json", "/api/v1/openapi.yaml"};
    std::size_t operations = 0;
    for (const auto& path : doc.at("paths").as_object()) {
        for (const auto& op : path.value().as_object()) {
            ++operations;
            const std::string where = std::string(op.key()) + " " + std::string(path.key());
            const json::object& o = op.value().as_object();
            EXPECT_TRUE(o.contains("x-bfm-role")) << where;
            ASSERT_TRUE(o.contains("responses")) << where;
            EXPECT_FALSE(o.at("responses").as_object().empty()) << where;
            const bool is_public = public_paths.contains(std::string(path.key()));
            if (is_public) {
                EXPECT_EQ(o.at("x-bfm-role"), "public") << where;
                EXPECT_EQ(o.at("security"), json::array()) << where;
            } else if (path.key() != "/metrics") {
                EXPECT_FALSE(o.contains("security")) << where << ": inherits Bearer";
                EXPECT_TRUE(o.at("responses").as_object().contains("401")) << where;
                EXPECT_TRUE(o.at("responses").as_object().contains("403")) << where;
            }
        }
    }
    EXPECT_GE(operations, 33u);
}

TEST(OpenApiDocument, YamlReadsBackToTheSameDocument) {
    const std::string& yaml = bfm::net::openapi_yaml_text();
    EXPECT_EQ(yaml.rfind("\"openapi\": \"3.0.3\"\n", 0), 0u) << yaml.substr(0, 80);
    EXPECT_NE(yaml.find("\n  \"/api/v1/jobs/{id}/events\":\n"), std::string::npos);
    EXPECT_EQ(read_yaml_subset(yaml), json::value(document()));
}

TEST(YamlEmit, QuotesEveryStringSoNoneReadsAsAnotherType) {
    const json::value v = json::parse(
        R"({"true": "true", "null": "null", "n": "123", "dash": "- x", "colon": "a: b",
            "hash": "#c", "empty": "", "nl": "line\nbreak", "quote": "say \"hi\"",
            "unicode": "caf\u00e9 \u2713", "ctl": "\u0001", "num": 1.5, "int": -3, "yes": true,
            "nothing": null, "eo": {}, "ea": [], "nested": [[1, [2]], {"k": ["v"]}, []]})");
    const std::string yaml = to_yaml(v);
    EXPECT_NE(yaml.find("\"true\": \"true\"\n"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("\"n\": \"123\"\n"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("\"empty\": \"\"\n"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("\"nl\": \"line\\nbreak\"\n"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("\"yes\": true\n"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("\"nothing\": null\n"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("\"eo\": {}\n"), std::string::npos) << yaml;
    EXPECT_EQ(read_yaml_subset(yaml), v) << yaml;
}

TEST(YamlEmit, BlockLayout) {
    EXPECT_EQ(to_yaml(json::parse(R"({"a": {"b": [1, {"c": "d"}, []]}})")),
              "\"a\":\n"
              "  \"b\":\n"
              "    - 1\n"
              "    -\n"
              "      \"c\": \"d\"\n"
              "    - []\n");
    EXPECT_EQ(to_yaml(json::value("x")), "\"x\"\n");
    EXPECT_EQ(to_yaml(json::array()), "[]\n");
}

TEST(YamlSubsetReader, RefusesWhatIsOutsideTheSubset) {
    EXPECT_THROW(read_yaml_subset("\"a\": plain\n"), std::runtime_error);      // unquoted string
    EXPECT_THROW(read_yaml_subset("a: \"x\"\n"), std::runtime_error);          // unquoted key
    EXPECT_THROW(read_yaml_subset("\"a\":\n\"b\": 1\n"), std::runtime_error);  // no block
    EXPECT_THROW(read_yaml_subset("\"a\": 1\n   \"b\": 1\n"), std::runtime_error);
    EXPECT_THROW(read_yaml_subset("\"a\": 1\n\"a\": 2\n"), std::runtime_error);
    EXPECT_THROW(read_yaml_subset("\"a\": [1]\n"), std::runtime_error);  // flow collection
    EXPECT_THROW(read_yaml_subset("\"a\": 1"), std::runtime_error);      // no final newline
    EXPECT_EQ(read_yaml_subset("\"a\":\n  - 1\n  - \"x\"\n"), json::parse(R"({"a": [1, "x"]})"));
}

TEST(OpenApiRoutes, BothDocumentsArePublic) {
    boost::asio::io_context ioc;
    bfm::test::fake_service service;
    bfm::net::router router{service.config(), service};
    for (const char* path : {"/api/v1/openapi.json", "/api/v1/openapi.yaml"}) {
        bfm::net::http_request req{http::verb::get, path, 11};
        const auto res = bfm::test::run_awaitable(ioc, router.handle(req));
        EXPECT_EQ(res.result(), http::status::ok) << path;
        const json::value served = std::string_view(path).ends_with(".json")
                                       ? json::parse(res.body())
                                       : read_yaml_subset(res.body());
        EXPECT_EQ(served, json::value(document())) << path;
    }
    bfm::net::http_request post{http::verb::post, "/api/v1/openapi.json", 11};
    const auto res = bfm::test::run_awaitable(ioc, router.handle(post));
    EXPECT_EQ(res.result(), http::status::method_not_allowed);
    EXPECT_EQ(res[http::field::allow], "GET");
}

}  // namespace
