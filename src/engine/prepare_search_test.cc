// Edition::PrepareSearch / ChartSet::PrepareSearch: the search structures are built once,
// ahead of the first Search when prepared, lazily otherwise, with the same results.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "common/day.h"
#include "common/regions.h"
#include "engine/chart_engine.h"
#include "engine/edition_impl.h"

namespace soundtrend::engine {
namespace {

const Day kDay = *ParseDay("2026-03-01");
const RegionId kUS = *FindRegion("US");
const RegionId kFR = *FindRegion("FR");

std::shared_ptr<const ChartSet> Publish() {
  ChartEngine engine;
  for (uint64_t clip = 1; clip <= 150; ++clip) {
    SoundRecord s;
    s.clip_id = clip;
    s.song_id = clip + 1000;
    s.title = "Song " + std::to_string(clip) + (clip % 7 == 0 ? " Remix" : "");
    s.author = "Artist";
    s.duration = 30;
    engine.AddSound(s);
    engine.AddDailyUses({clip, kUS, kDay, static_cast<int64_t>(1000 - clip)});
    if (clip % 2 == 0) engine.AddDailyUses({clip, kFR, kDay - 20, 5});
  }
  return engine.Publish(kDay, nullptr);
}

const internal::EditionImpl& Impl(const ChartSet& set, RegionId region, int period) {
  const Edition* edition = set.Find(region, period);
  EXPECT_NE(edition, nullptr);
  return dynamic_cast<const internal::EditionImpl&>(*edition);
}

std::vector<std::pair<uint64_t, int>> Hits(const Edition& edition, std::string_view keyword) {
  std::vector<std::pair<uint64_t, int>> hits;
  for (const ChartEntry& e : edition.Search(keyword)) hits.emplace_back(e.sound->clip_id, e.rank);
  return hits;
}

TEST(PrepareSearchTest, ChartSetPreparesEveryEditionAndSearchDoesNotRebuild) {
  auto prepared = Publish();
  auto lazy = Publish();
  const int periods[] = {7, 30, 120};
  for (int p : periods) EXPECT_FALSE(Impl(*prepared, kUS, p).search_prepared());

  prepared->PrepareSearch();
  int editions = 0;
  for (RegionId region : {kUS, kFR}) {
    for (int p : periods) {
      if (prepared->Find(region, p) == nullptr) continue;
      ++editions;
      EXPECT_TRUE(Impl(*prepared, region, p).search_prepared()) << int(region) << "/" << p;
      EXPECT_EQ(Impl(*prepared, region, p).full_ranking_builds(), 1);
    }
  }
  EXPECT_EQ(editions, 5);  // US 7/30/120, FR 30/120 (its uses are 20 days old)

  // The first search finds everything built; results equal the lazily built ones.
  const auto& us7 = Impl(*prepared, kUS, 7);
  const auto remix = Hits(us7, "remix");
  EXPECT_EQ(remix.size(), 21u);  // 7, 14, ..., 147: some beyond the top 100
  EXPECT_EQ(remix, Hits(*lazy->Find(kUS, 7), "remix"));
  EXPECT_EQ(Hits(us7, "").size(), 150u);
  EXPECT_EQ(us7.full_ranking_builds(), 1);
  EXPECT_EQ(Impl(*prepared, kFR, 120).full_ranking_builds(), 1);

  // Unprepared: the first Search builds it (the lazy fallback), once.
  EXPECT_TRUE(Impl(*lazy, kUS, 7).search_prepared());
  EXPECT_EQ(Impl(*lazy, kUS, 7).full_ranking_builds(), 1);
  EXPECT_FALSE(Impl(*lazy, kUS, 30).search_prepared());
  lazy->PrepareSearch();  // idempotent for the edition already built
  EXPECT_EQ(Impl(*lazy, kUS, 7).full_ranking_builds(), 1);
  EXPECT_EQ(Impl(*lazy, kUS, 30).full_ranking_builds(), 1);
}

TEST(PrepareSearchTest, ConcurrentPrepareAndSearchBuildOnce) {
  auto set = Publish();
  const Edition& us30 = *set->Find(kUS, 30);
  std::vector<std::thread> threads;
  std::vector<size_t> found(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      if (t % 2 == 0) set->PrepareSearch();
      found[t] = us30.Search("remix").size();
    });
  }
  for (auto& t : threads) t.join();
  for (size_t n : found) EXPECT_EQ(n, 21u);
  EXPECT_EQ(Impl(*set, kUS, 30).full_ranking_builds(), 1);
}

}  // namespace
}  // namespace soundtrend::engine
