#include "engine/build_history.h"

#include <gtest/gtest.h>

#include <map>
#include <tuple>
#include <vector>

#include "engine/publisher.h"
#include "store/memory_chart_store.h"

namespace soundtrend::engine {
namespace {

const Day kDay = *ParseDay("2026-03-01");
const RegionId kUS = *FindRegion("US");

using MemoryStore = store::MemoryChartStore;
using EditionMap = std::map<std::tuple<ChartKind, RegionId, int, Day>, store::EditionRecord>;

EditionMap Editions(store::ChartStore& store) {
  EditionMap out;
  EXPECT_TRUE(store
                  .ForEachEdition([&](const store::EditionRecord& r) {
                    out[{r.kind, r.region, r.period, r.day}] = r;
                    return Status::Ok();
                  })
                  .ok());
  return out;
}

// 10:00 UTC on `day`.
FakeClock ClockOn(Day day) { return FakeClock(DayStartUnixSeconds(day) * 1000000 + 36000000000); }

void AddUses(MemoryStore& store, Day from, Day to) {
  static int next_id = 0;
  Batch batch;
  batch.id = "uses-" + std::to_string(++next_id);
  for (Day d = from; d <= to; ++d) {
    batch.uses.push_back({1, kUS, d, 3});
    batch.uses.push_back({2, kUS, d, 1 + (d % 5)});
  }
  ASSERT_TRUE(store.ApplyBatch(batch).ok());
}

TEST(BuildHistoryTest, EmptyStoreBuildsNothing) {
  MemoryStore store;
  FakeClock clock = ClockOn(kDay);
  auto summary = BuildHistory(store, {}, clock);
  ASSERT_TRUE(summary.ok());
  EXPECT_TRUE(summary->no_data);
  EXPECT_EQ(store.save_calls(), 0);
  EXPECT_EQ(FormatBuildSummary(*summary), "no usage data yet: nothing to build\n");
}

TEST(BuildHistoryTest, DefaultAsOfIsTheLatestClosedDayAndASecondRunSavesNothing) {
  MemoryStore store;
  AddUses(store, kDay - 9, kDay);   // data for today too (not closed yet)
  FakeClock clock = ClockOn(kDay);  // 10:00: yesterday is closed (lateness 2 h)
  auto summary = BuildHistory(store, {}, clock);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_FALSE(summary->no_data);
  EXPECT_EQ(summary->as_of, kDay - 1);
  EXPECT_FALSE(summary->as_of_clamped);
  EXPECT_EQ(summary->days_computed, 9);
  EXPECT_EQ(summary->first_computed_day, kDay - 9);
  EXPECT_EQ(summary->editions_saved, 9 * 6);  // popular and surging
  EXPECT_EQ(Editions(store).size(), 9u * 6);
  EXPECT_EQ(Editions(store).count({ChartKind::kPopular, kUS, 7, kDay}), 0u);
  EXPECT_EQ(summary->stats.cells, 20);
  // The saved history is what a fresh engine computes.
  ChartEngine engine;
  ASSERT_TRUE(store
                  .ForEachDailyUses([&](const DailyUses& u) {
                    engine.AddDailyUses(u);
                    return Status::Ok();
                  })
                  .ok());
  engine.set_data_seq(*store.LatestBatchSeq());
  EditionMap expected;
  for (const auto& r : engine.ComputeHistoryThrough(kDay - 1))
    expected[{r.kind, r.region, r.period, r.day}] = r;
  EXPECT_EQ(Editions(store), expected);

  auto again = BuildHistory(store, {}, clock);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->days_computed, 0);
  EXPECT_EQ(again->editions_saved, 0);
  EXPECT_EQ(again->editions_loaded, 54);
  EXPECT_EQ(store.save_calls(), 1);
  EXPECT_NE(FormatBuildSummary(*again).find("computed: 0 new days"), std::string::npos);
}

TEST(BuildHistoryTest, DefaultAsOfIsClampedToTheLastDayWithData) {
  MemoryStore store;
  AddUses(store, kDay - 4, kDay);
  FakeClock clock = ClockOn(kDay + 30);
  auto summary = BuildHistory(store, {}, clock);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->as_of, kDay);
  EXPECT_TRUE(summary->as_of_clamped);
  EXPECT_EQ(summary->days_computed, 5);
  EXPECT_NE(FormatBuildSummary(*summary).find("as of 2026-03-01 (last day with data"),
            std::string::npos);
}

TEST(BuildHistoryTest, LatenessMovesTheClosedDay) {
  MemoryStore store;
  AddUses(store, kDay - 4, kDay);
  // 01:00 on kDay+1: with 2 h lateness kDay is not closed; with 0 it is.
  FakeClock clock(DayStartUnixSeconds(kDay + 1) * 1000000 + 3600000000LL);
  auto late = BuildHistory(store, {}, clock);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->as_of, kDay - 1);
  MemoryStore store2;
  AddUses(store2, kDay - 4, kDay);
  auto prompt = BuildHistory(store2, {.as_of = std::nullopt, .lateness_seconds = 0}, clock);
  ASSERT_TRUE(prompt.ok());
  EXPECT_EQ(prompt->as_of, kDay);
}

TEST(BuildHistoryTest, ExplicitAsOfBuildsThroughItAndALaterRunContinues) {
  MemoryStore store;
  AddUses(store, kDay - 9, kDay);
  FakeClock clock = ClockOn(kDay + 1);
  auto first = BuildHistory(store, {.as_of = kDay - 5}, clock);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->days_computed, 5);
  EXPECT_EQ(Editions(store).size(), 30u);
  auto second = BuildHistory(store, {.as_of = kDay}, clock);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->first_computed_day, kDay - 4);
  EXPECT_EQ(second->days_computed, 5);
  EXPECT_EQ(second->editions_saved, 30);
  EXPECT_EQ(Editions(store).size(), 60u);
  // Before the data: nothing to do.
  auto before = BuildHistory(store, {.as_of = kDay - 100}, clock);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->days_computed, 0);
  EXPECT_NE(FormatBuildSummary(*before).find("no data on or before"), std::string::npos);
}

TEST(BuildHistoryTest, LateDataStoredAfterABuildIsRecomputedAndReported) {
  MemoryStore store;
  AddUses(store, kDay - 9, kDay);
  FakeClock clock = ClockOn(kDay + 1);
  ASSERT_TRUE(BuildHistory(store, {}, clock).ok());
  // A batch for a day already built (e.g. `soundtrend ingest` of late records): clip 3
  // overtakes everyone on kDay-3.
  Batch late;
  late.id = "late";
  late.uses = {{3, kUS, kDay - 3, 500}};
  ASSERT_TRUE(*store.ApplyBatch(late));
  auto summary = BuildHistory(store, {}, clock);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->stale.keys, 1);
  EXPECT_EQ(summary->stale.first_day, kDay - 3);
  // popular 7/30/120 and surging 7/30/120 of kDay-3..kDay.
  EXPECT_EQ(summary->history.recomputed, 6 * 4);
  EXPECT_EQ(summary->history.first_recomputed, kDay - 3);
  EXPECT_EQ(summary->history.last_recomputed, kDay);
  EXPECT_GT(summary->history.changed, 0);
  EXPECT_EQ(summary->editions_saved, 6 * 4);
  EXPECT_EQ(summary->days_computed, 0);
  const std::string text = FormatBuildSummary(*summary);
  EXPECT_NE(text.find("late data: 1 (region, day) pairs changed"), std::string::npos) << text;
  EXPECT_NE(text.find("recomputed: 24 editions of 2026-02-26..2026-03-01"), std::string::npos)
      << text;
  // The saved history is now what a computation from scratch gives.
  EditionMap saved = Editions(store);
  ChartEngine engine;
  ASSERT_TRUE(store
                  .ForEachDailyUses([&](const DailyUses& u) {
                    engine.AddDailyUses(u);
                    return Status::Ok();
                  })
                  .ok());
  for (const auto& r : engine.ComputeHistoryThrough(kDay)) {
    const auto it = saved.find({r.kind, r.region, r.period, r.day});
    ASSERT_NE(it, saved.end());
    EXPECT_EQ(it->second.top_clip_ids, r.top_clip_ids);
  }
  EXPECT_EQ(saved.at({ChartKind::kPopular, kUS, 7, kDay}).top_clip_ids.front(), 3u);
  // A third run: nothing stale, nothing to save.
  auto again = BuildHistory(store, {}, clock);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stale.keys, 0);
  EXPECT_EQ(again->editions_saved, 0);
}

TEST(BuildHistoryTest, RefusesADayThatIsNotClosed) {
  MemoryStore store;
  AddUses(store, kDay - 2, kDay);
  FakeClock clock = ClockOn(kDay);
  auto summary = BuildHistory(store, {.as_of = kDay}, clock);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(summary.status().message().find("not a closed day"), std::string::npos);
  EXPECT_EQ(store.save_calls(), 0);
}

}  // namespace
}  // namespace soundtrend::engine
