// Issue 11 over a real socket: GET /v1/tiktok/trending/music/detail (docs/api.md §7), rank_type
// (docs/api.md §8) and as_of (docs/api.md §9) on the list, and the free route with the available
// days. Every 400, the 404, charging (a 200 costs 2 credits, a 400 / 404 nothing, 402 after 400 /
// 404), search on surging, the as_of range message.
//
// Data (the real engine, hand-made): days kFirst..kDay (14 days), US and JP.
//  - 1001 "Steady Song": 20 uses a day in US every day, 5 a day in JP; popular, not surging.
//  - 1002 "Breakout Anthem": nothing until kDay-3, then 40 a day in US (u = 160, p = 0).
//  - 1003 "Slow Riser": US 2 a day in the week before, 12 a day in the last week.
//  - 1004 "Catalog Only" with a music_url: in the catalog, never used.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "api/sound_detail.h"
#include "contract_util.h"
#include "engine/chart_engine.h"
#include "serving_fixture.h"

namespace soundtrend::contract {
namespace {

constexpr Day kDay = 20500;  // 2026-02-16
constexpr Day kFirst = kDay - 13;
constexpr char kList[] = "/v1/tiktok/trending/music";
constexpr char kDetail[] = "/v1/tiktok/trending/music/detail";

std::shared_ptr<const engine::ChartSet> MakeCharts() {
  engine::ChartEngine engine;
  auto sound = [&](uint64_t clip, std::string title, std::string url = "") {
    SoundRecord s;
    s.clip_id = clip;
    s.song_id = clip + 50000;
    s.title = std::move(title);
    s.author = "Artist " + std::to_string(clip);
    s.cover = "https://example.com/" + std::to_string(clip) + ".jpeg";
    s.duration = 30;
    s.music_url = std::move(url);
    engine.AddSound(s);
  };
  sound(1001, "Steady Song");
  sound(1002, "Breakout Anthem");
  sound(1003, "Slow Riser");
  sound(1004, "Catalog Only", "https://example.com/audio/1004.mp3");
  const RegionId us = *FindRegion("US"), jp = *FindRegion("JP");
  for (Day d = kFirst; d <= kDay; ++d) {
    engine.AddDailyUses({1001, us, d, 20});
    engine.AddDailyUses({1001, jp, d, 5});
    if (d > kDay - 4) engine.AddDailyUses({1002, us, d, 40});
    engine.AddDailyUses({1003, us, d, d > kDay - 7 ? 12 : 2});
  }
  return engine.Publish(kDay, nullptr);
}

class DetailContractTest : public ::testing::Test {
 protected:
  DetailContractTest() : gateway_(MakeFakeGateway()), stack_(gateway_), client_(stack_.port) {
    stack_.snapshots.Publish(api::ServingSnapshot::Build(MakeCharts(), 1));
  }

  Reply Get(const char* path, const std::string& query, const std::string& key = kKey) {
    return client_.Get(std::string(path) + (query.empty() ? "" : "?" + query), key);
  }
  int64_t Credits() {
    Reply r = Get(kList, "limit=1");
    EXPECT_EQ(r.status, 200);
    return std::stoll(r.Header("x-credits-remaining"));
  }
  // An error with exactly `message`, costing nothing.
  void ExpectError(const char* path, const std::string& query, int status,
                   const std::string& message, const std::string& key = kKey) {
    SCOPED_TRACE(std::string(path) + "?" + query);
    const int64_t credits = Credits();
    const int64_t commits = gateway_->commits();
    Reply r = Get(path, query, key);
    EXPECT_EQ(r.status, status) << r.body;
    Json json(r.body);
    EXPECT_EQ(CheckEnvelope(r, json), message);
    EXPECT_EQ(gateway_->commits(), commits) << "an error is not charged";
    EXPECT_EQ(Credits(), credits - 2) << "only the probe was charged";
  }
  // The clip ids of a 200 list page.
  std::vector<std::string> Clips(const Reply& r) {
    std::vector<std::string> clips;
    EXPECT_EQ(r.status, 200) << r.body;
    Json json(r.body);
    CheckEnvelope(r, json);
    if (r.status != 200 || !json.ok) return clips;
    for (simdjson::dom::element item : json.root["data"]["sound_list"].get_array())
      clips.emplace_back(std::string_view(item["clip_id"]));
    return clips;
  }

  std::shared_ptr<api::testing::FakeGateway> gateway_;
  ServingStack stack_;
  TestClient client_;
};

TEST_F(DetailContractTest, DetailHasEveryFieldAndCostsTwoCredits) {
  const int64_t credits = Credits();
  Reply r = Get(kDetail, "clip_id=1001&region=us&period=7");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(std::stoll(r.Header("x-credits-remaining")), credits - 2);
  EXPECT_FALSE(r.Header("ratelimit-policy").empty());
  Json json(r.body);
  CheckEnvelope(r, json);
  simdjson::dom::element data = json.root["data"];
  EXPECT_TRUE(data["disliked"].is_null());
  EXPECT_TRUE(data["like_count"].is_null());
  EXPECT_TRUE(data["liked"].is_null());
  simdjson::dom::element s = data["sound"];
  EXPECT_EQ(std::string_view(s["clip_id"]), "1001");
  EXPECT_EQ(std::string_view(s["country_code"]), "US");
  EXPECT_FALSE(bool(s["is_search"]));
  EXPECT_EQ(int64_t(s["usage_count"]), 140);
  EXPECT_TRUE(s["audience_ages"].is_null());
  EXPECT_TRUE(s["audience_interests"].is_null());
  EXPECT_TRUE(s["music_url"].is_null());
  simdjson::dom::array audience = s["audience_countries"];
  ASSERT_EQ(audience.size(), 2u);
  EXPECT_EQ(std::string_view(audience.at(0)["country_info"]["id"]), "6252001");
  EXPECT_EQ(std::string_view(audience.at(0)["country_info"]["label"]), "US");
  EXPECT_EQ(std::string_view(audience.at(0)["country_info"]["value"]), "United States");
  EXPECT_EQ(int64_t(audience.at(0)["score"]), 140);
  EXPECT_EQ(std::string_view(audience.at(1)["country_info"]["id"]), "1861060");
  EXPECT_EQ(int64_t(audience.at(1)["score"]), 35);
  EXPECT_EQ(int64_t(s["longevity"]["popular_days"]), 14);
  EXPECT_EQ(double(s["longevity"]["current_popularity"]), 1.0);
  EXPECT_EQ(int64_t(s["on_list_times"]), 14);
  EXPECT_EQ(int64_t(s["streak"]), 14);
  EXPECT_EQ(std::string_view(s["first_listed"]), FormatDay(kFirst));
  EXPECT_EQ(simdjson::dom::array(s["rank_history"]).size(), 7u);
  simdjson::dom::array uses = s["usage_by_day"];
  ASSERT_EQ(uses.size(), 7u);
  EXPECT_EQ(int64_t(uses.at(6)["time"]), DayStartUnixSeconds(kDay));
  EXPECT_EQ(int64_t(uses.at(6)["uses"]), 20);
}

TEST_F(DetailContractTest, UnusedCatalogSoundHasNullRankAndItsMusicUrl) {
  Reply r = Get(kDetail, "clip_id=1004");
  ASSERT_EQ(r.status, 200) << r.body;
  Json json(r.body);
  simdjson::dom::element s = json.root["data"]["sound"];
  EXPECT_TRUE(s["rank"].is_null());
  EXPECT_EQ(int64_t(s["usage_count"]), 0);
  EXPECT_EQ(simdjson::dom::array(s["trend"]).size(), 0u);
  EXPECT_EQ(simdjson::dom::array(s["audience_countries"]).size(), 0u);
  EXPECT_EQ(std::string_view(s["music_url"]), "https://example.com/audio/1004.mp3");
  EXPECT_TRUE(s["peak_rank"].is_null());
  EXPECT_TRUE(s["peak_date"].is_null());
  EXPECT_TRUE(s["first_listed"].is_null());
  EXPECT_EQ(int64_t(s["streak"]), 0);
}

TEST_F(DetailContractTest, EveryDetail400AndThe404) {
  const std::string range =
      "Invalid parameter: as_of must be a day from " + FormatDay(kFirst) + " to " + FormatDay(kDay);
  ExpectError(kDetail, "", 400, "Invalid parameter: clip_id is required");
  ExpectError(kDetail, "clip_id=", 400, "Invalid parameter: clip_id is required");
  for (const char* bad : {"clip_id=abc", "clip_id=-5", "clip_id=0", "clip_id=1e3",
                          "clip_id=99999999999999999999999"}) {
    ExpectError(kDetail, bad, 400, "Invalid parameter: clip_id must be a sound id (digits, > 0)");
  }
  ExpectError(kDetail, "clip_id=1001&clip_id=1002", 400,
              "Invalid parameter: clip_id must not be given more than once");
  ExpectError(kDetail, "clip_id=1001&period=14", 400,
              "Invalid parameter: period must be one of 7, 30, 120");
  ExpectError(kDetail, "clip_id=1001&region=UK", 400,
              "Invalid parameter: region must be a region code of GET /v1/tiktok/regions");
  ExpectError(kDetail, "clip_id=1001&as_of=" + FormatDay(kDay + 1), 400, range);
  ExpectError(kDetail, "clip_id=1001&as_of=" + FormatDay(kFirst - 1), 400, range);
  ExpectError(kDetail, "clip_id=1001&as_of=yesterday", 400, range);
  ExpectError(kDetail, "clip_id=1001&as_of=2026-02-30", 400, range);
  ExpectError(kDetail, "clip_id=9999", 404, "sound not found");
}

TEST_F(DetailContractTest, GatewayChecksComeFirstAndCreditLast) {
  ExpectError(kDetail, "clip_id=1001", 401, "apiKey is null", "");
  ExpectError(kDetail, "clip_id=1001", 401, "apiKey is invalid",
              "sk_live_nosuchkeynosuchkeynosuchkey0");
  ExpectError(kDetail, "clip_id=abc", 403, "apiKey is not allowed to access this endpoint",
              kForbiddenKey);
  // The poor key has 1 credit: a bad parameter and an unknown sound say so, a good request 402.
  ExpectError(kDetail, "clip_id=abc", 400,
              "Invalid parameter: clip_id must be a sound id (digits, > 0)", kPoorKey);
  ExpectError(kDetail, "clip_id=9999", 404, "sound not found", kPoorKey);
  ExpectError(kDetail, "clip_id=1001", 402, "apiKey quota is not enough", kPoorKey);
}

TEST_F(DetailContractTest, DetailAsOfAnswersThePastDay) {
  Reply r = Get(kDetail, "clip_id=1002&as_of=" + FormatDay(kDay - 4));
  ASSERT_EQ(r.status, 200) << r.body;
  Json json(r.body);
  simdjson::dom::element s = json.root["data"]["sound"];
  EXPECT_TRUE(s["rank"].is_null());  // no use yet in that window
  EXPECT_EQ(int64_t(s["usage_count"]), 0);
  Reply now = Get(kDetail, "clip_id=1002");
  Json now_json(now.body);
  EXPECT_EQ(int64_t(now_json.root["data"]["sound"]["usage_count"]), 160);
  EXPECT_EQ(int64_t(now_json.root["data"]["sound"]["rank"]), 1);
}

TEST_F(DetailContractTest, SurgingChartHasGrowthAndItsOwnRanks) {
  Reply r = Get(kList, "rank_type=SURGING");
  std::vector<std::string> clips = Clips(r);
  EXPECT_EQ(clips, (std::vector<std::string>{"1002", "1003"}));
  Json json(r.body);
  simdjson::dom::array list = json.root["data"]["sound_list"];
  // 1002: (160 + 10) / (0 + 10) = 17; 1003: (84 + 10) / (14 + 10) = 3.916... -> 3.92.
  EXPECT_EQ(double(list.at(0)["growth"]), 17.0);
  EXPECT_EQ(int64_t(list.at(0)["rank"]), 1);
  EXPECT_EQ(double(list.at(1)["growth"]), 3.92);
  EXPECT_EQ(int64_t(list.at(1)["usage_count"]), 84);
  // The popular chart has no growth and lists the steady sound.
  Reply popular = Get(kList, "rank_type=popular");
  Json pj(popular.body);
  for (simdjson::dom::element item : pj.root["data"]["sound_list"].get_array()) {
    simdjson::dom::element g;
    EXPECT_NE(item["growth"].get(g), simdjson::SUCCESS);
  }
  EXPECT_EQ(Clips(popular).size(), 3u);
  EXPECT_EQ(Clips(Get(kList, "")), Clips(popular));
}

TEST_F(DetailContractTest, SearchOnSurging) {
  Reply r = Get(kList, "rank_type=surging&search_keyword=riser");
  EXPECT_EQ(Clips(r), std::vector<std::string>{"1003"});
  Json json(r.body);
  simdjson::dom::element item = json.root["data"]["sound_list"].at(0);
  EXPECT_TRUE(bool(item["is_search"]));
  EXPECT_EQ(int64_t(item["rank"]), 2);  // its place in the surging chart
  EXPECT_EQ(double(item["growth"]), 3.92);
  // "Steady" is not eligible for the surging chart: no hit there, one on the popular one.
  EXPECT_TRUE(Clips(Get(kList, "rank_type=surging&search_keyword=steady")).empty());
  EXPECT_EQ(Clips(Get(kList, "search_keyword=steady")), std::vector<std::string>{"1001"});
}

TEST_F(DetailContractTest, ListRankTypeAndAsOf400s) {
  const std::string range =
      "Invalid parameter: as_of must be a day from " + FormatDay(kFirst) + " to " + FormatDay(kDay);
  ExpectError(kList, "rank_type=breakout", 400,
              "Invalid parameter: rank_type must be popular or surging");
  ExpectError(kList, "rank_type=popular&rank_type=surging", 400,
              "Invalid parameter: rank_type must not be given more than once");
  ExpectError(kList, "as_of=" + FormatDay(kFirst - 1), 400, range);
  ExpectError(kList, "as_of=" + FormatDay(kDay + 1), 400, range);
  ExpectError(kList, "as_of=16-02-2026", 400, range);
  ExpectError(kList, "rank_type=surging&as_of=", 400, range);
  ExpectError(kList, "as_of=2026-02-16&as_of=2026-02-15", 400,
              "Invalid parameter: as_of must not be given more than once");
}

TEST_F(DetailContractTest, AsOfOnTheFirstAndLastDayAndASearchOfThePast) {
  // The last day is the default.
  EXPECT_EQ(Clips(Get(kList, "as_of=" + FormatDay(kDay))), Clips(Get(kList, "")));
  // The first day: two sounds used, no surging one (no previous window with 50 uses).
  EXPECT_EQ(Clips(Get(kList, "as_of=" + FormatDay(kFirst))),
            (std::vector<std::string>{"1001", "1003"}));
  // Four days ago 1002 had no use; its breakout came after.
  Reply past = Get(kList, "rank_type=surging&as_of=" + FormatDay(kDay - 4));
  for (const std::string& clip : Clips(past)) EXPECT_NE(clip, "1002");
  EXPECT_TRUE(Clips(Get(kList, "search_keyword=anthem&as_of=" + FormatDay(kDay - 4))).empty());
  EXPECT_EQ(Clips(Get(kList, "search_keyword=anthem&as_of=" + FormatDay(kDay - 3))),
            std::vector<std::string>{"1002"});
  // Asked again: the same answer (from the cache).
  Reply again = Get(kList, "rank_type=surging&as_of=" + FormatDay(kDay - 4));
  EXPECT_EQ(Clips(again), Clips(past));
}

TEST_F(DetailContractTest, EditionsRouteIsFreeAndShowsTheRange) {
  Reply r = client_.Get("/v1/tiktok/trending/music/editions", "");
  ASSERT_EQ(r.status, 200) << r.body;
  Json json(r.body);
  CheckEnvelope(r, json);
  EXPECT_EQ(std::string_view(json.root["data"]["first_day"]), FormatDay(kFirst));
  EXPECT_EQ(std::string_view(json.root["data"]["last_day"]), FormatDay(kDay));
  EXPECT_EQ(simdjson::dom::array(json.root["data"]["rank_types"]).size(), 2u);
}

}  // namespace
}  // namespace soundtrend::contract
