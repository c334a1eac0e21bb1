#include "api/snapshot.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <thread>

#include "api/test_doubles.h"

namespace soundtrend::api {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;

constexpr Day kDay = 20500;

TrendingQuery Query(std::string_view raw) {
  auto q = ParseTrendingQuery(raw);
  EXPECT_TRUE(q.ok()) << raw;
  return *q;
}

class SnapshotTest : public ::testing::Test {
 protected:
  SnapshotTest() : snapshot_(ServingSnapshot::Build(testing::MakeDemoChartSet(kDay), 123)) {}

  element Answer(std::string_view raw) {
    body_.clear();
    snapshot_->AnswerTrending(Query(raw), "req-1", body_);
    return parser_.parse(body_);
  }

  std::shared_ptr<const ServingSnapshot> snapshot_;
  simdjson::dom::parser parser_;
  std::string body_;
};

TEST_F(SnapshotTest, EnvelopeAndDefaultPage) {
  element doc = Answer("");
  EXPECT_EQ(int64_t(doc["code"]), 0);
  EXPECT_EQ(std::string_view(doc["message"]), "success");
  EXPECT_EQ(std::string_view(doc["requestId"]), "req-1");
  element p = doc["data"]["pagination"];
  EXPECT_EQ(int64_t(p["page"]), 1);
  EXPECT_EQ(int64_t(p["size"]), 20);
  EXPECT_EQ(int64_t(p["total"]), 100);  // 130 ranked, top 100 listed
  EXPECT_TRUE(bool(p["has_more"]));
  array list = doc["data"]["sound_list"];
  ASSERT_EQ(list.size(), 20u);
  int64_t expected_rank = 1;
  for (element item : list) EXPECT_EQ(int64_t(item["rank"]), expected_rank++);
  EXPECT_EQ(std::string_view(list.at(0)["title"]), "New Sun");
}

TEST_F(SnapshotTest, PaginationSlicesAndEnds) {
  element doc = Answer("page=5&limit=20");
  EXPECT_FALSE(bool(doc["data"]["pagination"]["has_more"]));
  array list = doc["data"]["sound_list"];
  ASSERT_EQ(list.size(), 20u);
  EXPECT_EQ(int64_t(list.at(0)["rank"]), 81);

  doc = Answer("page=34&limit=3");
  list = doc["data"]["sound_list"];
  ASSERT_EQ(list.size(), 1u);  // 100 = 33*3 + 1
  EXPECT_EQ(int64_t(list.at(0)["rank"]), 100);
  EXPECT_FALSE(bool(doc["data"]["pagination"]["has_more"]));

  doc = Answer("page=6");
  EXPECT_EQ(array(doc["data"]["sound_list"]).size(), 0u);
  EXPECT_FALSE(bool(doc["data"]["pagination"]["has_more"]));
  EXPECT_EQ(int64_t(doc["data"]["pagination"]["total"]), 100);

  doc = Answer("page=9223372036854775807&limit=20");
  EXPECT_EQ(array(doc["data"]["sound_list"]).size(), 0u);
  EXPECT_EQ(int64_t(doc["data"]["pagination"]["page"]), 9223372036854775807LL);
}

TEST_F(SnapshotTest, FiltersUsePrecomputedLists) {
  element doc = Answer("commercial_music=true&limit=20");
  // Ranks divisible by 3 within 1..100: 33.
  EXPECT_EQ(int64_t(doc["data"]["pagination"]["total"]), 33);
  for (element item : array(doc["data"]["sound_list"])) {
    EXPECT_TRUE(bool(item["if_cml"]));
    EXPECT_EQ(int64_t(item["rank"]) % 3, 0);
  }
  doc = Answer("new_to_top_100=true");
  EXPECT_EQ(int64_t(doc["data"]["pagination"]["total"]), 12);  // multiples of 8 up to 100
  doc = Answer("new_to_top_100=true&commercial_music=true");
  EXPECT_EQ(int64_t(doc["data"]["pagination"]["total"]), 4);  // multiples of 24
  for (element item : array(doc["data"]["sound_list"])) EXPECT_EQ(int64_t(item["rank"]) % 24, 0);
}

TEST_F(SnapshotTest, SearchFoldsCaseAndAccentsAndReachesBeyondTop100) {
  element doc = Answer("search_keyword=beyonce");
  array list = doc["data"]["sound_list"];
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(int64_t(list.at(0)["rank"]), 2);
  EXPECT_EQ(int64_t(list.at(1)["rank"]), 5);
  EXPECT_EQ(int64_t(list.at(2)["rank"]), 120);
  for (element item : list) EXPECT_TRUE(bool(item["is_search"]));
  EXPECT_EQ(int64_t(doc["data"]["pagination"]["total"]), 3);

  doc = Answer("search_keyword=D%C3%89J%C3%80");
  list = doc["data"]["sound_list"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(std::string_view(list.at(0)["title"]), "Déjà Vu");
}

TEST_F(SnapshotTest, SearchAppliesFiltersAndPagination) {
  element doc = Answer("search_keyword=song+1&commercial_music=true&limit=2&page=2");
  // "song 1" matches Song 1x, 1xx; commercial: ranks divisible by 3.
  for (element item : array(doc["data"]["sound_list"])) {
    EXPECT_TRUE(bool(item["if_cml"]));
    EXPECT_TRUE(bool(item["is_search"]));
  }
  EXPECT_EQ(int64_t(doc["data"]["pagination"]["size"]), 2);
  EXPECT_EQ(int64_t(doc["data"]["pagination"]["page"]), 2);
}

TEST_F(SnapshotTest, NoChartForRegionIsAnEmptySuccess) {
  element doc = Answer("region=JP");
  EXPECT_EQ(int64_t(doc["code"]), 0);
  EXPECT_EQ(int64_t(doc["data"]["pagination"]["total"]), 0);
  EXPECT_FALSE(bool(doc["data"]["pagination"]["has_more"]));
  EXPECT_EQ(array(doc["data"]["sound_list"]).size(), 0u);
  doc = Answer("region=JP&search_keyword=x");
  EXPECT_EQ(int64_t(doc["data"]["pagination"]["total"]), 0);
}

TEST_F(SnapshotTest, CountryCodeIsTheRegionQueried) {
  element doc = Answer("region=gb&period=30");
  array list = doc["data"]["sound_list"];
  ASSERT_EQ(list.size(), 3u);
  for (element item : list) EXPECT_EQ(std::string_view(item["country_code"]), "GB");
}

TEST(SnapshotEmptyTest, NoDataAtAll) {
  auto s = ServingSnapshot::Build(nullptr, 0);
  std::string body;
  s->AnswerTrending(TrendingQuery{}, "r", body);
  simdjson::dom::parser parser;
  element doc = parser.parse(body);
  EXPECT_EQ(int64_t(doc["data"]["pagination"]["total"]), 0);
}

TEST(SnapshotHolderTest, StartsEmptyAndSwapsOnPublish) {
  SnapshotHolder holder;
  EXPECT_EQ(holder.Current()->charts(), nullptr);
  auto charts = testing::MakeDemoChartSet(kDay);
  int published = 0;
  holder.SetOnPublish([&](const ServingSnapshot& s) { published += s.built_micros() == 7; });
  holder.Publish(ServingSnapshot::Build(charts, 7));
  EXPECT_EQ(holder.Current()->charts(), charts.get());
  EXPECT_EQ(published, 1);
  // Another thread sees the new one too.
  const engine::ChartSet* seen = nullptr;
  std::thread([&] { seen = holder.Current()->charts(); }).join();
  EXPECT_EQ(seen, charts.get());
}

TEST(SnapshotHolderTest, ReadersKeepTheirSnapshotWhileANewOneIsPublished) {
  SnapshotHolder holder;
  holder.Publish(ServingSnapshot::Build(testing::MakeDemoChartSet(kDay), 1));
  std::shared_ptr<const ServingSnapshot> kept = holder.Current();
  holder.Publish(ServingSnapshot::Build(testing::MakeDemoChartSet(kDay + 1), 2));
  EXPECT_EQ(kept->charts()->day(), kDay);  // still alive and unchanged
  EXPECT_EQ(holder.Current()->charts()->day(), kDay + 1);
}

TEST(SnapshotHolderTest, TwoHoldersDoNotShareTheThreadCache) {
  SnapshotHolder a, b;
  a.Publish(ServingSnapshot::Build(testing::MakeDemoChartSet(kDay), 1));
  const auto& from_a = a.Current();
  const auto& from_b = b.Current();
  EXPECT_NE(from_a->charts(), nullptr);
  EXPECT_EQ(from_b->charts(), nullptr);
  EXPECT_NE(a.Current()->charts(), nullptr);  // from_a's entry survived b's insertion
  EXPECT_NE(from_a->charts(), nullptr);
}

}  // namespace
}  // namespace soundtrend::api
