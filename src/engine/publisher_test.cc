#include "engine/publisher.h"

#include <gtest/gtest.h>

#include "common/day.h"
#include "store/memory_chart_store.h"

namespace soundtrend::engine {
namespace {

constexpr int64_t kMicros = 1000000;
const Day kDay = *ParseDay("2026-03-01");
const RegionId kUS = *FindRegion("US");

int64_t At(Day day, int64_t seconds_into_day) {
  return (DayStartUnixSeconds(day) + seconds_into_day) * kMicros;
}

TEST(LatestClosedDayTest, DayClosesAfterTheLatenessAllowance) {
  const int64_t two_hours = 2 * 3600;
  // Just before 02:00 on kDay+1: kDay is still open.
  EXPECT_EQ(LatestClosedDay(At(kDay + 1, two_hours) - 1, two_hours), kDay - 1);
  // At 02:00 on kDay+1: kDay is closed.
  EXPECT_EQ(LatestClosedDay(At(kDay + 1, two_hours), two_hours), kDay);
  EXPECT_EQ(LatestClosedDay(At(kDay + 1, 23 * 3600), two_hours), kDay);
  // No allowance: a day closes at midnight.
  EXPECT_EQ(LatestClosedDay(At(kDay + 1, 0), 0), kDay);
  EXPECT_EQ(LatestClosedDay(At(kDay + 1, 0) - 1, 0), kDay - 1);
  // Before 1970.
  EXPECT_EQ(LatestClosedDay(-1, 0), -2);
}

TEST(PublisherTest, PublishesWhenADayClosesOrDataArrives) {
  ChartEngine engine;
  FakeClock clock(At(kDay + 1, 3600));  // 01:00: kDay not closed yet
  Publisher publisher(&engine, &clock, {2 * 3600});
  Batch batch;
  batch.uses = {{1, kUS, kDay - 1, 5}, {2, kUS, kDay, 7}};
  publisher.Apply(batch);

  auto first = *publisher.Poll();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->charts->day(), kDay - 1);
  ASSERT_NE(first->charts->Find(kUS, 7), nullptr);
  EXPECT_EQ(first->charts->Find(kUS, 7)->top().size(), 1u);
  EXPECT_EQ(first->new_editions.size(), 6u);    // kDay-1, 3 periods x 2 kinds
  EXPECT_FALSE(publisher.Poll()->has_value());  // nothing new

  clock.AdvanceSeconds(3600);  // 02:00: kDay closes
  auto second = *publisher.Poll();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->charts->day(), kDay);
  EXPECT_EQ(second->charts->Find(kUS, 7)->top()[0].sound->clip_id, 2u);
  EXPECT_EQ(second->new_editions.size(), 6u);
  EXPECT_FALSE(publisher.Poll()->has_value());

  Batch late;
  late.uses = {{1, kUS, kDay, 10}};
  publisher.Apply(late);
  auto third = *publisher.Poll();
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->charts->day(), kDay);
  EXPECT_EQ(third->charts->Find(kUS, 7)->top()[0].sound->clip_id, 1u);
  // The old publication is untouched.
  EXPECT_EQ(second->charts->Find(kUS, 7)->top()[0].sound->clip_id, 2u);
}

// Batches written to the store by anyone (another process, another node) reach the engine
// at the next Poll, late ones included, and the publication equals an engine loaded from
// the store from scratch.
TEST(PublisherTest, WithAStoreEveryStoredBatchReachesTheNextPollLateDataIncluded) {
  store::MemoryChartStore store;
  Batch first;
  first.id = "first";
  for (Day d = kDay - 20; d <= kDay; ++d) {
    first.uses.push_back({1, kUS, d, 10});
    first.uses.push_back({2, kUS, d, 8});
  }
  ASSERT_TRUE(*store.ApplyBatch(first));
  ChartEngine engine;
  auto loaded = LoadEngine(store, engine);
  ASSERT_TRUE(loaded.ok());
  FakeClock clock(At(kDay + 1, 3 * 3600));  // kDay closed
  Publisher publisher(&engine, &clock, {2 * 3600}, &store, loaded->seq);
  auto published = *publisher.Poll();
  ASSERT_TRUE(published.has_value());
  EXPECT_EQ(published->charts->Find(kUS, 7)->top()[0].sound->clip_id, 1u);
  EXPECT_FALSE(publisher.Poll()->has_value());  // nothing stored since

  // Late data for published days, stored by "another process": clip 2 overtakes on kDay-10
  // and after; a catalog record arrives too.
  Batch late;
  late.id = "late";
  late.uses = {{2, kUS, kDay - 10, 100}};
  SoundRecord two;
  two.clip_id = 2;
  two.song_id = 3;
  two.title = "Two";
  late.sounds = {two};
  ASSERT_TRUE(*store.ApplyBatch(late));
  auto republished = *publisher.Poll();
  ASSERT_TRUE(republished.has_value());
  EXPECT_EQ(republished->sync.cell_days, 1);
  EXPECT_EQ(republished->sync.sounds, 1);
  EXPECT_EQ(republished->sync.first_day, kDay - 10);
  EXPECT_EQ(publisher.watermark(), *store.LatestBatchSeq());
  // Recomputed: the editions whose span holds kDay-10 (popular 7: kDay-10..kDay-4; 30 and
  // 120: kDay-10..kDay; surging 7: kDay-10..kDay; surging 30 and 120: kDay-10..kDay).
  EXPECT_EQ(republished->history.recomputed, 7 + 5 * 11);
  const ChartSet& charts = *republished->charts;
  EXPECT_EQ(charts.Find(kUS, 30)->top()[0].sound->clip_id, 2u);
  EXPECT_EQ(charts.Find(kUS, 30)->top()[0].sound->title, "Two");
  auto past = charts.EditionOf(kUS, 7, ChartKind::kPopular, kDay - 7);
  ASSERT_NE(past, nullptr);
  EXPECT_EQ(past->top()[0].sound->clip_id, 2u);
  // Equal to an engine loaded from the store now, from scratch.
  ASSERT_TRUE(store.SaveEditions(republished->new_editions).ok());
  ChartEngine fresh;
  ASSERT_TRUE(LoadEngine(store, fresh).ok());
  auto scratch = fresh.Publish(kDay, nullptr);
  for (ChartKind kind : kChartKinds) {
    for (int period : kPeriods) {
      for (Day d = kDay - 20; d <= kDay; ++d) {
        auto a = charts.EditionOf(kUS, period, kind, d);
        auto b = scratch->EditionOf(kUS, period, kind, d);
        ASSERT_EQ(a == nullptr, b == nullptr);
        if (!a) continue;
        ASSERT_EQ(a->top().size(), b->top().size());
        for (size_t i = 0; i < a->top().size(); ++i) {
          EXPECT_EQ(a->top()[i].sound->clip_id, b->top()[i].sound->clip_id);
          EXPECT_EQ(a->top()[i].usage_count, b->top()[i].usage_count);
          EXPECT_EQ(a->top()[i].rank_diff_type, b->top()[i].rank_diff_type);
          EXPECT_EQ(a->top()[i].on_list_times, b->top()[i].on_list_times);
        }
      }
    }
  }
}

}  // namespace
}  // namespace soundtrend::engine
