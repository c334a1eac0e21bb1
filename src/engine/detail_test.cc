// docs/api.md §7 (sound detail) and §9 (past editions) on small hand-made data.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/chart_engine.h"

namespace soundtrend::engine {
namespace {

const Day kDay = *ParseDay("2026-03-01");
const RegionId kUS = *FindRegion("US");
const Day kStart = kDay - 30;  // the competitors' first day: data begins here

RegionId R(const char* code) { return *FindRegion(code); }

// US, period 7. Competitors: clip 100 (10 a day, window sum 70), clip 200 (5 a day, 35) and
// 100 fillers (3 a day, 21), from kStart on. Clip 1's window sum S decides its rank:
// S > 70 -> 1, 35 < S < 70 -> 2, S < 21 -> 103 (not on the top 100).
// Clip 1's uses (t = day - (kDay - 13)): t0 40, t1 40, t8 10, t9 70. So S is
// t0: 40 (rank 2, first listed), t1..t6: 80 (rank 1, the first peak on t1), t7: 40 (2),
// t8: 10 (not listed: the streak breaks), t9..t13 = kDay: 80 (rank 1 again, streak 5).
void Fill(ChartEngine& engine) {
  for (Day d = kStart; d <= kDay; ++d) {
    engine.AddDailyUses({100, kUS, d, 10});
    engine.AddDailyUses({200, kUS, d, 5});
    for (uint64_t f = 1000; f < 1100; ++f) engine.AddDailyUses({f, kUS, d, 3});
  }
  const Day t0 = kDay - 13;
  engine.AddDailyUses({1, kUS, t0, 40});
  engine.AddDailyUses({1, kUS, t0 + 1, 40});
  engine.AddDailyUses({1, kUS, t0 + 8, 10});
  engine.AddDailyUses({1, kUS, t0 + 9, 70});
  SoundRecord s;
  s.clip_id = 1;
  s.song_id = 11;
  s.title = "One";
  s.author = "Artist";
  engine.AddSound(s);
  // Audience: US 80 in the window; DE, FR and GB tie at 30 (code order), then 9 regions at 5
  // of which 7 make the 10 (code order), the last 2 do not.
  for (const char* code : {"GB", "FR", "DE"}) engine.AddDailyUses({1, R(code), kDay, 30});
  for (const char* code : {"CH", "CA", "BY", "BR", "BH", "BG", "BE", "AU", "AT"})
    engine.AddDailyUses({1, R(code), kDay - 2, 5});
  engine.AddDailyUses({1, R("AE"), kDay - 7, 500});  // before the window: not counted
}

std::vector<std::optional<int32_t>> Ranks(const SoundDetail& d) {
  std::vector<std::optional<int32_t>> ranks;
  for (const auto& r : d.rank_history) ranks.push_back(r.rank);
  return ranks;
}

TEST(SoundDetailTest, PeakStreakRankHistoryAndUsage) {
  ChartEngine engine;
  Fill(engine);
  auto set = engine.Publish(kDay, nullptr);
  auto detail = set->Detail(1, kUS, 7, kDay);
  ASSERT_TRUE(detail.has_value());
  EXPECT_EQ(detail->entry.sound->title, "One");
  EXPECT_EQ(detail->entry.rank, 1);
  EXPECT_EQ(detail->entry.usage_count, 80);
  EXPECT_EQ(detail->entry.rank_diff_type, 2);  // rank 1 on kDay-7 too
  EXPECT_EQ(detail->entry.on_list_times, 13);  // t0..t7 and t9..t13
  EXPECT_EQ(detail->popular_days, 13);
  EXPECT_EQ(detail->peak_rank, 1);
  EXPECT_EQ(detail->peak_date, kDay - 12);  // reached on t1 and again on t9: the first
  EXPECT_EQ(detail->first_listed, kDay - 13);
  EXPECT_EQ(detail->streak, 5);  // broken on t8, resumed on t9
  // The window kDay-6..kDay: rank 2, a gap, then rank 1.
  EXPECT_EQ(Ranks(*detail), (std::vector<std::optional<int32_t>>{2, std::nullopt, 1, 1, 1, 1, 1}));
  EXPECT_EQ(detail->rank_history.front().day, kDay - 6);
  std::vector<int64_t> uses;
  for (const auto& u : detail->usage_by_day) uses.push_back(u.uses);
  EXPECT_EQ(uses, (std::vector<int64_t>{0, 10, 70, 0, 0, 0, 0}));
  EXPECT_EQ(detail->current_popularity, 0);  // no use on kDay
  // Audience: every region, uses desc, ties by code, at most 10.
  std::vector<std::string> codes;
  std::vector<int64_t> scores;
  for (const auto& a : detail->audience) {
    codes.emplace_back(RegionCode(a.region));
    scores.push_back(a.uses);
  }
  EXPECT_EQ(codes,
            (std::vector<std::string>{"US", "DE", "FR", "GB", "AT", "AU", "BE", "BG", "BH", "BR"}));
  EXPECT_EQ(scores, (std::vector<int64_t>{80, 30, 30, 30, 5, 5, 5, 5, 5, 5}));
}

TEST(SoundDetailTest, AsOfAPastDayAndOutsideTheRange) {
  ChartEngine engine;
  Fill(engine);
  auto set = engine.Publish(kDay, nullptr);
  // As of t8 (kDay-5): not on the top 100 (ranked behind the fillers), streak 0.
  auto detail = set->Detail(1, kUS, 7, kDay - 5);
  ASSERT_TRUE(detail.has_value());
  EXPECT_EQ(detail->entry.rank, 103);
  EXPECT_EQ(detail->entry.usage_count, 10);
  EXPECT_EQ(detail->streak, 0);
  EXPECT_EQ(detail->entry.on_list_times, 8);
  EXPECT_EQ(detail->peak_rank, 1);
  EXPECT_EQ(detail->peak_date, kDay - 12);
  EXPECT_EQ(detail->rank_history.back().day, kDay - 5);
  EXPECT_EQ(detail->rank_history.back().rank, std::nullopt);
  // On the first day with data: no use of clip 1 yet.
  auto first = set->Detail(1, kUS, 7, kStart);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->entry.rank, 0);
  EXPECT_EQ(first->entry.usage_count, 0);
  EXPECT_TRUE(first->entry.trend.empty());
  EXPECT_EQ(first->entry.rank_diff_type, 4);
  EXPECT_EQ(first->streak, 0);
  EXPECT_FALSE(first->peak_rank.has_value());
  EXPECT_FALSE(first->first_listed.has_value());
  EXPECT_TRUE(first->usage_by_day.empty());
  EXPECT_TRUE(first->audience.empty());
  EXPECT_EQ(first->rank_history.size(), 7u);
  // Outside [first day, day]: nothing; an unknown clip: nothing.
  EXPECT_FALSE(set->Detail(1, kUS, 7, kStart - 1).has_value());
  EXPECT_FALSE(set->Detail(1, kUS, 7, kDay + 1).has_value());
  EXPECT_FALSE(set->Detail(99999, kUS, 7, kDay).has_value());
}

TEST(SoundDetailTest, OffTheChartAfterBeingOnItIsDownWithoutPlaces) {
  ChartEngine engine;
  engine.AddDailyUses({1, kUS, kDay - 7, 5});
  engine.AddDailyUses({2, kUS, kDay, 5});
  auto set = engine.Publish(kDay, nullptr);
  auto detail = set->Detail(1, kUS, 7, kDay);
  ASSERT_TRUE(detail.has_value());
  EXPECT_EQ(detail->entry.rank, 0);
  EXPECT_EQ(detail->entry.rank_diff_type, 3);
  EXPECT_FALSE(detail->entry.rank_diff.has_value());
}

TEST(SoundDetailTest, CurrentPopularityRoundsHalfAwayFromZero) {
  ChartEngine engine;
  engine.AddDailyUses({1, kUS, kDay - 10, 8});  // the largest day, outside the window
  engine.AddDailyUses({1, kUS, kDay, 1});       // 1 / 8 = 0.125 -> 0.13
  engine.AddDailyUses({2, kUS, kDay - 3, 8});
  engine.AddDailyUses({2, kUS, kDay, 3});  // 3 / 8 = 0.375 -> 0.38
  engine.AddDailyUses({3, kUS, kDay - 1, 3});
  engine.AddDailyUses({3, kUS, kDay, 2});  // 2 / 3 = 0.666... -> 0.67
  auto set = engine.Publish(kDay, nullptr);
  EXPECT_EQ(set->Detail(1, kUS, 7, kDay)->current_popularity, 13);
  EXPECT_EQ(set->Detail(2, kUS, 7, kDay)->current_popularity, 38);
  EXPECT_EQ(set->Detail(3, kUS, 7, kDay)->current_popularity, 67);
  // usage_by_day starts at the first use when it is inside the window.
  auto three = set->Detail(3, kUS, 7, kDay);
  ASSERT_EQ(three->usage_by_day.size(), 2u);
  EXPECT_EQ(three->usage_by_day[0].day, kDay - 1);
  EXPECT_EQ(three->usage_by_day[0].uses, 3);
}

TEST(SoundDetailTest, CatalogSoundWithoutUsesHasAnEmptyDetail) {
  ChartEngine engine;
  engine.AddDailyUses({2, kUS, kDay, 5});
  SoundRecord s;
  s.clip_id = 7;
  s.song_id = 8;
  s.title = "Quiet";
  engine.AddSound(s);
  auto set = engine.Publish(kDay, nullptr);
  auto detail = set->Detail(7, kUS, 30, kDay);
  ASSERT_TRUE(detail.has_value());
  EXPECT_EQ(detail->entry.sound->title, "Quiet");
  EXPECT_EQ(detail->entry.rank, 0);
  EXPECT_EQ(detail->entry.on_list_times, 0);
  EXPECT_EQ(detail->rank_history.size(), 30u);
  EXPECT_TRUE(detail->audience.empty());
  EXPECT_EQ(detail->popular_days, 0);
}

TEST(PastEditionTest, FirstAndLastDayAndOutside) {
  ChartEngine engine;
  Fill(engine);
  auto set = engine.Publish(kDay, nullptr);
  EXPECT_EQ(set->first_day(), kStart);
  // The last day: the published edition itself.
  auto last = set->EditionOf(kUS, 7, ChartKind::kPopular, kDay);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last.get(), set->Find(kUS, 7));
  // The first day: a one-day window of the competitors.
  auto first = set->EditionOf(kUS, 7, ChartKind::kPopular, kStart);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->day(), kStart);
  EXPECT_EQ(first->top().size(), 100u);
  EXPECT_EQ(first->ranked_count(), 102u);
  EXPECT_EQ(first->top()[0].sound->clip_id, 100u);
  EXPECT_EQ(first->top()[0].usage_count, 10);
  EXPECT_EQ(first->top()[0].on_list_times, 1);
  EXPECT_EQ(first->top()[0].rank_diff_type, 4);
  EXPECT_EQ(first->top()[0].trend.size(), 7u - 6);  // points from the first use on
  // A past day: clip 1 on rank 2 on t7 (kDay-6), moved from rank 2 on kDay-13.
  auto past = set->EditionOf(kUS, 7, ChartKind::kPopular, kDay - 6);
  ASSERT_NE(past, nullptr);
  EXPECT_EQ(past->top()[1].sound->clip_id, 1u);
  EXPECT_EQ(past->top()[1].rank_diff_type, 2);
  EXPECT_EQ(past->top()[1].on_list_times, 8);
  // Outside: none.
  EXPECT_EQ(set->EditionOf(kUS, 7, ChartKind::kPopular, kStart - 1), nullptr);
  EXPECT_EQ(set->EditionOf(kUS, 7, ChartKind::kPopular, kDay + 1), nullptr);
  EXPECT_EQ(set->EditionOf(kUS, 8, ChartKind::kPopular, kDay), nullptr);
}

TEST(PastEditionTest, LateDataChangesPastEditionsAsAComputationFromScratch) {
  ChartEngine engine;
  Fill(engine);
  engine.Publish(kDay, nullptr);
  // Late uses on t8: clip 1's window sum there becomes 10 + 50 = 60 -> rank 2; no gap.
  engine.AddDailyUses({1, kUS, kDay - 5, 50});
  std::vector<store::EditionRecord> records;
  HistoryStats stats;
  auto set = engine.Publish(kDay, &records, &stats);
  auto past = set->EditionOf(kUS, 7, ChartKind::kPopular, kDay - 5);
  ASSERT_NE(past, nullptr);
  EXPECT_EQ(past->top()[1].sound->clip_id, 1u);
  auto detail = set->Detail(1, kUS, 7, kDay);
  EXPECT_EQ(detail->streak, 14);  // t0..t13 with no gap now
  // Recomputed: the editions whose span holds kDay-5 (popular 7: kDay-5..kDay-1 before
  // kDay; 30 and 120: the same days; surging: the same too, within the published days) and
  // kDay's own 6 editions.
  EXPECT_EQ(stats.recomputed, 6 * 5 + 6);
  EXPECT_EQ(stats.first_recomputed, kDay - 5);
  EXPECT_EQ(stats.last_recomputed, kDay);
}

}  // namespace
}  // namespace soundtrend::engine
