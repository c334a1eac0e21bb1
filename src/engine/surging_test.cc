// docs/api.md §8 on small hand-made data: eligibility edges, ties in growth, rounding, and the
// surging chart's own history.
#include "engine/surging.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "engine/chart_engine.h"

namespace soundtrend::engine {
namespace {

const Day kDay = *ParseDay("2026-03-01");
const RegionId kUS = *FindRegion("US");

std::vector<uint64_t> Clips(const std::vector<ChartEntry>& entries) {
  std::vector<uint64_t> clips;
  for (const auto& e : entries) clips.push_back(e.sound->clip_id);
  return clips;
}

TEST(SurgingRulesTest, EligibilityEdges) {
  EXPECT_FALSE(SurgingEligible(49, 0));   // u = 49: too few uses
  EXPECT_TRUE(SurgingEligible(50, 0));    // u = 50
  EXPECT_TRUE(SurgingEligible(50, 20));   // 60 = 2 * 30: exactly doubled
  EXPECT_FALSE(SurgingEligible(50, 21));  // 60 < 2 * 31
  EXPECT_TRUE(SurgingEligible(1000, 495));
  EXPECT_FALSE(SurgingEligible(1000, 496));
}

TEST(SurgingRulesTest, GrowthInHundredthsRoundsHalfAwayFromZero) {
  EXPECT_EQ(GrowthHundredths(50, 20), 200);   // 60 / 30
  EXPECT_EQ(GrowthHundredths(191, 30), 503);  // 201 / 40 = 5.025
  EXPECT_EQ(GrowthHundredths(70, 5), 533);    // 80 / 15 = 5.333...
  EXPECT_EQ(GrowthHundredths(90, 5), 667);    // 100 / 15 = 6.666...
  EXPECT_EQ(GrowthHundredths(50, 0), 600);
}

TEST(SurgingRulesTest, OrderIsGrowthThenUsesThenClipId) {
  // Same growth 6: the larger u first. Same growth and u: the smaller clip id (as a number).
  const SurgingKey a{110, 10, 5, 0}, b{50, 0, 4, 1}, c{70, 5, 10, 2}, d{70, 5, 9, 3};
  EXPECT_TRUE(a < b);
  EXPECT_FALSE(b < a);
  EXPECT_TRUE(d < c);
  EXPECT_TRUE(b < c);  // 6.00 before 5.33
}

// u on day kDay (window [kDay-6, kDay]), p on day kDay-7 (the window before).
void Surge(ChartEngine& engine, uint64_t clip, int64_t u, int64_t p) {
  if (u > 0) engine.AddDailyUses({clip, kUS, kDay, u});
  if (p > 0) engine.AddDailyUses({clip, kUS, kDay - 7, p});
}

TEST(SurgingChartTest, RanksEligibleSoundsByGrowthWithTheTieRules) {
  ChartEngine engine;
  Surge(engine, 1, 50, 20);   // exactly doubled: 2.00
  Surge(engine, 2, 49, 0);    // u = 49: not eligible
  Surge(engine, 3, 50, 21);   // just under double: not eligible
  Surge(engine, 4, 50, 0);    // 6.00, u 50
  Surge(engine, 5, 110, 10);  // 6.00, u 110: before clip 4
  Surge(engine, 10, 70, 5);   // 5.33, u 70
  Surge(engine, 9, 70, 5);    // same growth and u: clip 9 before clip 10
  Surge(engine, 6, 60, 0);    // 7.00: first
  Surge(engine, 7, 191, 30);  // 5.025 -> 5.03
  auto set = engine.Publish(kDay, nullptr);
  const Edition* surging = set->Find(kUS, 7, ChartKind::kSurging);
  ASSERT_NE(surging, nullptr);
  EXPECT_EQ(surging->kind(), ChartKind::kSurging);
  EXPECT_EQ(Clips(surging->top()), (std::vector<uint64_t>{6, 5, 4, 9, 10, 7, 1}));
  EXPECT_EQ(surging->ranked_count(), 7u);
  std::vector<int64_t> growth, usage;
  for (const auto& e : surging->top()) {
    growth.push_back(*e.growth_hundredths);
    usage.push_back(e.usage_count);
  }
  EXPECT_EQ(growth, (std::vector<int64_t>{700, 600, 600, 533, 533, 503, 200}));
  EXPECT_EQ(usage, (std::vector<int64_t>{60, 110, 50, 70, 70, 191, 50}));
  // The popular chart of the same day has no growth and ranks by usage.
  const Edition* popular = set->Find(kUS, 7);
  ASSERT_NE(popular, nullptr);
  EXPECT_FALSE(popular->top()[0].growth_hundredths.has_value());
  EXPECT_EQ(popular->top()[0].sound->clip_id, 7u);
  // Search ranges over every eligible sound and keeps its position.
  auto hits = surging->Search("");
  EXPECT_EQ(Clips(hits), Clips(surging->top()));
}

TEST(SurgingChartTest, TheCutAtOneHundredFallsInsideATieGroupAndTheClipIdDecides) {
  // 280 eligible sounds, clip ids scrambled against arrival order: 60 at growth 7.00, 20 at
  // 6.00 with u 110, 200 at 6.00 with u 50; the top 100 ends with the 20 smallest clip ids
  // of the last group.
  ChartEngine engine;
  std::vector<uint64_t> seven, six_110, six_50;
  for (uint64_t i = 0; i < 280; ++i) {
    const uint64_t clip = 1 + (i * 97) % 280;
    if (i < 60) {
      Surge(engine, clip, 60, 0);
      seven.push_back(clip);
    } else if (i < 80) {
      Surge(engine, clip, 110, 10);
      six_110.push_back(clip);
    } else {
      Surge(engine, clip, 50, 0);
      six_50.push_back(clip);
    }
  }
  std::vector<uint64_t> want;
  for (auto* group : {&seven, &six_110, &six_50}) {
    std::sort(group->begin(), group->end());
    want.insert(want.end(), group->begin(), group->end());
  }
  want.resize(100);
  auto set = engine.Publish(kDay, nullptr);
  const Edition* surging = set->Find(kUS, 7, ChartKind::kSurging);
  ASSERT_NE(surging, nullptr);
  EXPECT_EQ(surging->ranked_count(), 280u);
  EXPECT_EQ(Clips(surging->top()), want);
  // The full ranking (built by a search) agrees with the selection.
  auto hits = surging->Search("");
  ASSERT_EQ(hits.size(), 280u);
  hits.resize(100);
  EXPECT_EQ(Clips(hits), want);
}

TEST(SurgingChartTest, HasItsOwnHistoryMovementAndNewToTop100) {
  ChartEngine engine;
  // Clip 1 surges on kDay-7 (60 uses, nothing before): on the surging chart of days
  // kDay-7..kDay-1 (their window holds the 60 uses, the one before holds none).
  engine.AddDailyUses({1, kUS, kDay - 7, 60});
  // On kDay: 200 uses against 60 before (growth 3.00); clip 2 comes from nowhere (11.00).
  engine.AddDailyUses({1, kUS, kDay, 200});
  engine.AddDailyUses({2, kUS, kDay, 100});
  // Clip 3: one use a day since kDay-20, on every popular chart, never surging.
  for (Day d = kDay - 20; d <= kDay; ++d) engine.AddDailyUses({3, kUS, d, 1});
  auto set = engine.Publish(kDay, nullptr);
  const Edition* surging = set->Find(kUS, 7, ChartKind::kSurging);
  ASSERT_NE(surging, nullptr);
  ASSERT_EQ(Clips(surging->top()), (std::vector<uint64_t>{2, 1}));
  const ChartEntry& two = surging->top()[0];
  EXPECT_EQ(two.rank_diff_type, 4);
  EXPECT_FALSE(two.rank_diff.has_value());
  EXPECT_EQ(two.on_list_times, 1);
  EXPECT_TRUE(two.new_to_top_100);
  const ChartEntry& one = surging->top()[1];
  EXPECT_EQ(one.rank_diff_type, 3);  // rank 1 on the surging edition of kDay-7
  EXPECT_EQ(one.rank_diff, 1);
  EXPECT_EQ(one.on_list_times, 8);   // kDay-7..kDay-1 and kDay
  EXPECT_FALSE(one.new_to_top_100);  // listed on kDay-7, before the window
  EXPECT_EQ(one.growth_hundredths, 300);
  // The popular chart keeps its own history: clip 3 listed every day since kDay-20.
  const Edition* popular = set->Find(kUS, 7);
  ASSERT_NE(popular, nullptr);
  EXPECT_EQ(Clips(popular->top()), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(popular->top()[2].on_list_times, 21);
  EXPECT_EQ(popular->top()[0].on_list_times, 8);   // kDay-7..kDay-1 and kDay
  EXPECT_EQ(popular->top()[0].rank_diff_type, 2);  // rank 1 on kDay-7 too (60 > 1)
  // A sound that is not eligible is not found by a surging search.
  EXPECT_TRUE(surging->Search("").size() == 2);
  // Past surging editions exist (as_of) and none before clip 1's surge.
  auto past = set->EditionOf(kUS, 7, ChartKind::kSurging, kDay - 7);
  ASSERT_NE(past, nullptr);
  EXPECT_EQ(Clips(past->top()), (std::vector<uint64_t>{1}));
  EXPECT_EQ(past->top()[0].growth_hundredths, 700);
  EXPECT_EQ(set->EditionOf(kUS, 7, ChartKind::kSurging, kDay - 8), nullptr);
}

}  // namespace
}  // namespace soundtrend::engine
