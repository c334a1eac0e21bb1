#include "api/openapi.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <set>

#include "common/version.h"

namespace soundtrend::api {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

TEST(OpenApiTest, DocumentIsValidJsonOpenApi31) {
  simdjson::dom::parser parser;
  element doc = parser.parse(simdjson::padded_string(OpenApiDocument()));
  EXPECT_EQ(std::string_view(doc["openapi"]), "3.1.0");
  object paths = doc["paths"];
  std::set<std::string> listed;
  for (auto [path, item] : paths) listed.insert(std::string(path));
  for (const char* p : {"/v1/tiktok/trending/music", "/v1/tiktok/regions", "/healthz", "/readyz",
                        "/version", "/metrics", "/openapi.json", "/docs", "/llms.txt"}) {
    EXPECT_TRUE(listed.count(p)) << p;
  }
  // The document's version is the build's; its server is relative (right for whichever
  // host and port serve it).
  EXPECT_EQ(std::string_view(doc["info"]["version"]), kVersion);
  EXPECT_EQ(std::string_view(doc["servers"].at(0)["url"]), "/");
}

// Every operation carries examples in curl, Python and JavaScript, and every response it
// lists has a sample body (in the media type, or in the component it refers to).
TEST(OpenApiTest, EveryOperationHasCodeSamplesAndEveryResponseAnExample) {
  simdjson::dom::parser parser;
  element doc = parser.parse(simdjson::padded_string(OpenApiDocument()));
  int operations = 0;
  for (auto [path, item] : object(doc["paths"])) {
    for (auto [method, op] : object(item)) {
      SCOPED_TRACE(std::string(method) + " " + std::string(path));
      ++operations;
      std::set<std::string> langs;
      for (element sample : op["x-codeSamples"].get_array()) {
        langs.insert(std::string(std::string_view(sample["lang"])));
        EXPECT_FALSE(std::string_view(sample["source"]).empty());
      }
      EXPECT_EQ(langs, (std::set<std::string>{"curl", "Python", "JavaScript"}));
      for (auto [status, response] : object(op["responses"])) {
        SCOPED_TRACE(std::string(status));
        element r = response;
        std::string_view ref;
        if (r["$ref"].get(ref) == simdjson::SUCCESS) {
          r = doc.at_pointer(std::string(ref.substr(1)));
        }
        object content;
        ASSERT_EQ(r["content"].get(content), simdjson::SUCCESS);
        for (auto [media, spec] : content) {
          EXPECT_EQ(spec["example"].error(), simdjson::SUCCESS) << media;
        }
      }
    }
  }
  EXPECT_GE(operations, 16);
}

// Every object schema in components declares its properties (no `properties: {}`), and
// every property has a type, a $ref or a oneOf.
TEST(OpenApiTest, SchemasAreReal) {
  simdjson::dom::parser parser;
  element doc = parser.parse(simdjson::padded_string(OpenApiDocument()));
  object schemas = doc["components"]["schemas"];
  for (auto [name, schema] : schemas) {
    object props;
    ASSERT_EQ(schema["properties"].get(props), simdjson::SUCCESS) << name;
    EXPECT_GT(props.size(), 0u) << name;
    for (auto [prop_name, prop] : props) {
      const bool typed = prop["type"].error() == simdjson::SUCCESS ||
                         prop["$ref"].error() == simdjson::SUCCESS ||
                         prop["oneOf"].error() == simdjson::SUCCESS;
      EXPECT_TRUE(typed) << name << "." << prop_name;
    }
  }
  // The sound item lists every docs/api.md §3 field, and §8's growth.
  object sound = doc["components"]["schemas"]["Sound"]["properties"];
  EXPECT_EQ(sound.size(), 20u);
}

TEST(OpenApiTest, EveryRefResolves) {
  const std::string_view text = OpenApiDocument();
  simdjson::dom::parser parser;
  element doc = parser.parse(simdjson::padded_string(text));
  size_t pos = 0;
  int refs = 0;
  while ((pos = text.find("\"$ref\": \"#/", pos)) != std::string_view::npos) {
    pos += 11;
    const size_t end = text.find('"', pos);
    std::string pointer = "/" + std::string(text.substr(pos, end - pos));
    element target;
    EXPECT_EQ(doc.at_pointer(pointer).get(target), simdjson::SUCCESS) << pointer;
    ++refs;
  }
  EXPECT_GT(refs, 10);
}

TEST(OpenApiTest, DocsHtmlListsEveryOperationAndSchema) {
  auto html = RenderDocsHtml(OpenApiDocument());
  ASSERT_TRUE(html.ok());
  EXPECT_NE(html->find("<code>/v1/tiktok/trending/music</code>"), std::string::npos);
  EXPECT_NE(html->find("search_keyword"), std::string::npos);
  EXPECT_NE(html->find("id=\"schema-Sound\""), std::string::npos);
  EXPECT_NE(html->find("integer | null"), std::string::npos);  // on_list_times
  EXPECT_NE(html->find("array of RelatedItem | null"), std::string::npos);
  EXPECT_FALSE(RenderDocsHtml("{not json").ok());
}

TEST(OpenApiTest, LlmsTxtListsOperations) {
  auto text = RenderLlmsTxt(OpenApiDocument());
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("- GET /v1/tiktok/trending/music: Trending Music (auth: apiKey)"),
            std::string::npos);
  EXPECT_NE(
      text->find("`period` (query, string, default \"7\"): Chart window in days: `7`, `30` or "
                 "`120`."),
      std::string::npos)
      << *text;
  // Admin operations show their required parameters and JSON body fields.
  EXPECT_NE(text->find("- POST /admin/v1/credits/grant: Grant credits (auth: adminToken)"),
            std::string::npos);
  EXPECT_NE(text->find("`key_id` (query, string, required)"), std::string::npos) << *text;
  EXPECT_NE(text->find("  JSON body:\n  - `key_id` (string, required)"), std::string::npos)
      << *text;
  EXPECT_NE(text->find("`grant_id` (string, required): Idempotency id of the grant."),
            std::string::npos)
      << *text;
}

}  // namespace
}  // namespace soundtrend::api
