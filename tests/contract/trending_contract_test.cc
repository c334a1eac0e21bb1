// GET /v1/tiktok/trending/music over a real socket (docs/api.md §1-§3, §6 ordering): defaults,
// every 400 rule, pagination, filters, search, JSON types, request ids.
//
// Data: api::testing::MakeDemoChartSet — US/7 has 130 ranked sounds (top 100 listed),
// every 3rd commercial, every 8th new to the top 100; GB/30 has 3; nothing elsewhere.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <set>
#include <string>
#include <vector>

#include "contract_util.h"
#include "serving_fixture.h"

namespace soundtrend::contract {
namespace {

constexpr char kPath[] = "/v1/tiktok/trending/music";

class TrendingContractTest : public ::testing::Test {
 protected:
  TrendingContractTest() : gateway_(MakeFakeGateway()), stack_(gateway_), client_(stack_.port) {}

  Reply Get(const std::string& query, const std::string& key = kKey) {
    return client_.Get(std::string(kPath) + (query.empty() ? "" : "?" + query), key);
  }

  // The ranks of a successful page, checking the envelope on the way.
  std::vector<int64_t> Ranks(const Reply& r) {
    std::vector<int64_t> ranks;
    Json json(r.body);
    EXPECT_EQ(r.status, 200) << r.body;
    CheckEnvelope(r, json);
    if (!json.ok || r.status != 200) return ranks;
    for (simdjson::dom::element item : json.root["data"]["sound_list"].get_array())
      ranks.push_back(int64_t(item["rank"]));
    return ranks;
  }

  struct Pagination {
    int64_t page = -1, size = -1, total = -1;
    bool has_more = false;
    size_t items = 0;
  };
  Pagination PageOf(const Reply& r) {
    Pagination p;
    Json json(r.body);
    EXPECT_EQ(r.status, 200) << r.body;
    if (!json.ok || r.status != 200) return p;
    simdjson::dom::element pg = json.root["data"]["pagination"];
    p.page = int64_t(pg["page"]);
    p.size = int64_t(pg["size"]);
    p.total = int64_t(pg["total"]);
    p.has_more = bool(pg["has_more"]);
    p.items = json.root["data"]["sound_list"].get_array().size();
    return p;
  }

  // A 400 with exactly `message`, costing nothing.
  void Expect400(const std::string& query, const std::string& message) {
    SCOPED_TRACE("query: " + query);
    Reply before = Get("limit=1");
    ASSERT_EQ(before.status, 200);
    const int64_t credits = std::stoll(before.Header("x-credits-remaining"));
    Reply r = Get(query);
    EXPECT_EQ(r.status, 400) << r.body;
    Json json(r.body);
    EXPECT_EQ(CheckEnvelope(r, json), message);
    EXPECT_EQ(r.Header("x-credits-remaining"), std::to_string(credits)) << "a 400 is free";
  }

  std::shared_ptr<api::testing::FakeGateway> gateway_;
  ServingStack stack_;
  TestClient client_;
};

std::string Without(const std::string& body, std::string_view request_id_field_start) {
  return body.substr(0, body.find(request_id_field_start));
}

TEST_F(TrendingContractTest, DefaultsAreTheReferenceExampleParameters) {
  Reply bare = Get("");
  Pagination p = PageOf(bare);
  EXPECT_EQ(p.page, 1);
  EXPECT_EQ(p.size, 20);
  EXPECT_EQ(p.total, 100);  // the top 100 of US / 7 days
  EXPECT_TRUE(p.has_more);
  EXPECT_EQ(p.items, 20u);
  std::vector<int64_t> expected;
  for (int i = 1; i <= 20; ++i) expected.push_back(i);
  EXPECT_EQ(Ranks(bare), expected);

  Reply explicit_defaults =
      Get("search_keyword=FALSE&page=1&limit=20&period=7&region=US&new_to_top_100=false&"
          "commercial_music=false");
  EXPECT_EQ(Without(explicit_defaults.body, "\"requestId\""), Without(bare.body, "\"requestId\""));
  Json json(bare.body);
  for (simdjson::dom::element item : json.root["data"]["sound_list"].get_array()) {
    EXPECT_EQ(std::string_view(item["country_code"]), "US");
    EXPECT_FALSE(bool(item["is_search"]));
  }
}

TEST_F(TrendingContractTest, EachParameterDefaultSeparately) {
  const std::string body = Without(Get("").body, "\"requestId\"");
  for (const char* q :
       {"search_keyword=FALSE", "search_keyword=false", "search_keyword=", "page=1", "limit=20",
        "period=7", "region=US", "region=us", "new_to_top_100=false", "new_to_top_100=FALSE",
        "commercial_music=false", "commercial_music=False", "unknown=1&another=x", "&&page=1&"}) {
    SCOPED_TRACE(q);
    Reply r = Get(q);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(Without(r.body, "\"requestId\""), body);
  }
}

TEST_F(TrendingContractTest, LimitAboveTwentyIsServedAsTwenty) {
  for (const char* q : {"limit=25", "limit=21", "limit=1000", "limit=99999999999999999999999"}) {
    SCOPED_TRACE(q);
    Pagination p = PageOf(Get(q));
    EXPECT_EQ(p.size, 20);
    EXPECT_EQ(p.items, 20u);
  }
  Pagination five = PageOf(Get("limit=5&page=2"));
  EXPECT_EQ(five.size, 5);
  EXPECT_EQ(five.items, 5u);
  EXPECT_EQ(Ranks(Get("limit=5&page=2")), (std::vector<int64_t>{6, 7, 8, 9, 10}));
}

TEST_F(TrendingContractTest, PagesUpToAndPastTheEnd) {
  Pagination last = PageOf(Get("page=5"));
  EXPECT_EQ(last.items, 20u);
  EXPECT_FALSE(last.has_more);
  EXPECT_EQ(Ranks(Get("page=5")).back(), 100);

  Pagination uneven = PageOf(Get("page=34&limit=3"));  // ranks 100 only
  EXPECT_EQ(uneven.items, 1u);
  EXPECT_FALSE(uneven.has_more);

  for (const char* q : {"page=6", "page=1000", "page=9223372036854775807&limit=20"}) {
    SCOPED_TRACE(q);
    Reply r = Get(q);
    Pagination p = PageOf(r);
    EXPECT_EQ(p.items, 0u);
    EXPECT_FALSE(p.has_more);
    EXPECT_EQ(p.total, 100);
    EXPECT_EQ(p.size, 20);
  }
  EXPECT_EQ(PageOf(Get("page=1000")).page, 1000);
  // A region with no chart is an empty page, not an error.
  Pagination empty = PageOf(Get("region=FR"));
  EXPECT_EQ(empty.total, 0);
  EXPECT_EQ(empty.items, 0u);
}

TEST_F(TrendingContractTest, EveryBadParameterIs400WithTheSpecMessage) {
  const std::string page = "Invalid parameter: page must be an integer >= 1";
  const std::string limit = "Invalid parameter: limit must be an integer >= 1";
  const std::string period = "Invalid parameter: period must be one of 7, 30, 120";
  const std::string region =
      "Invalid parameter: region must be a region code of GET /v1/tiktok/regions";
  for (const char* q :
       {"page=0", "page=-1", "page=abc", "page=1.5", "page=", "page=+1", "page=%201"})
    Expect400(q, page);
  for (const char* q : {"limit=0", "limit=-3", "limit=x", "limit=2.0", "limit="})
    Expect400(q, limit);
  for (const char* q : {"period=8", "period=0", "period=abc", "period=", "period=365", "period=-7"})
    Expect400(q, period);
  for (const char* q : {"region=XX", "region=UK", "region=", "region=USA", "region=U%20S"})
    Expect400(q, region);
  for (const char* q : {"new_to_top_100=yes", "new_to_top_100=1", "new_to_top_100="})
    Expect400(q, "Invalid parameter: new_to_top_100 must be true or false");
  for (const char* q : {"commercial_music=no", "commercial_music=0", "commercial_music=truee"})
    Expect400(q, "Invalid parameter: commercial_music must be true or false");
  Expect400("page=1&page=2", "Invalid parameter: page must not be given more than once");
  Expect400("region=US&region=US", "Invalid parameter: region must not be given more than once");
  Expect400("search_keyword=%FF%FE", "Invalid parameter: search_keyword must be valid UTF-8");
  Expect400("search_keyword=%G1",
            "Invalid parameter: search_keyword has a malformed percent-encoding");
}

TEST_F(TrendingContractTest, ParameterValuesAreCaseInsensitive) {
  Reply gb = Get("region=gb&period=30");
  EXPECT_EQ(Ranks(gb), (std::vector<int64_t>{1, 2, 3}));
  Json json(gb.body);
  for (simdjson::dom::element item : json.root["data"]["sound_list"].get_array()) {
    EXPECT_EQ(std::string_view(item["country_code"]), "GB");
    EXPECT_EQ(item["trend"].get_array().size(), 30u);
  }
  EXPECT_EQ(PageOf(Get("new_to_top_100=TRUE")).total, PageOf(Get("new_to_top_100=true")).total);
  EXPECT_EQ(PageOf(Get("commercial_music=True")).total, 33);
}

TEST_F(TrendingContractTest, CommercialMusicFilterKeepsOnlyCommercialSoundsAndTheirRanks) {
  std::vector<int64_t> ranks;
  for (int page = 1; page <= 2; ++page) {
    Reply r = Get("commercial_music=true&page=" + std::to_string(page));
    Json json(r.body);
    for (simdjson::dom::element item : json.root["data"]["sound_list"].get_array()) {
      EXPECT_TRUE(bool(item["if_cml"]));
      ranks.push_back(int64_t(item["rank"]));
    }
  }
  std::vector<int64_t> expected;
  for (int rank = 3; rank <= 100; rank += 3) expected.push_back(rank);  // every 3rd is commercial
  EXPECT_EQ(ranks, expected);
  Pagination p = PageOf(Get("commercial_music=true&page=2"));
  EXPECT_EQ(p.total, 33);
  EXPECT_FALSE(p.has_more);
}

TEST_F(TrendingContractTest, NewToTop100FilterAndBothFilters) {
  std::vector<int64_t> expected;
  for (int rank = 8; rank <= 100; rank += 8) expected.push_back(rank);  // every 8th is new
  EXPECT_EQ(Ranks(Get("new_to_top_100=true")), expected);
  EXPECT_EQ(Ranks(Get("new_to_top_100=true&commercial_music=true")),
            (std::vector<int64_t>{24, 48, 72, 96}));
  Reply r = Get("new_to_top_100=true");
  Json json(r.body);
  for (simdjson::dom::element item : json.root["data"]["sound_list"].get_array()) {
    EXPECT_EQ(int64_t(item["rank_diff_type"]), 4);  // new to the top 100 implies new
  }
}

TEST_F(TrendingContractTest, SearchIsCaseAndAccentInsensitiveOverTheWholeRanking) {
  // "Beyoncé" (rank 2, author), "BEYONCE" (rank 5), "Halo (Beyoncé cover)" (rank 120,
  // outside the top 100: only search finds it).
  for (const char* q : {"search_keyword=beyonce", "search_keyword=BEYONC%C3%89",
                        "search_keyword=Beyonc%C3%A9", "search_keyword=bEyOnCe"}) {
    SCOPED_TRACE(q);
    Reply r = Get(q);
    EXPECT_EQ(Ranks(r), (std::vector<int64_t>{2, 5, 120}));
    Pagination p = PageOf(r);
    EXPECT_EQ(p.total, 3);
    EXPECT_FALSE(p.has_more);
    Json json(r.body);
    for (simdjson::dom::element item : json.root["data"]["sound_list"].get_array()) {
      EXPECT_TRUE(bool(item["is_search"]));
      EXPECT_EQ(std::string_view(item["country_code"]), "US");
    }
  }
  // Title with accents, '+' and %20 as spaces.
  EXPECT_EQ(Ranks(Get("search_keyword=deja+vu")), (std::vector<int64_t>{2}));
  EXPECT_EQ(Ranks(Get("search_keyword=D%C3%89J%C3%80%20VU")), (std::vector<int64_t>{2}));
  EXPECT_EQ(Ranks(Get("search_keyword=unicode")), (std::vector<int64_t>{3}));  // "Ünïcödé"
  EXPECT_EQ(Ranks(Get("search_keyword=%C3%BCn%C3%AFc%C3%B6d%C3%A9")), (std::vector<int64_t>{3}));
  // Filters and pagination apply to search results.
  EXPECT_EQ(Ranks(Get("search_keyword=beyonce&commercial_music=true")),
            (std::vector<int64_t>{120}));
  EXPECT_EQ(Ranks(Get("search_keyword=beyonce&limit=2&page=2")), (std::vector<int64_t>{120}));
  Pagination first = PageOf(Get("search_keyword=beyonce&limit=2"));
  EXPECT_TRUE(first.has_more);
  EXPECT_EQ(first.size, 2);
  // No match: an empty success.
  Pagination none = PageOf(Get("search_keyword=zzzz-no-such-sound"));
  EXPECT_EQ(none.total, 0);
  EXPECT_EQ(none.items, 0u);
  // Broad search: every "Song N" of the 130 ranked sounds, not only the top 100.
  EXPECT_GT(PageOf(Get("search_keyword=song")).total, 100);
}

// docs/api.md §3: every field with its JSON type, on every item of every page.
void CheckItem(simdjson::dom::element item, bool is_search, std::string_view region) {
  using simdjson::dom::element_type;
  static const std::set<std::string> kFields = {
      "author", "clip_id",   "country_code",   "cover",         "duration",
      "if_cml", "is_search", "link",           "on_list_times", "promoted",
      "rank",   "rank_diff", "rank_diff_type", "related_items", "song_id",
      "title",  "trend",     "url_title",      "usage_count"};
  std::set<std::string> fields;
  for (auto [key, value] : item.get_object()) fields.insert(std::string(key));
  EXPECT_EQ(fields, kFields);

  EXPECT_EQ(TypeOf(item["author"]), element_type::STRING);
  std::string_view clip_id = item["clip_id"];
  EXPECT_TRUE(IsDigits(clip_id)) << clip_id;
  EXPECT_EQ(std::string_view(item["country_code"]), region);
  EXPECT_EQ(TypeOf(item["cover"]), element_type::STRING);
  EXPECT_EQ(TypeOf(item["duration"]), element_type::INT64);
  EXPECT_EQ(TypeOf(item["if_cml"]), element_type::BOOL);
  EXPECT_EQ(bool(item["is_search"]), is_search);
  EXPECT_EQ(std::string_view(item["link"]),
            "https://www.tiktok.com/music/x-" + std::string(clip_id));
  EXPECT_TRUE(TypeOf(item["on_list_times"]) == element_type::INT64 ||
              item["on_list_times"].is_null());
  EXPECT_EQ(TypeOf(item["promoted"]), element_type::BOOL);
  EXPECT_EQ(TypeOf(item["rank"]), element_type::INT64);
  EXPECT_GE(int64_t(item["rank"]), 1);
  const int64_t type = item["rank_diff_type"];
  EXPECT_GE(type, 1);
  EXPECT_LE(type, 4);
  if (type == 4) {
    EXPECT_TRUE(item["rank_diff"].is_null());
  } else {
    EXPECT_EQ(TypeOf(item["rank_diff"]), element_type::INT64);
    EXPECT_GE(int64_t(item["rank_diff"]), 0);
    if (type == 2) {
      EXPECT_EQ(int64_t(item["rank_diff"]), 0);
    }
  }
  simdjson::dom::element related = item["related_items"];
  if (!related.is_null()) {
    simdjson::dom::array videos = related.get_array();
    EXPECT_GE(videos.size(), 1u);
    EXPECT_LE(videos.size(), 4u);
    for (simdjson::dom::element v : videos) {
      EXPECT_TRUE(IsDigits(std::string_view(v["item_id"])));
      EXPECT_EQ(TypeOf(v["cover_uri"]), element_type::STRING);
      EXPECT_EQ(v.get_object().size(), 2u);
    }
  }
  EXPECT_TRUE(IsDigits(std::string_view(item["song_id"])));
  EXPECT_EQ(TypeOf(item["title"]), element_type::STRING);
  int64_t previous_time = 0;
  double max_value = 0;
  for (simdjson::dom::element point : item["trend"].get_array()) {
    EXPECT_EQ(TypeOf(point["time"]), element_type::INT64);
    const int64_t time = point["time"];
    EXPECT_EQ(time % 86400, 0) << "00:00 UTC";
    EXPECT_GT(time, previous_time) << "oldest first";
    previous_time = time;
    const double value = point["value"];  // INT64 (0, 1) or DOUBLE
    EXPECT_GE(value, 0.0);
    EXPECT_LE(value, 1.0);
    EXPECT_NEAR(value * 100, std::round(value * 100), 1e-9) << "two decimals";
    max_value = std::max(max_value, value);
  }
  EXPECT_EQ(max_value, 1.0);
  EXPECT_EQ(TypeOf(item["url_title"]), element_type::STRING);
  EXPECT_EQ(TypeOf(item["usage_count"]), element_type::INT64);
}

TEST_F(TrendingContractTest, EveryFieldHasItsJsonType) {
  for (int page = 1; page <= 5; ++page) {
    Reply r = Get("page=" + std::to_string(page));
    Json json(r.body);
    CheckEnvelope(r, json);
    simdjson::dom::element data = json.root["data"];
    EXPECT_EQ(data.get_object().size(), 2u);
    simdjson::dom::element pagination = data["pagination"];
    EXPECT_EQ(TypeOf(pagination["page"]), simdjson::dom::element_type::INT64);
    EXPECT_EQ(TypeOf(pagination["size"]), simdjson::dom::element_type::INT64);
    EXPECT_EQ(TypeOf(pagination["total"]), simdjson::dom::element_type::INT64);
    EXPECT_EQ(TypeOf(pagination["has_more"]), simdjson::dom::element_type::BOOL);
    for (simdjson::dom::element item : data["sound_list"].get_array()) CheckItem(item, false, "US");
  }
  Reply search = Get("search_keyword=song&limit=20&page=6");  // ranks beyond 100 included
  Json json(search.body);
  for (simdjson::dom::element item : json.root["data"]["sound_list"].get_array())
    CheckItem(item, true, "US");
  // The reference example's sound renders with its slug.
  Json first(Get("limit=1").body);
  simdjson::dom::element sound = first.root["data"]["sound_list"].at(0);
  EXPECT_EQ(std::string_view(sound["title"]), "New Sun");
  EXPECT_EQ(std::string_view(sound["url_title"]), "New-Sun");
}

TEST_F(TrendingContractTest, RequestIdIsTheSameInHeaderAndBodyAndUniquePerRequest) {
  std::set<std::string> ids;
  for (const std::string& q : {std::string(""), std::string("period=9"), std::string("limit=1")}) {
    Reply r = Get(q);
    Json json(r.body);
    CheckEnvelope(r, json);
    ids.insert(r.Header("x-request-id"));
  }
  Reply unauthenticated = Get("", "");
  Json json(unauthenticated.body);
  CheckEnvelope(unauthenticated, json);
  ids.insert(unauthenticated.Header("x-request-id"));
  EXPECT_EQ(ids.size(), 4u);
}

TEST_F(TrendingContractTest, KeyErrorsComeInSpecOrderBeforeParametersAndBalance) {
  struct Case {
    std::string authorization;
    std::string query;
    int status;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "", 401, "apiKey is null"},
      {"", "period=8", 401, "apiKey is null"},
      {"Bearer", "", 401, "apiKey is null"},
      {"Basic abc", "", 401, "apiKey is null"},
      {std::string("bearer-less ") + kKey, "", 401, "apiKey is null"},
      {"Bearer sk_live_unknownunknownunknownunknown12", "", 401, "apiKey is invalid"},
      {"Bearer sk_live_unknownunknownunknownunknown12", "period=8", 401, "apiKey is invalid"},
      {std::string("Bearer ") + kForbiddenKey, "", 403,
       "apiKey is not allowed to access this endpoint"},
      {std::string("Bearer ") + kForbiddenKey, "period=8", 403,
       "apiKey is not allowed to access this endpoint"},
      {std::string("Bearer ") + kLimitedKey, "", 429, "qps limit exceeded"},
      {std::string("Bearer ") + kLimitedKey, "period=8", 429, "qps limit exceeded"},
      {std::string("Bearer ") + kPoorKey, "period=8", 400,
       "Invalid parameter: period must be one of 7, 30, 120"},
      {std::string("Bearer ") + kPoorKey, "", 402, "apiKey quota is not enough"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.authorization + " ? " + c.query);
    std::vector<std::pair<std::string, std::string>> headers;
    if (!c.authorization.empty()) headers.emplace_back("Authorization", c.authorization);
    Reply r = client_.Request("GET", std::string(kPath) + "?" + c.query, headers);
    EXPECT_EQ(r.status, c.status);
    Json json(r.body);
    EXPECT_EQ(CheckEnvelope(r, json), c.message);
    const bool authenticated = c.status != 401;
    EXPECT_EQ(r.Header("ratelimit") != "<absent>", authenticated);
    EXPECT_EQ(r.Header("ratelimit-policy") != "<absent>", authenticated);
    EXPECT_EQ(r.Header("x-credits-remaining") != "<absent>", authenticated);
    EXPECT_EQ(r.Header("retry-after") != "<absent>", c.status == 429);
  }
}

TEST_F(TrendingContractTest, ASuccessCostsTwoCreditsAndCarriesTheGatewayHeaders) {
  Reply a = Get("limit=1");
  Reply b = Get("limit=1");
  ASSERT_EQ(a.status, 200);
  ASSERT_EQ(b.status, 200);
  EXPECT_EQ(std::stoll(a.Header("x-credits-remaining")) - 2,
            std::stoll(b.Header("x-credits-remaining")));
  EXPECT_NE(b.Header("ratelimit"), "<absent>");
  EXPECT_NE(b.Header("ratelimit-policy"), "<absent>");
  EXPECT_EQ(gateway_->commits(), 2);
}

TEST_F(TrendingContractTest, KeepAliveServesManyRequestsOnOneConnection) {
  for (int i = 0; i < 50; ++i) {
    Reply r = Get("limit=1&page=" + std::to_string(i % 100 + 1));
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(r.keep_alive);
  }
}

}  // namespace
}  // namespace soundtrend::contract
