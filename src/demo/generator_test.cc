// The generator on small platforms: options, repeatability, the raw/daily split, sink
// errors. The properties of a generated platform (ids, catalog, shape, charts) are in
// platform_test.cc, which generates each platform it reads once.
#include "demo/generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "common/json_writer.h"
#include "demo/collecting_sink.h"

namespace soundtrend::demo {
namespace {

constexpr Day kEndDay = 20000;  // 2024-10-04, a Friday

DemoOptions SmallOptions(uint64_t seed = 42) {
  DemoOptions o;
  o.seed = seed;
  o.sounds = 3000;
  o.days = 240;
  o.end_day = kEndDay;
  o.raw_days = 14;
  o.raw_fraction = 0.1;
  return o;
}

using Cell = std::tuple<uint64_t, RegionId, Day>;

// Uses per (clip, region, day), daily and raw streams added together, sorted by cell.
// (A sorted vector: a std::map of the ~3 million cells takes seconds to build.)
std::vector<std::pair<Cell, int64_t>> UsesByCell(const CollectingSink& sink) {
  std::vector<std::pair<Cell, int64_t>> all;
  all.reserve(sink.daily.size() + sink.raw.size());
  for (const DailyUses& d : sink.daily) all.push_back({{d.clip_id, d.region, d.day}, d.uses});
  for (const RawUse& u : sink.raw)
    all.push_back({{u.clip_id, u.region, DayOfUnixSeconds(u.time)}, 1});
  std::sort(all.begin(), all.end());
  std::vector<std::pair<Cell, int64_t>> out;
  for (const auto& [cell, uses] : all) {
    if (!out.empty() && out.back().first == cell)
      out.back().second += uses;
    else
      out.push_back({cell, uses});
  }
  return out;
}

TEST(DemoGeneratorTest, RejectsBadOptions) {
  CollectingSink sink;
  auto with = [](auto change) {
    DemoOptions o = SmallOptions();
    change(o);
    return o;
  };
  EXPECT_FALSE(Generate(with([](DemoOptions& o) { o.sounds = 0; }), sink).ok());
  EXPECT_FALSE(Generate(with([](DemoOptions& o) { o.days = 0; }), sink).ok());
  EXPECT_FALSE(Generate(with([](DemoOptions& o) { o.scale = 0; }), sink).ok());
  EXPECT_FALSE(Generate(with([](DemoOptions& o) { o.raw_fraction = 1.5; }), sink).ok());
  EXPECT_FALSE(Generate(with([](DemoOptions& o) { o.raw_days = -1; }), sink).ok());
  EXPECT_FALSE(Generate(with([](DemoOptions& o) { o.end_day = 30000; }), sink).ok());  // 2052
  EXPECT_FALSE(Generate(with([](DemoOptions& o) { o.regions = {200}; }), sink).ok());
  EXPECT_EQ(Generate(with([](DemoOptions& o) { o.sounds = 0; }), sink).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_TRUE(sink.sounds.empty());
  EXPECT_TRUE(sink.days.empty());
}

TEST(DemoGeneratorTest, SameSeedGivesSameOutputAndOtherSeedDiffers) {
  DemoOptions o = SmallOptions(5);
  o.sounds = 800;
  o.days = 60;
  CollectingSink a, b, c;
  ASSERT_TRUE(Generate(o, a).ok());
  ASSERT_TRUE(Generate(o, b).ok());
  o.seed = 6;
  ASSERT_TRUE(Generate(o, c).ok());
  EXPECT_EQ(a.sounds, b.sounds);
  EXPECT_EQ(a.daily, b.daily);
  ASSERT_EQ(a.raw.size(), b.raw.size());
  for (size_t i = 0; i < a.raw.size(); ++i) {
    EXPECT_EQ(a.raw[i].video_id, b.raw[i].video_id);
    EXPECT_EQ(a.raw[i].views, b.raw[i].views);
  }
  EXPECT_NE(a.sounds, c.sounds);
  EXPECT_NE(a.daily, c.daily);
}

TEST(DemoGeneratorTest, OnlyRequestedRegionsAppear) {
  DemoOptions o = SmallOptions();
  o.sounds = 500;
  o.days = 30;
  o.regions = {*FindRegion("IS"), *FindRegion("JP"), *FindRegion("US"), *FindRegion("US")};
  CollectingSink sink;
  ASSERT_TRUE(Generate(o, sink).ok());
  std::set<RegionId> seen;
  for (const DailyUses& d : sink.daily) seen.insert(d.region);
  for (const RawUse& u : sink.raw) seen.insert(u.region);
  EXPECT_EQ(seen, (std::set<RegionId>{*FindRegion("IS"), *FindRegion("JP"), *FindRegion("US")}));
}

TEST(DemoGeneratorTest, RawFractionZeroOrOneMovesAllCells) {
  DemoOptions o = SmallOptions();
  o.sounds = 500;
  o.days = 20;
  o.raw_days = 5;
  o.raw_fraction = 0;
  CollectingSink none, all;
  ASSERT_TRUE(Generate(o, none).ok());
  EXPECT_TRUE(none.raw.empty());
  o.raw_fraction = 1;
  ASSERT_TRUE(Generate(o, all).ok());
  for (const DailyUses& d : all.daily) EXPECT_LE(d.day, kEndDay - 5);
  EXPECT_EQ(UsesByCell(none), UsesByCell(all));  // same platform, only the split differs
}

class FailingSink final : public DemoSink {
 public:
  Status OnSound(const SoundRecord&) override { return Status::Ok(); }
  Status OnDay(Day, std::span<const DailyUses>, std::span<const RawUse>) override {
    return ++days_ == 3 ? Status::IoError("disk full") : Status::Ok();
  }
  int days_ = 0;
};

TEST(DemoGeneratorTest, SinkErrorStopsGeneration) {
  FailingSink sink;
  auto summary = Generate(SmallOptions(), sink);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().code(), Status::Code::kIoError);
  EXPECT_EQ(sink.days_, 3);
}

TEST(DemoGeneratorTest, ToVideoRecordDescribesTheUse) {
  RawUse use{7000000000000000001ULL, 3, 1728000000, 7421000000000000002ULL, 1234};
  VideoRecord v = ToVideoRecord(use);
  EXPECT_EQ(v.video_id, use.video_id);
  EXPECT_EQ(v.clip_id, use.clip_id);
  EXPECT_EQ(v.region, 3);
  EXPECT_EQ(v.day, DayOfUnixSeconds(1728000000));
  EXPECT_EQ(v.cover, "https://cdn.soundtrend.example/video/7421000000000000002.jpeg");
  EXPECT_EQ(v.views, 1234);
}

}  // namespace
}  // namespace soundtrend::demo
