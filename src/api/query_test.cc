#include "api/query.h"

#include <gtest/gtest.h>

#include "common/json_writer.h"

namespace soundtrend::api {
namespace {

TrendingQuery ParseOk(std::string_view q) {
  auto r = ParseTrendingQuery(q);
  EXPECT_TRUE(r.ok()) << q << ": " << r.status().message();
  return r.ok() ? *r : TrendingQuery{};
}

std::string ParseError(std::string_view q) {
  auto r = ParseTrendingQuery(q);
  EXPECT_FALSE(r.ok()) << q;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  return r.status().message();
}

TEST(DecodeQueryTest, SplitsDecodesPlusAndPercent) {
  auto r = DecodeQuery("a=1&b=x+y&c=%C3%A9t%c3%a9&&d&e=");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[0].name, "a");
  EXPECT_EQ((*r)[0].value, "1");
  EXPECT_EQ((*r)[1].value, "x y");
  EXPECT_EQ((*r)[2].value, "été");
  EXPECT_EQ((*r)[3].name, "d");
  EXPECT_EQ((*r)[3].value, "");
  EXPECT_EQ((*r)[4].name, "e");
  EXPECT_EQ((*r)[4].value, "");
}

TEST(DecodeQueryTest, EncodedNamesAndSeparators) {
  auto r = DecodeQuery("search%5Fkeyword=a%26b%3Dc");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].name, "search_keyword");
  EXPECT_EQ((*r)[0].value, "a&b=c");
}

TEST(DecodeQueryTest, MalformedEscapesAreErrors) {
  EXPECT_FALSE(DecodeQuery("a=%").ok());
  EXPECT_FALSE(DecodeQuery("a=%4").ok());
  EXPECT_FALSE(DecodeQuery("a=%G1").ok());
  EXPECT_EQ(DecodeQuery("page=%zz").status().message(),
            "Invalid parameter: page has a malformed percent-encoding");
}

TEST(DecodeQueryTest, ANameThatIsNotTextIsNotEchoed) {
  // Regression (issue 12, defect 5): "?%FF=%zz" put the byte 0xFF into the message.
  const Status s = DecodeQuery("%FF=%zz").status();
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(json::IsValidUtf8(s.message()));
  EXPECT_EQ(s.message(), "Invalid parameter: query string has a malformed percent-encoding");
}

TEST(ParseTrendingQueryTest, EveryDefault) {
  const TrendingQuery q = ParseOk("");
  EXPECT_FALSE(q.search_keyword.has_value());
  EXPECT_EQ(q.page, 1);
  EXPECT_EQ(q.limit, 20);
  EXPECT_EQ(q.period, 7);
  EXPECT_EQ(RegionCode(q.region), "US");
  EXPECT_FALSE(q.new_to_top_100);
  EXPECT_FALSE(q.commercial_music);
}

TEST(ParseTrendingQueryTest, ReferenceExampleQuery) {
  const TrendingQuery q = ParseOk(
      "search_keyword=FALSE&page=1&limit=20&period=7&region=US&new_to_top_100=false&"
      "commercial_music=false");
  EXPECT_FALSE(q.search_keyword.has_value());
  EXPECT_EQ(q.limit, 20);
}

TEST(ParseTrendingQueryTest, AllValuesSet) {
  const TrendingQuery q = ParseOk(
      "search_keyword=love&page=3&limit=5&period=120&region=gb&new_to_top_100=TRUE&"
      "commercial_music=True");
  ASSERT_TRUE(q.search_keyword.has_value());
  EXPECT_EQ(*q.search_keyword, "love");
  EXPECT_EQ(q.page, 3);
  EXPECT_EQ(q.limit, 5);
  EXPECT_EQ(q.period, 120);
  EXPECT_EQ(RegionCode(q.region), "GB");
  EXPECT_TRUE(q.new_to_top_100);
  EXPECT_TRUE(q.commercial_music);
}

TEST(ParseTrendingQueryTest, SearchKeywordFalseInAnyCaseOrEmptyMeansNoSearch) {
  EXPECT_FALSE(ParseOk("search_keyword=false").search_keyword.has_value());
  EXPECT_FALSE(ParseOk("search_keyword=False").search_keyword.has_value());
  EXPECT_FALSE(ParseOk("search_keyword=").search_keyword.has_value());
  EXPECT_FALSE(ParseOk("search_keyword").search_keyword.has_value());
  EXPECT_EQ(*ParseOk("search_keyword=FALSEY").search_keyword, "FALSEY");
  EXPECT_EQ(*ParseOk("search_keyword=+").search_keyword, " ");
}

TEST(ParseTrendingQueryTest, SearchKeywordIsDecoded) {
  EXPECT_EQ(*ParseOk("search_keyword=Beyonc%C3%A9+live").search_keyword, "Beyoncé live");
}

TEST(ParseTrendingQueryTest, LimitAboveTwentyIsServedAsTwenty) {
  EXPECT_EQ(ParseOk("limit=25").limit, 20);
  EXPECT_EQ(ParseOk("limit=21").limit, 20);
  EXPECT_EQ(ParseOk("limit=99999999999999999999999").limit, 20);
  EXPECT_EQ(ParseOk("limit=1").limit, 1);
  EXPECT_EQ(ParseOk("limit=20").limit, 20);
}

TEST(ParseTrendingQueryTest, PageRule) {
  const std::string rule = "Invalid parameter: page must be an integer >= 1";
  EXPECT_EQ(ParseError("page=0"), rule);
  EXPECT_EQ(ParseError("page=-1"), rule);
  EXPECT_EQ(ParseError("page=abc"), rule);
  EXPECT_EQ(ParseError("page=1.5"), rule);
  EXPECT_EQ(ParseError("page="), rule);
  EXPECT_EQ(ParseError("page=+1"), rule);  // '+' decodes to a space
  EXPECT_EQ(ParseError("page=99999999999999999999"), rule);
  EXPECT_EQ(ParseOk("page=1000000").page, 1000000);
}

TEST(ParseTrendingQueryTest, LimitRule) {
  const std::string rule = "Invalid parameter: limit must be an integer >= 1";
  EXPECT_EQ(ParseError("limit=0"), rule);
  EXPECT_EQ(ParseError("limit=-5"), rule);
  EXPECT_EQ(ParseError("limit=ten"), rule);
  EXPECT_EQ(ParseError("limit="), rule);
}

TEST(ParseTrendingQueryTest, PeriodRule) {
  const std::string rule = "Invalid parameter: period must be one of 7, 30, 120";
  EXPECT_EQ(ParseError("period=1"), rule);
  EXPECT_EQ(ParseError("period=14"), rule);
  EXPECT_EQ(ParseError("period=7d"), rule);
  EXPECT_EQ(ParseError("period="), rule);
  EXPECT_EQ(ParseError("period=4294967303"), rule);  // wraps to 7 as a 32-bit int
  EXPECT_EQ(ParseOk("period=30").period, 30);
}

TEST(ParseTrendingQueryTest, RegionRule) {
  const std::string rule =
      "Invalid parameter: region must be a region code of GET /v1/tiktok/regions";
  EXPECT_EQ(ParseError("region=UK"), rule);
  EXPECT_EQ(ParseError("region="), rule);
  EXPECT_EQ(ParseError("region=USA"), rule);
  EXPECT_EQ(RegionCode(ParseOk("region=jp").region), "JP");
}

TEST(ParseTrendingQueryTest, BooleanRules) {
  EXPECT_EQ(ParseError("new_to_top_100=1"),
            "Invalid parameter: new_to_top_100 must be true or false");
  EXPECT_EQ(ParseError("commercial_music=yes"),
            "Invalid parameter: commercial_music must be true or false");
  EXPECT_EQ(ParseError("commercial_music="),
            "Invalid parameter: commercial_music must be true or false");
  EXPECT_FALSE(ParseOk("new_to_top_100=FALSE").new_to_top_100);
}

TEST(ParseTrendingQueryTest, DuplicateParameterIsAnError) {
  EXPECT_EQ(ParseError("page=1&page=1"),
            "Invalid parameter: page must not be given more than once");
  EXPECT_EQ(ParseError("region=US&limit=5&region=GB"),
            "Invalid parameter: region must not be given more than once");
  // Encoded names are the same parameter.
  EXPECT_EQ(ParseError("limit=5&l%69mit=6"),
            "Invalid parameter: limit must not be given more than once");
}

TEST(ParseTrendingQueryTest, UnknownParametersAreIgnored) {
  const TrendingQuery q = ParseOk("foo=bar&foo=baz&x=%FF&page=2");
  EXPECT_EQ(q.page, 2);
}

TEST(ParseTrendingQueryTest, InvalidUtf8IsAnError) {
  EXPECT_EQ(ParseError("search_keyword=%FF"),
            "Invalid parameter: search_keyword must be valid UTF-8");
  EXPECT_EQ(ParseError("search_keyword=%C3%28"),
            "Invalid parameter: search_keyword must be valid UTF-8");
  EXPECT_EQ(ParseError("region=%C0%AF"), "Invalid parameter: region must be valid UTF-8");
  EXPECT_EQ(ParseError("search_keyword=%ED%A0%80"),  // a surrogate
            "Invalid parameter: search_keyword must be valid UTF-8");
}

TEST(ParseTrendingQueryTest, MalformedPercentEncodingIsAnError) {
  EXPECT_EQ(ParseError("search_keyword=100%"),
            "Invalid parameter: search_keyword has a malformed percent-encoding");
}

TEST(ParseTrendingQueryTest, RankTypeRule) {
  EXPECT_EQ(ParseOk("").rank_type, ChartKind::kPopular);
  EXPECT_EQ(ParseOk("rank_type=popular").rank_type, ChartKind::kPopular);
  EXPECT_EQ(ParseOk("rank_type=Surging").rank_type, ChartKind::kSurging);
  EXPECT_EQ(ParseOk("rank_type=SURGING").rank_type, ChartKind::kSurging);
  for (const char* bad : {"rank_type=", "rank_type=breakout", "rank_type=surging%20"}) {
    EXPECT_EQ(ParseError(bad), "Invalid parameter: rank_type must be popular or surging") << bad;
  }
}

TEST(ParseTrendingQueryTest, AsOfIsADateOrMalformed) {
  EXPECT_FALSE(ParseOk("").as_of.has_value());
  EXPECT_FALSE(ParseOk("").as_of_malformed);
  EXPECT_EQ(ParseOk("as_of=2026-02-16").as_of, ParseDay("2026-02-16"));
  for (const char* bad : {"as_of=", "as_of=2026-2-16", "as_of=2026-02-30", "as_of=today"}) {
    const TrendingQuery q = ParseOk(bad);
    EXPECT_TRUE(q.as_of_malformed) << bad;
    EXPECT_FALSE(q.as_of.has_value()) << bad;
  }
}

TEST(ResolveAsOfTest, TheRangeIsTheFirstToTheLastDay) {
  const Day first = *ParseDay("2026-01-01"), last = *ParseDay("2026-02-16");
  const std::string range = "Invalid parameter: as_of must be a day from 2026-01-01 to 2026-02-16";
  EXPECT_EQ(*ResolveAsOf(std::nullopt, false, first, last), last);
  EXPECT_EQ(*ResolveAsOf(first, false, first, last), first);
  EXPECT_EQ(*ResolveAsOf(last, false, first, last), last);
  EXPECT_EQ(ResolveAsOf(first - 1, false, first, last).status().message(), range);
  EXPECT_EQ(ResolveAsOf(last + 1, false, first, last).status().message(), range);
  EXPECT_EQ(ResolveAsOf(std::nullopt, true, first, last).status().message(), range);
  EXPECT_EQ(ResolveAsOf(first, false, std::nullopt, last).status().message(),
            "Invalid parameter: as_of must be a closed day with data; there is no chart data yet");
}

TEST(ParseDetailQueryTest, DefaultsAndValues) {
  auto q = ParseDetailQuery("clip_id=7234567890123456789");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->clip_id, 7234567890123456789ULL);
  EXPECT_EQ(RegionCode(q->region), "US");
  EXPECT_EQ(q->period, 7);
  EXPECT_FALSE(q->as_of.has_value());
  q = ParseDetailQuery("clip_id=18446744073709551615&region=jp&period=120&as_of=2026-02-01&x=1");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->clip_id, 18446744073709551615ULL);
  EXPECT_EQ(RegionCode(q->region), "JP");
  EXPECT_EQ(q->period, 120);
  EXPECT_EQ(q->as_of, ParseDay("2026-02-01"));
  // The list's parameters are unknown here: ignored.
  EXPECT_TRUE(ParseDetailQuery("clip_id=1&page=0&rank_type=x").ok());
}

TEST(ParseDetailQueryTest, Rules) {
  auto error = [](std::string_view query) {
    auto q = ParseDetailQuery(query);
    return q.ok() ? std::string("(ok)") : q.status().message();
  };
  EXPECT_EQ(error(""), "Invalid parameter: clip_id is required");
  EXPECT_EQ(error("clip_id="), "Invalid parameter: clip_id is required");
  for (const char* bad : {"clip_id=0", "clip_id=12a", "clip_id=%2B5",
                          "clip_id=18446744073709551616", "clip_id=%201"}) {
    EXPECT_EQ(error(bad), "Invalid parameter: clip_id must be a sound id (digits, > 0)") << bad;
  }
  EXPECT_EQ(error("clip_id=1&clip_id=1"),
            "Invalid parameter: clip_id must not be given more than once");
  EXPECT_EQ(error("clip_id=1&period=1"), "Invalid parameter: period must be one of 7, 30, 120");
  EXPECT_EQ(error("clip_id=1&region=XX"),
            "Invalid parameter: region must be a region code of GET /v1/tiktok/regions");
  EXPECT_EQ(error("clip_id=%FF"), "Invalid parameter: clip_id must be valid UTF-8");
}

}  // namespace
}  // namespace soundtrend::api
