#include "api/render.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "api/test_doubles.h"

namespace soundtrend::api {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

TEST(UrlSlugTest, Examples) {
  EXPECT_EQ(UrlSlug("New Sun"), "New-Sun");
  EXPECT_EQ(UrlSlug("Don't Stop (Remix)"), "Don-t-Stop-Remix");
  EXPECT_EQ(UrlSlug("  spaced   out  "), "spaced-out");
  EXPECT_EQ(UrlSlug("Déjà Vu"), "Déjà-Vu");
  EXPECT_EQ(UrlSlug("!!!"), "sound");
  EXPECT_EQ(UrlSlug("a/b?c#d"), "a-b-c-d");
}

TEST(SoundLinkTest, UsesClipId) {
  EXPECT_EQ(SoundLink(6703723351497508865ULL),
            "https://www.tiktok.com/music/x-6703723351497508865");
}

element Render(const engine::ChartEntry& e, bool is_search, simdjson::dom::parser& parser,
               std::string& storage) {
  storage.clear();
  AppendSoundJson(storage, e, "US", is_search);
  return parser.parse(storage);
}

TEST(AppendSoundJsonTest, EveryFieldHasItsJsonType) {
  engine::ChartEntry e = testing::MakeEntry(1, "New Sun", "Chihei Hatakeyama", 20000);
  simdjson::dom::parser parser;
  std::string storage;
  element doc = Render(e, false, parser, storage);
  EXPECT_EQ(doc["author"].type().value_unsafe(), element_type::STRING);
  EXPECT_EQ(doc["clip_id"].type().value_unsafe(), element_type::STRING);
  EXPECT_EQ(std::string_view(doc["clip_id"]), std::to_string(e.sound->clip_id));
  EXPECT_EQ(std::string_view(doc["country_code"]), "US");
  EXPECT_EQ(doc["cover"].type().value_unsafe(), element_type::STRING);
  EXPECT_EQ(doc["duration"].type().value_unsafe(), element_type::INT64);
  EXPECT_EQ(doc["if_cml"].type().value_unsafe(), element_type::BOOL);
  EXPECT_EQ(doc["is_search"].type().value_unsafe(), element_type::BOOL);
  EXPECT_FALSE(bool(doc["is_search"]));
  EXPECT_EQ(std::string_view(doc["link"]), SoundLink(e.sound->clip_id));
  EXPECT_EQ(doc["on_list_times"].type().value_unsafe(), element_type::INT64);
  EXPECT_EQ(doc["promoted"].type().value_unsafe(), element_type::BOOL);
  EXPECT_EQ(int64_t(doc["rank"]), 1);
  EXPECT_EQ(doc["rank_diff"].type().value_unsafe(), element_type::INT64);
  EXPECT_EQ(int64_t(doc["rank_diff_type"]), 1);
  EXPECT_EQ(doc["related_items"].type().value_unsafe(), element_type::ARRAY);
  element first_related = doc["related_items"].at(0);
  EXPECT_EQ(first_related["item_id"].type().value_unsafe(), element_type::STRING);
  EXPECT_EQ(first_related["cover_uri"].type().value_unsafe(), element_type::STRING);
  EXPECT_EQ(doc["song_id"].type().value_unsafe(), element_type::STRING);
  EXPECT_EQ(std::string_view(doc["title"]), "New Sun");
  EXPECT_EQ(doc["trend"].type().value_unsafe(), element_type::ARRAY);
  simdjson::dom::array trend = doc["trend"];
  EXPECT_EQ(trend.size(), 7u);
  for (element p : trend) {
    EXPECT_EQ(p["time"].type().value_unsafe(), element_type::INT64);
    const element_type t = p["value"].type().value_unsafe();
    EXPECT_TRUE(t == element_type::DOUBLE || t == element_type::INT64);
  }
  EXPECT_EQ(std::string_view(doc["url_title"]), "New-Sun");
  EXPECT_EQ(doc["usage_count"].type().value_unsafe(), element_type::INT64);
}

TEST(AppendSoundJsonTest, NullsWhenUnknownOrNew) {
  engine::ChartEntry e = testing::MakeEntry(20, "X", "Y", 20000);  // rank%4==0: new; %5==0
  e.related.clear();
  ASSERT_FALSE(e.rank_diff.has_value());
  ASSERT_FALSE(e.on_list_times.has_value());
  simdjson::dom::parser parser;
  std::string storage;
  element doc = Render(e, true, parser, storage);
  EXPECT_TRUE(doc["rank_diff"].is_null());
  EXPECT_EQ(int64_t(doc["rank_diff_type"]), 4);
  EXPECT_TRUE(doc["on_list_times"].is_null());
  EXPECT_TRUE(doc["related_items"].is_null());
  EXPECT_TRUE(bool(doc["is_search"]));
}

TEST(AppendSoundJsonTest, TrendValuesHaveAtMostTwoDecimalsAndIdsKeepPrecision) {
  engine::ChartEntry e = testing::MakeEntry(1, "t", "a", 20000);
  e.trend = {{1769472000, 6}, {1769558400, 30}, {1769644800, 100}, {1769731200, 0}};
  std::string out;
  AppendSoundJson(out, e, "US", false);
  EXPECT_NE(out.find(R"("trend":[{"time":1769472000,"value":0.06},{"time":1769558400,"value":0.3},)"
                     R"({"time":1769644800,"value":1},{"time":1769731200,"value":0}])"),
            std::string::npos)
      << out;
  // 7000000000000000001 > 2^53: must be a string, digit for digit.
  EXPECT_NE(out.find("\"clip_id\":\"7000000000000000001\""), std::string::npos);
}

TEST(AppendSoundJsonTest, EscapesText) {
  engine::ChartEntry e = testing::MakeEntry(1, "a \"b\" \\ c\n", "Ü", 20000);
  simdjson::dom::parser parser;
  std::string storage;
  element doc = Render(e, false, parser, storage);
  EXPECT_EQ(std::string_view(doc["title"]), "a \"b\" \\ c\n");
  EXPECT_EQ(std::string_view(doc["author"]), "Ü");
}

}  // namespace
}  // namespace soundtrend::api
