#include "engine/build_history.h"

#include <gtest/gtest.h>

#include <map>
#include <tuple>
#include <vector>

#include "engine/publisher.h"

namespace soundtrend::engine {
namespace {

const Day kDay = *ParseDay("2026-03-01");
const RegionId kUS = *FindRegion("US");

// An in-memory ChartStore, just enough for the build.
class MemoryStore final : public store::ChartStore {
 public:
  Result<bool> ApplyBatch(const Batch& batch) override {
    for (const auto& s : batch.sounds) sounds[s.clip_id] = s;
    for (const auto& u : batch.uses) uses[{u.day, u.region, u.clip_id}] += u.uses;
    for (const auto& v : batch.videos) videos.push_back(v);
    return true;
  }
  Result<bool> HasBatch(const std::string&) override { return false; }
  Status ForEachSound(const std::function<Status(const SoundRecord&)>& fn) override {
    for (const auto& [clip, s] : sounds) ST_RETURN_IF_ERROR(fn(s));
    return Status::Ok();
  }
  Status ForEachDailyUses(const std::function<Status(const DailyUses&)>& fn) override {
    for (const auto& [key, n] : uses) {
      const auto& [day, region, clip] = key;
      ST_RETURN_IF_ERROR(fn({clip, region, day, n}));
    }
    return Status::Ok();
  }
  Status ForEachVideo(const std::function<Status(const VideoRecord&)>& fn) override {
    for (const auto& v : videos) ST_RETURN_IF_ERROR(fn(v));
    return Status::Ok();
  }
  Result<std::optional<Day>> LatestUsageDay() override {
    if (uses.empty()) return std::optional<Day>();
    return std::optional<Day>(std::get<0>(uses.rbegin()->first));
  }
  Status SaveEditions(std::span<const store::EditionRecord> records) override {
    ++save_calls;
    for (const auto& r : records) editions[{r.kind, r.region, r.period, r.day}] = r;
    return Status::Ok();
  }
  Status ForEachEdition(const std::function<Status(const store::EditionRecord&)>& fn) override {
    for (const auto& [key, record] : editions) ST_RETURN_IF_ERROR(fn(record));
    return Status::Ok();
  }
  Result<store::StoreStats> Stats() override { return store::StoreStats{}; }

  std::map<uint64_t, SoundRecord> sounds;
  std::map<std::tuple<Day, RegionId, uint64_t>, int64_t> uses;
  std::vector<VideoRecord> videos;
  std::map<std::tuple<ChartKind, RegionId, int, Day>, store::EditionRecord> editions;
  int save_calls = 0;
};

// 10:00 UTC on `day`.
FakeClock ClockOn(Day day) { return FakeClock(DayStartUnixSeconds(day) * 1000000 + 36000000000); }

void AddUses(MemoryStore& store, Day from, Day to) {
  Batch batch;
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
  EXPECT_EQ(store.save_calls, 0);
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
  EXPECT_EQ(store.editions.size(), 9u * 6);
  EXPECT_EQ(store.editions.count({ChartKind::kPopular, kUS, 7, kDay}), 0u);
  EXPECT_EQ(summary->stats.cells, 20);
  // The saved history is what a fresh engine computes.
  ChartEngine engine;
  for (const auto& [key, n] : store.uses)
    engine.AddDailyUses({std::get<2>(key), std::get<1>(key), std::get<0>(key), n});
  std::map<std::tuple<ChartKind, RegionId, int, Day>, store::EditionRecord> expected;
  for (const auto& r : engine.ComputeHistoryThrough(kDay - 1))
    expected[{r.kind, r.region, r.period, r.day}] = r;
  EXPECT_EQ(store.editions, expected);

  auto again = BuildHistory(store, {}, clock);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->days_computed, 0);
  EXPECT_EQ(again->editions_saved, 0);
  EXPECT_EQ(again->editions_loaded, 54);
  EXPECT_EQ(store.save_calls, 1);
  EXPECT_NE(FormatBuildSummary(*again).find("computed: 0 days"), std::string::npos);
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
  EXPECT_EQ(store.editions.size(), 30u);
  auto second = BuildHistory(store, {.as_of = kDay}, clock);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->first_computed_day, kDay - 4);
  EXPECT_EQ(second->days_computed, 5);
  EXPECT_EQ(second->editions_saved, 30);
  EXPECT_EQ(store.editions.size(), 60u);
  // Before the data: nothing to do.
  auto before = BuildHistory(store, {.as_of = kDay - 100}, clock);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->days_computed, 0);
  EXPECT_NE(FormatBuildSummary(*before).find("no data on or before"), std::string::npos);
}

TEST(BuildHistoryTest, RefusesADayThatIsNotClosed) {
  MemoryStore store;
  AddUses(store, kDay - 2, kDay);
  FakeClock clock = ClockOn(kDay);
  auto summary = BuildHistory(store, {.as_of = kDay}, clock);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(summary.status().message().find("not a closed day"), std::string::npos);
  EXPECT_EQ(store.save_calls, 0);
}

}  // namespace
}  // namespace soundtrend::engine
