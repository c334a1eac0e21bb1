#include "ingest/record_parser.h"

#include <gtest/gtest.h>

#include "common/regions.h"
#include "ingest/record_reader.h"

namespace soundtrend::ingest {
namespace {

constexpr int64_t kNow = 1769990461;  // 2026-02-02T00:01:01Z
const TimeLimits kLimits = TimeLimits::ForNowMicros(kNow * 1000000);

// Parses `line` with the padding the reader guarantees after every record.
class NdjsonTest : public ::testing::Test {
 protected:
  bool Parse(std::string_view line) {
    buffer_.assign(line);
    buffer_.append(kRecordPadding, ' ');
    return parser_.Parse(std::string_view(buffer_).substr(0, line.size()), &record_, &reason_);
  }
  // Expects `line` to be refused with a reason containing `part`.
  void ExpectRefused(std::string_view line, std::string_view part) {
    EXPECT_FALSE(Parse(line)) << line;
    EXPECT_NE(reason_.find(part), std::string::npos) << line << " -> " << reason_;
  }
  NdjsonParser parser_{kLimits};
  std::string buffer_;
  ParsedRecord record_;
  std::string reason_;
};

TEST_F(NdjsonTest, UseRecordWithEveryField) {
  ASSERT_TRUE(Parse(R"({"type":"use","clip_id":"6703723351497508865","region":"US",)"
                    R"("time":1769990400,"video_id":"7301234567890123456",)"
                    R"("video_cover":"https://e.com/v.jpeg","views":1200})"))
      << reason_;
  EXPECT_EQ(record_.kind, RecordKind::kUse);
  EXPECT_EQ(record_.use.clip_id, 6703723351497508865ull);
  EXPECT_EQ(RegionCode(record_.use.region), "US");
  EXPECT_EQ(record_.use.time, 1769990400);
  EXPECT_EQ(record_.use.video_id, 7301234567890123456ull);
  EXPECT_EQ(record_.use.video_cover, "https://e.com/v.jpeg");
  EXPECT_EQ(record_.use.views, 1200);
}

TEST_F(NdjsonTest, UseRecordMinimalWithRfc3339TimeNumericIdAndLowerCaseRegion) {
  ASSERT_TRUE(Parse(R"({"time":"2026-02-01T12:34:56Z","region":"gb","clip_id":42,"type":"use",)"
                    R"("extra":{"ignored":[1,2]}})"))
      << reason_;
  EXPECT_EQ(record_.use.clip_id, 42u);
  EXPECT_EQ(RegionCode(record_.use.region), "GB");
  EXPECT_EQ(record_.use.time, 1769949296);
  EXPECT_EQ(record_.use.video_id, 0u);
  EXPECT_EQ(record_.use.views, 0);
}

TEST_F(NdjsonTest, SoundAndDailyRecords) {
  ASSERT_TRUE(Parse(R"({"type":"sound","clip_id":"1","song_id":"2","title":"New Sun",)"
                    R"("author":"Chihei","cover":"c","duration":60,"commercial":true})"))
      << reason_;
  EXPECT_EQ(record_.kind, RecordKind::kSound);
  EXPECT_EQ(record_.sound.title, "New Sun");
  EXPECT_EQ(record_.sound.song_id, 2u);
  EXPECT_TRUE(record_.sound.commercial);
  EXPECT_FALSE(record_.sound.promoted);
  ASSERT_TRUE(Parse(R"({"type":"daily","clip_id":"1","region":"FR","day":"2026-02-01","uses":42})"))
      << reason_;
  EXPECT_EQ(record_.kind, RecordKind::kDaily);
  EXPECT_EQ(record_.daily.uses, 42);
  EXPECT_EQ(record_.daily.day, *ParseDay("2026-02-01"));
}

TEST_F(NdjsonTest, UnknownRegionIsRefused) {
  ExpectRefused(R"({"type":"use","clip_id":"1","region":"UK","time":1769990400})",
                "region: unknown region \"UK\"");
  ExpectRefused(R"({"type":"use","clip_id":"1","region":"USA","time":1769990400})",
                "unknown region");
  ExpectRefused(R"({"type":"daily","clip_id":"1","region":"ZZ","day":"2026-02-01","uses":1})",
                "unknown region");
}

TEST_F(NdjsonTest, BadIdsAreRefused) {
  for (std::string_view id : {R"("0")", R"("-5")", R"("12a")", "0", "-5", "1.5", R"("")",
                              R"("18446744073709551616")", "true", "null"}) {
    ExpectRefused(std::string(R"({"type":"use","region":"US","time":1769990400,"clip_id":)") +
                      std::string(id) + "}",
                  "clip_id: must be a positive 64-bit integer id");
  }
  ExpectRefused(R"({"type":"use","clip_id":"1","region":"US","time":1769990400,"video_id":"x"})",
                "video_id:");
  ExpectRefused(R"({"type":"sound","clip_id":"1","song_id":"0","title":"t","author":"a",)"
                R"("duration":1})",
                "song_id:");
  // The largest id is accepted.
  EXPECT_TRUE(Parse(R"({"type":"use","clip_id":"18446744073709551615","region":"US",)"
                    R"("time":1769990400})"))
      << reason_;
}

TEST_F(NdjsonTest, TimesOutOfRangeAreRefused) {
  ExpectRefused(R"({"type":"use","clip_id":"1","region":"US","time":946684799})",
                "time: before 2000-01-01");
  EXPECT_TRUE(Parse(R"({"type":"use","clip_id":"1","region":"US","time":946684800})"));
  ExpectRefused(
      R"({"type":"use","clip_id":"1","region":"US","time":)" + std::to_string(kNow + 86401) + "}",
      "time: more than 1 day in the future");
  EXPECT_TRUE(Parse(R"({"type":"use","clip_id":"1","region":"US","time":)" +
                    std::to_string(kNow + 86400) + "}"));
  ExpectRefused(R"({"type":"use","clip_id":"1","region":"US","time":"2026-13-01T00:00:00Z"})",
                "time: must be unix seconds");
  ExpectRefused(R"({"type":"use","clip_id":"1","region":"US","time":"2026-02-01 00:00:00"})",
                "time: must be unix seconds");
  ExpectRefused(R"({"type":"daily","clip_id":"1","region":"US","day":"1999-12-31","uses":1})",
                "day: before 2000-01-01");
  ExpectRefused(R"({"type":"daily","clip_id":"1","region":"US","day":"2026-02-04","uses":1})",
                "day: more than 1 day in the future");
  ExpectRefused(R"({"type":"daily","clip_id":"1","region":"US","day":"2026-02-30","uses":1})",
                "day: must be a date");
}

TEST_F(NdjsonTest, BrokenJsonIsRefused) {
  ExpectRefused(R"({"type":"use","clip_id":"1","region":"US","time":1769990400)", "broken JSON");
  ExpectRefused(R"({"type":"use","clip_id":"1" "region":"US"})", "broken JSON");
  ExpectRefused(R"({"type":"use","clip_id":"1","region":"US,"time":1})", "broken JSON");
  ExpectRefused(R"([1,2,3])", "not a JSON object");
  ExpectRefused(R"("use")", "not a JSON object");
  ExpectRefused(
      "{\"type\":\"sound\",\"clip_id\":\"1\",\"song_id\":\"2\",\"title\":\"\xff\xfe\","
      "\"author\":\"a\",\"duration\":1}",
      "invalid UTF-8");
}

TEST_F(NdjsonTest, TrailingContentAfterTheObjectIsRefusedACleanLineAccepted) {
  const std::string clean = R"({"type":"use","clip_id":"1","region":"US","time":1769990400})";
  EXPECT_TRUE(Parse(clean)) << reason_;
  EXPECT_TRUE(Parse(clean + "   ")) << reason_;  // trailing blanks are not content
  ExpectRefused(clean + R"({"type":"use"})", "broken JSON");
  ExpectRefused(clean + " x", "broken JSON");
  ExpectRefused(clean + "}", "broken JSON");
  EXPECT_TRUE(Parse(clean)) << reason_;  // the parser recovers
}

TEST_F(NdjsonTest, WrongTypesAreRefused) {
  ExpectRefused(R"({"type":"use","clip_id":"1","region":7,"time":1769990400})",
                "region: must be a string");
  ExpectRefused(R"({"type":"use","clip_id":"1","region":"US","time":true})", "time: must be");
  ExpectRefused(R"({"type":"use","clip_id":"1","region":"US","time":1769990400.5})",
                "time: must be");
  ExpectRefused(R"({"type":"use","clip_id":"1","region":"US","time":1769990400,"views":"9"})",
                "views: must be an integer");
  ExpectRefused(R"({"type":"use","clip_id":"1","region":"US","time":1769990400,"views":-1})",
                "views: must be an integer >= 0");
  ExpectRefused(R"({"type":"sound","clip_id":"1","song_id":"2","title":"t","author":"a",)"
                R"("duration":"60"})",
                "duration: must be an integer");
  ExpectRefused(R"({"type":"sound","clip_id":"1","song_id":"2","title":"t","author":"a",)"
                R"("duration":60,"commercial":"yes"})",
                "commercial: must be true or false");
  ExpectRefused(R"({"type":"sound","clip_id":"1","song_id":"2","title":"","author":"a",)"
                R"("duration":60})",
                "title: must not be empty");
  ExpectRefused(R"({"type":"daily","clip_id":"1","region":"US","day":"2026-02-01","uses":0})",
                "uses: must be an integer >= 1");
  ExpectRefused(R"({"type":5,"clip_id":"1"})", "type: must be");
  ExpectRefused(R"({"type":"play","clip_id":"1"})", "unknown record type \"play\"");
}

TEST_F(NdjsonTest, MissingFieldsAreRefused) {
  ExpectRefused(R"({"clip_id":"1","region":"US","time":1769990400})", "missing field \"type\"");
  ExpectRefused(R"({"type":"use","region":"US","time":1769990400})", "missing field \"clip_id\"");
  ExpectRefused(R"({"type":"use","clip_id":"1","time":1769990400})", "missing field \"region\"");
  ExpectRefused(R"({"type":"use","clip_id":"1","region":"US"})", "missing field \"time\"");
  ExpectRefused(R"({"type":"sound","clip_id":"1","song_id":"2","title":"t","duration":1})",
                "missing field \"author\"");
  ExpectRefused(R"({"type":"daily","clip_id":"1","region":"US","day":"2026-02-01"})",
                "missing field \"uses\"");
}

TEST_F(NdjsonTest, FieldsOfOtherKindsAreIgnored) {
  // A use record does not look at "uses" or "title", even with wrong values.
  EXPECT_TRUE(Parse(R"({"type":"use","clip_id":"1","region":"US","time":1769990400,)"
                    R"("uses":"x","title":5})"))
      << reason_;
}

// ---------------------------------------------------------------------------------------

TEST(CsvParserTest, UseRecordsWithQuotingAndOptionalColumns) {
  Result<CsvParser> p =
      CsvParser::FromHeader("time,region,clip_id,video_id,video_cover,views,x", kLimits);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->kind(), RecordKind::kUse);
  ParsedRecord r;
  std::string reason;
  ASSERT_TRUE(p->Parse("1769990400,us,7,9,\"https://e.com/a,\"\"b\"\"\",12,zz", &r, &reason))
      << reason;
  EXPECT_EQ(r.use.clip_id, 7u);
  EXPECT_EQ(r.use.video_id, 9u);
  EXPECT_EQ(r.use.video_cover, "https://e.com/a,\"b\"");
  EXPECT_EQ(r.use.views, 12);
  ASSERT_TRUE(p->Parse("2026-02-01T00:00:00+01:00,FR,8,,,,", &r, &reason)) << reason;
  EXPECT_EQ(r.use.time, 1769904000 - 3600);  // 2026-02-01T00:00:00Z - 1 h
  EXPECT_EQ(r.use.video_id, 0u);
}

TEST(CsvParserTest, EveryValidationRule) {
  Result<CsvParser> p = CsvParser::FromHeader("clip_id,region,time,views", kLimits);
  ASSERT_TRUE(p.ok());
  ParsedRecord r;
  std::string reason;
  auto refused = [&](std::string_view record, std::string_view part) {
    EXPECT_FALSE(p->Parse(record, &r, &reason)) << record;
    EXPECT_NE(reason.find(part), std::string::npos) << record << " -> " << reason;
  };
  refused("1,UK,1769990400,", "region: unknown region \"UK\"");
  refused("0,US,1769990400,", "clip_id: must be a positive");
  refused("abc,US,1769990400,", "clip_id: must be a positive");
  refused("1,US,946684799,", "time: before 2000-01-01");
  refused("1,US," + std::to_string(kNow + 86401) + ",", "time: more than 1 day");
  refused("1,US,yesterday,", "time: must be unix seconds");
  refused("1,US,1769990400,many", "views: must be an integer");
  refused("1,US,1769990400", "expected 4 fields, found 3");
  refused("1,US,1769990400,1,2", "expected 4 fields, found 5");
  refused(",US,1769990400,", "missing field \"clip_id\"");
  refused("1,\"US,1769990400,", "unterminated quoted field");
  refused("1,\"US\"x,1769990400,", "unexpected character after a quoted field");
  refused("1,U\"S,1769990400,", "quote inside an unquoted field");
  refused("1,US,1769990400,\xff", "invalid UTF-8");
  EXPECT_TRUE(p->Parse("1,US,1769990400,", &r, &reason)) << reason;
}

TEST(CsvParserTest, SoundAndDailyRecords) {
  Result<CsvParser> s = CsvParser::FromHeader(
      "\xEF\xBB\xBF"
      "clip_id,song_id,title,author,cover,duration,commercial,promoted",
      kLimits);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->kind(), RecordKind::kSound);
  ParsedRecord r;
  std::string reason;
  ASSERT_TRUE(s->Parse("1,2,\"Title, with comma\",,,30,TRUE,0", &r, &reason)) << reason;
  EXPECT_EQ(r.sound.title, "Title, with comma");
  EXPECT_EQ(r.sound.author, "");
  EXPECT_TRUE(r.sound.commercial);
  EXPECT_FALSE(r.sound.promoted);
  EXPECT_FALSE(s->Parse("1,2,t,a,,30,maybe,0", &r, &reason));
  EXPECT_NE(reason.find("commercial: must be true, false, 1 or 0"), std::string::npos);
  EXPECT_FALSE(s->Parse("1,2,,a,,30,0,0", &r, &reason));
  EXPECT_NE(reason.find("missing field \"title\""), std::string::npos) << reason;

  Result<CsvParser> d = CsvParser::FromHeader("day,uses,region,clip_id", kLimits);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->kind(), RecordKind::kDaily);
  ASSERT_TRUE(d->Parse("2026-02-01,5,jp,3", &r, &reason)) << reason;
  EXPECT_EQ(r.daily.uses, 5);
  EXPECT_EQ(RegionCode(r.daily.region), "JP");
  EXPECT_FALSE(d->Parse("2026-02-01,0,jp,3", &r, &reason));
  EXPECT_NE(reason.find("uses: must be an integer >= 1"), std::string::npos);
}

TEST(CsvParserTest, SeveralFieldsWithEscapedQuotesKeepTheirValues) {
  // Found by fuzz/csv_record_fuzz.cc (issue 12): the unquoted text of a field with "" lived
  // in a string of a vector that the next such field reallocated, so a short value (kept
  // in the string itself) was read from freed memory (ASan: heap-use-after-free), in the
  // header and in any record with two or more such fields.
  Result<CsvParser> p = CsvParser::FromHeader(
      "\"clip_id\",\"song\"\"_id\",song_id,\"ti\"\"tle\",title,author,cover,duration,"
      "commercial,promoted",
      kLimits);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ParsedRecord r;
  std::string reason;
  ASSERT_TRUE(p->Parse("1,x,2,y,\"New \"\"Sun\"\"\",\"A \"\"B\"\"\",\"c\"\"\",30,1,0", &r, &reason))
      << reason;
  EXPECT_EQ(r.sound.title, "New \"Sun\"");
  EXPECT_EQ(r.sound.author, "A \"B\"");
  EXPECT_EQ(r.sound.cover, "c\"");
  // Again with the scratch strings warm, and one long value among short ones.
  ASSERT_TRUE(
      p->Parse("1,x,2,y,\"\"\"a\",\"b\"\"\",\"a much longer cover \"\"value\"\" that is "
               "not kept in the string itself\",30,1,0",
               &r, &reason))
      << reason;
  EXPECT_EQ(r.sound.title, "\"a");
  EXPECT_EQ(r.sound.author, "b\"");
  EXPECT_EQ(r.sound.cover, "a much longer cover \"value\" that is not kept in the string itself");
}

TEST(CsvParserTest, BadHeadersAreErrors) {
  EXPECT_FALSE(CsvParser::FromHeader("a,b,c", kLimits).ok());
  EXPECT_FALSE(CsvParser::FromHeader("clip_id,time", kLimits).ok());  // no region
  EXPECT_FALSE(CsvParser::FromHeader("clip_id,region,time,time", kLimits).ok());
  Result<CsvParser> missing = CsvParser::FromHeader("clip_id,song_id,title", kLimits);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing column \"author\""), std::string::npos)
      << missing.status().message();
}

TEST(ParseHelpersTest, IdsTimesRegions) {
  EXPECT_EQ(ParseIdText("18446744073709551615"), 18446744073709551615ull);
  EXPECT_FALSE(ParseIdText("18446744073709551616"));
  EXPECT_FALSE(ParseIdText("0"));
  EXPECT_FALSE(ParseIdText("+1"));
  EXPECT_EQ(ParseRfc3339("2000-01-01T00:00:00Z"), 946684800);
  EXPECT_EQ(ParseRfc3339("2000-01-01T00:00:00.123z"), 946684800);
  EXPECT_EQ(ParseRfc3339("2000-01-01T01:00:00+01:00"), 946684800);
  EXPECT_FALSE(ParseRfc3339("2000-01-01T24:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2000-01-01T00:00:00"));
  EXPECT_FALSE(ParseRfc3339("2000-01-01T00:00:00Zjunk"));
  EXPECT_EQ(LookupRegion("us"), LookupRegion("US"));
  EXPECT_TRUE(LookupRegion("US"));
  EXPECT_FALSE(LookupRegion("U1"));
  EXPECT_FALSE(LookupRegion(""));
}

}  // namespace
}  // namespace soundtrend::ingest
