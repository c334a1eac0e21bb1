#include "ingest/batch_builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <tuple>

namespace soundtrend::ingest {
namespace {

const RegionId kUs = *LookupRegion("US");
const RegionId kFr = *LookupRegion("FR");
constexpr int64_t kDay0 = 1769904000;  // 2026-02-01T00:00:00Z
const Day kD0 = DayOfUnixSeconds(kDay0);

ParsedRecord Use(uint64_t clip, RegionId region, int64_t time, uint64_t video = 0,
                 int64_t views = 0, std::string_view cover = "") {
  ParsedRecord r;
  r.kind = RecordKind::kUse;
  r.use = UseRecord{clip, region, time, video, cover, views};
  return r;
}

ParsedRecord Daily(uint64_t clip, RegionId region, Day day, int64_t uses) {
  ParsedRecord r;
  r.kind = RecordKind::kDaily;
  r.daily = DailyUses{clip, region, day, uses};
  return r;
}

ParsedRecord Sound(uint64_t clip, std::string title) {
  ParsedRecord r;
  r.kind = RecordKind::kSound;
  r.sound.clip_id = clip;
  r.sound.song_id = clip + 1;
  r.sound.title = std::move(title);
  return r;
}

TEST(BatchBuilderTest, UsesAreCountedPerClipRegionAndUtcDaySorted) {
  BatchBuilder b;
  b.Add(Use(5, kUs, kDay0 + 10));
  b.Add(Use(5, kUs, kDay0 + 86399));  // same day
  b.Add(Use(5, kUs, kDay0 + 86400));  // next day
  b.Add(Use(5, kFr, kDay0));          // other region
  b.Add(Use(3, kUs, kDay0));          // other clip
  b.Add(Daily(5, kUs, kD0, 40));      // adds to the same cell
  b.Add(Daily(9, kFr, kD0 + 1, 2));   // a cell of its own
  EXPECT_EQ(b.records(), 7);
  EXPECT_EQ(b.cells(), 5u);
  Batch batch = b.Finish("id1");
  EXPECT_EQ(batch.id, "id1");
  EXPECT_EQ(batch.source_records, 7);
  std::vector<DailyUses> want = {{3, kUs, kD0, 1},
                                 {5, kUs, kD0, 42},
                                 {5, kFr, kD0, 1},
                                 {5, kUs, kD0 + 1, 1},
                                 {9, kFr, kD0 + 1, 2}};
  std::sort(want.begin(), want.end(), [](const DailyUses& a, const DailyUses& b) {
    return std::tie(a.day, a.region, a.clip_id) < std::tie(b.day, b.region, b.clip_id);
  });
  EXPECT_EQ(batch.uses, want);
  EXPECT_TRUE(batch.videos.empty());
  EXPECT_TRUE(batch.sounds.empty());
  // Finish resets.
  EXPECT_EQ(b.records(), 0);
  EXPECT_EQ(b.cells(), 0u);
  Batch empty = b.Finish("id2");
  EXPECT_TRUE(empty.uses.empty());
  EXPECT_EQ(empty.source_records, 0);
}

TEST(BatchBuilderTest, KeepsTheFourMostViewedVideosPerCellTiesToSmallerId) {
  BatchBuilder b;
  b.Add(Use(1, kUs, kDay0, 10, 100, "a"));
  b.Add(Use(1, kUs, kDay0, 11, 500, "b"));
  b.Add(Use(1, kUs, kDay0, 12, 300, "c"));
  b.Add(Use(1, kUs, kDay0, 13, 300, "d"));
  b.Add(Use(1, kUs, kDay0, 14, 300, "e"));        // ties with 12 and 13: larger id loses
  b.Add(Use(1, kUs, kDay0, 10, 50, "a-old"));     // same video, fewer views: ignored
  b.Add(Use(1, kUs, kDay0, 13, 900, "d-new"));    // same video, more views: updated
  b.Add(Use(1, kUs, kDay0, 9, 100, "f"));         // fewer views than the 4th: dropped
  b.Add(Use(1, kUs, kDay0, 8, 300, "h"));         // ties at 300: the smaller id evicts 14
  b.Add(Use(1, kUs, kDay0 + 86400, 20, 1, "g"));  // other day
  Batch batch = b.Finish("v");
  ASSERT_EQ(batch.uses.size(), 2u);
  EXPECT_EQ(batch.uses[0].uses, 9);
  std::vector<std::tuple<uint64_t, Day, int64_t, std::string>> got;
  for (const VideoRecord& v : batch.videos) {
    EXPECT_EQ(v.clip_id, 1u);
    EXPECT_EQ(v.region, kUs);
    got.emplace_back(v.video_id, v.day, v.views, v.cover);
  }
  std::vector<std::tuple<uint64_t, Day, int64_t, std::string>> want = {{13, kD0, 900, "d-new"},
                                                                       {11, kD0, 500, "b"},
                                                                       {8, kD0, 300, "h"},
                                                                       {12, kD0, 300, "c"},
                                                                       {20, kD0 + 1, 1, "g"}};
  EXPECT_EQ(got, want);
}

TEST(BatchBuilderTest, LaterSoundRecordReplacesEarlier) {
  BatchBuilder b;
  b.Add(Sound(1, "old"));
  b.Add(Sound(2, "other"));
  b.Add(Sound(1, "new"));
  Batch batch = b.Finish("s");
  ASSERT_EQ(batch.sounds.size(), 2u);
  EXPECT_EQ(batch.sounds[0].clip_id, 1u);
  EXPECT_EQ(batch.sounds[0].title, "new");
  EXPECT_EQ(batch.sounds[1].title, "other");
}

TEST(BatchBuilderTest, ManyCellsEqualASimpleMapAcrossTableGrowth) {
  std::mt19937_64 rng(7);
  BatchBuilder b;
  std::map<std::tuple<Day, RegionId, uint64_t>, int64_t> want;
  for (int i = 0; i < 200000; ++i) {
    const uint64_t clip = 1 + rng() % 20000;
    const RegionId region = static_cast<RegionId>(rng() % kRegionCount);
    const int64_t time = kDay0 + static_cast<int64_t>(rng() % (5 * 86400));
    b.Add(Use(clip, region, time));
    ++want[{DayOfUnixSeconds(time), region, clip}];
  }
  EXPECT_EQ(b.cells(), want.size());
  Batch batch = b.Finish("big");
  ASSERT_EQ(batch.uses.size(), want.size());
  size_t i = 0;
  for (const auto& [key, uses] : want) {
    const DailyUses& d = batch.uses[i++];
    EXPECT_EQ(std::make_tuple(d.day, d.region, d.clip_id), key);
    EXPECT_EQ(d.uses, uses);
  }
}

}  // namespace
}  // namespace soundtrend::ingest
