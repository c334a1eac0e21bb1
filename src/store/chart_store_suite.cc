#include "store/chart_store_suite.h"

#include <gmock/gmock.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <tuple>
#include <vector>

#include "common/regions.h"

namespace soundtrend::store {
namespace {

RegionId R(std::string_view code) { return *FindRegion(code); }

SoundRecord Sound(uint64_t clip, std::string title) {
  SoundRecord s;
  s.clip_id = clip;
  s.song_id = clip + 1;
  s.title = std::move(title);
  s.author = "author " + std::to_string(clip);
  s.cover = "https://example.com/" + std::to_string(clip) + ".jpeg";
  s.duration = 30;
  s.commercial = clip % 2 == 0;
  s.promoted = clip % 3 == 0;
  return s;
}

VideoRecord Video(uint64_t video, uint64_t clip, RegionId region, Day day, int64_t views) {
  return VideoRecord{video, clip, region, day, "https://example.com/v" + std::to_string(video),
                     views};
}

std::vector<SoundRecord> AllSounds(ChartStore& store) {
  std::vector<SoundRecord> out;
  EXPECT_TRUE(store
                  .ForEachSound([&](const SoundRecord& s) {
                    out.push_back(s);
                    return Status::Ok();
                  })
                  .ok());
  return out;
}

std::vector<DailyUses> AllUses(ChartStore& store) {
  std::vector<DailyUses> out;
  EXPECT_TRUE(store
                  .ForEachDailyUses([&](const DailyUses& u) {
                    out.push_back(u);
                    return Status::Ok();
                  })
                  .ok());
  return out;
}

std::vector<VideoRecord> AllVideos(ChartStore& store) {
  std::vector<VideoRecord> out;
  EXPECT_TRUE(store
                  .ForEachVideo([&](const VideoRecord& v) {
                    out.push_back(v);
                    return Status::Ok();
                  })
                  .ok());
  std::sort(out.begin(), out.end(), [](const VideoRecord& a, const VideoRecord& b) {
    return std::tie(a.region, a.clip_id, a.day, a.video_id) <
           std::tie(b.region, b.clip_id, b.day, b.video_id);
  });
  return out;
}

std::vector<EditionRecord> AllEditions(ChartStore& store) {
  std::vector<EditionRecord> out;
  EXPECT_TRUE(store
                  .ForEachEdition([&](const EditionRecord& e) {
                    out.push_back(e);
                    return Status::Ok();
                  })
                  .ok());
  return out;
}

StoreStats StatsOf(ChartStore& store) {
  Result<StoreStats> s = store.Stats();
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : StoreStats{};
}

Batch SampleBatch(std::string id) {
  Batch b;
  b.id = std::move(id);
  b.sounds = {Sound(11, "Eleven"), Sound(12, "Twelve")};
  b.uses = {{11, R("US"), 20000, 5}, {12, R("US"), 20000, 3}, {11, R("GB"), 20001, 7}};
  b.videos = {Video(901, 11, R("US"), 20000, 100), Video(902, 11, R("US"), 20000, 50)};
  b.source_records = 17;
  return b;
}

// Everything ReadChanges(after_seq) reports, and the seq it returns.
struct Changes {
  int64_t through = -1;
  std::vector<SoundRecord> sounds;
  std::map<std::pair<RegionId, Day>, std::vector<DailyUses>> cells;
  std::map<std::pair<RegionId, Day>, std::vector<VideoRecord>> videos;
};

Changes ReadAllChanges(ChartStore& store, int64_t after_seq) {
  Changes c;
  ChartStore::ChangeCallbacks callbacks;
  callbacks.sound = [&](const SoundRecord& s) {
    c.sounds.push_back(s);
    return Status::Ok();
  };
  callbacks.cells = [&](RegionId r, Day d, std::span<const DailyUses> uses) {
    EXPECT_EQ(c.cells.count({r, d}), 0u) << "key reported twice";
    auto& out = c.cells[{r, d}];
    out.assign(uses.begin(), uses.end());
    std::sort(out.begin(), out.end(),
              [](const DailyUses& a, const DailyUses& b) { return a.clip_id < b.clip_id; });
    return Status::Ok();
  };
  callbacks.videos = [&](RegionId r, Day d, std::span<const VideoRecord> videos) {
    auto& out = c.videos[{r, d}];
    out.assign(videos.begin(), videos.end());
    std::sort(out.begin(), out.end(), [](const VideoRecord& a, const VideoRecord& b) {
      return std::tie(a.clip_id, a.video_id) < std::tie(b.clip_id, b.video_id);
    });
    return Status::Ok();
  };
  Result<int64_t> through = store.ReadChanges(after_seq, callbacks);
  EXPECT_TRUE(through.ok()) << through.status().ToString();
  if (through.ok()) c.through = *through;
  return c;
}

std::map<std::pair<RegionId, Day>, int64_t> CellsVersions(ChartStore& store, int64_t after_seq) {
  std::map<std::pair<RegionId, Day>, int64_t> out;
  EXPECT_TRUE(store
                  .ForEachCellsVersion(after_seq,
                                       [&](const CellsVersion& v) {
                                         EXPECT_EQ(out.count({v.region, v.day}), 0u);
                                         out[{v.region, v.day}] = v.seq;
                                         return Status::Ok();
                                       })
                  .ok());
  return out;
}

int64_t LatestSeq(ChartStore& store) {
  Result<int64_t> seq = store.LatestBatchSeq();
  EXPECT_TRUE(seq.ok()) << seq.status().ToString();
  return seq.ok() ? *seq : -1;
}

}  // namespace

void ChartStoreSuite::SetUp() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "chart_store_suite_XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  dir_ = tmpl;
  location_ = dir_ + "/store.db";
}

void ChartStoreSuite::TearDown() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::unique_ptr<ChartStore> ChartStoreSuite::Open(int64_t fail_apply_after_rows) {
  Result<std::unique_ptr<ChartStore>> store = GetParam().open(location_, fail_apply_after_rows);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::string ChartStoreSuiteName(const ::testing::TestParamInfo<ChartStoreSuiteParam>& info) {
  return info.param.name;
}

TEST_P(ChartStoreSuite, EmptyStoreHasNothing) {
  auto store = Open();
  ASSERT_TRUE(store);
  StoreStats s = StatsOf(*store);
  EXPECT_EQ(s.sounds + s.daily_cells + s.videos + s.batches + s.editions, 0);
  Result<std::optional<Day>> latest = store->LatestUsageDay();
  ASSERT_TRUE(latest.ok());
  EXPECT_FALSE(latest->has_value());
  Result<bool> has = store->HasBatch("nope");
  ASSERT_TRUE(has.ok());
  EXPECT_FALSE(*has);
}

TEST_P(ChartStoreSuite, ApplyStoresEverythingAndRecordsTheId) {
  auto store = Open();
  ASSERT_TRUE(store);
  Batch b = SampleBatch("batch-1");
  Result<bool> applied = store->ApplyBatch(b);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_TRUE(*applied);
  EXPECT_TRUE(*store->HasBatch("batch-1"));
  EXPECT_EQ(AllSounds(*store), b.sounds);
  EXPECT_THAT(AllUses(*store), ::testing::UnorderedElementsAreArray(b.uses));
  EXPECT_EQ(AllVideos(*store).size(), 2u);
  StoreStats s = StatsOf(*store);
  EXPECT_EQ(s.sounds, 2);
  EXPECT_EQ(s.daily_cells, 3);
  EXPECT_EQ(s.videos, 2);
  EXPECT_EQ(s.batches, 1);
  Result<std::optional<Day>> latest = store->LatestUsageDay();
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(**latest, 20001);
}

TEST_P(ChartStoreSuite, SameBatchIdTwiceChangesNothing) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(*store->ApplyBatch(SampleBatch("same")));
  // Same id, different content: still refused, nothing changes.
  Batch again = SampleBatch("same");
  again.uses[0].uses = 1000;
  again.sounds[0].title = "Changed";
  Result<bool> second = store->ApplyBatch(again);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  EXPECT_EQ(AllSounds(*store), SampleBatch("same").sounds);
  EXPECT_THAT(AllUses(*store), ::testing::UnorderedElementsAreArray(SampleBatch("same").uses));
  EXPECT_EQ(StatsOf(*store).batches, 1);
}

TEST_P(ChartStoreSuite, DailyUsesOfTwoBatchesSum) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(*store->ApplyBatch(SampleBatch("a")));
  Batch b;
  b.id = "b";
  b.uses = {{11, R("US"), 20000, 10}, {13, R("US"), 20000, 1}};
  ASSERT_TRUE(*store->ApplyBatch(b));
  std::map<std::tuple<uint64_t, RegionId, Day>, int64_t> got;
  for (const DailyUses& u : AllUses(*store)) got[{u.clip_id, u.region, u.day}] = u.uses;
  EXPECT_EQ(got.size(), 4u);
  EXPECT_EQ((got[{11, R("US"), 20000}]), 15);
  EXPECT_EQ((got[{12, R("US"), 20000}]), 3);
  EXPECT_EQ((got[{13, R("US"), 20000}]), 1);
  EXPECT_EQ((got[{11, R("GB"), 20001}]), 7);
}

TEST_P(ChartStoreSuite, LaterSoundReplacesEarlier) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(*store->ApplyBatch(SampleBatch("a")));
  Batch b;
  b.id = "b";
  SoundRecord replaced = Sound(11, "Eleven, remastered");
  replaced.author = "";
  replaced.cover = "";
  replaced.duration = 0;
  replaced.commercial = true;
  b.sounds = {replaced};
  ASSERT_TRUE(*store->ApplyBatch(b));
  std::vector<SoundRecord> sounds = AllSounds(*store);
  ASSERT_EQ(sounds.size(), 2u);
  auto it = std::find_if(sounds.begin(), sounds.end(),
                         [](const SoundRecord& s) { return s.clip_id == 11; });
  ASSERT_NE(it, sounds.end());
  EXPECT_EQ(*it, replaced);
}

TEST_P(ChartStoreSuite, KeepsTheFourMostViewedVideosPerRegionClipDay) {
  auto store = Open();
  ASSERT_TRUE(store);
  const RegionId us = R("US");
  Batch a;
  a.id = "a";
  a.videos = {Video(1, 5, us, 100, 10), Video(2, 5, us, 100, 50), Video(3, 5, us, 100, 30),
              Video(9, 5, us, 101, 1),  // another day: kept independently
              Video(8, 5, R("FR"), 100, 1)};
  ASSERT_TRUE(*store->ApplyBatch(a));
  Batch b;
  b.id = "b";
  // 40 ties with video 7 -> the smaller id (4) wins the last place.
  b.videos = {Video(7, 5, us, 100, 40), Video(4, 5, us, 100, 40), Video(6, 5, us, 100, 5)};
  ASSERT_TRUE(*store->ApplyBatch(b));
  std::vector<uint64_t> kept;
  for (const VideoRecord& v : AllVideos(*store)) {
    if (v.region == us && v.clip_id == 5 && v.day == 100) kept.push_back(v.video_id);
  }
  // Top 4 by views: 2 (50), 4 (40), 7 (40), 3 (30). Contract: "at least" the top 4.
  for (uint64_t id : {2u, 4u, 7u, 3u}) {
    EXPECT_NE(std::find(kept.begin(), kept.end(), id), kept.end()) << "video " << id;
  }
  EXPECT_GE(kept.size(), 4u);
  std::vector<VideoRecord> all = AllVideos(*store);
  EXPECT_EQ(
      std::count_if(all.begin(), all.end(), [](const VideoRecord& v) { return v.day == 101; }), 1);
  EXPECT_EQ(std::count_if(all.begin(), all.end(),
                          [&](const VideoRecord& v) { return v.region == R("FR"); }),
            1);
  // The stored record keeps its cover and views.
  auto top =
      std::find_if(all.begin(), all.end(), [](const VideoRecord& v) { return v.video_id == 2; });
  ASSERT_NE(top, all.end());
  EXPECT_EQ(*top, Video(2, 5, us, 100, 50));
}

TEST_P(ChartStoreSuite, InjectedFailureMidBatchChangesNothing) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(*store->ApplyBatch(SampleBatch("before")));
  }
  Batch b;
  b.id = "fails";
  b.sounds = {Sound(11, "Overwritten?"), Sound(50, "New")};
  b.uses = {{11, R("US"), 20000, 100}, {50, R("US"), 20000, 1}, {50, R("DE"), 20000, 1}};
  b.videos = {Video(903, 11, R("US"), 20000, 1000)};
  for (int64_t fail_after : {0, 1, 3, 5}) {
    SCOPED_TRACE(fail_after);
    auto failing = Open(fail_after);
    ASSERT_TRUE(failing);
    Result<bool> r = failing->ApplyBatch(b);
    EXPECT_FALSE(r.ok());
  }
  auto store = Open();
  ASSERT_TRUE(store);
  Batch before = SampleBatch("before");
  EXPECT_FALSE(*store->HasBatch("fails"));
  EXPECT_EQ(AllSounds(*store), before.sounds);
  EXPECT_THAT(AllUses(*store), ::testing::UnorderedElementsAreArray(before.uses));
  EXPECT_EQ(AllVideos(*store).size(), 2u);
  EXPECT_EQ(StatsOf(*store).batches, 1);
  // The failed batch can be applied afterwards, exactly once.
  EXPECT_TRUE(*store->ApplyBatch(b));
  EXPECT_EQ(StatsOf(*store).daily_cells, 5);
}

TEST_P(ChartStoreSuite, InvalidRecordMidBatchChangesNothing) {
  auto store = Open();
  ASSERT_TRUE(store);
  Batch b = SampleBatch("bad-region");
  b.uses.push_back({99, static_cast<RegionId>(kRegionCount + 5), 20000, 1});
  b.uses.push_back({98, R("US"), 20000, 1});
  EXPECT_FALSE(store->ApplyBatch(b).ok());
  StoreStats s = StatsOf(*store);
  EXPECT_EQ(s.sounds + s.daily_cells + s.videos + s.batches, 0);
  EXPECT_FALSE(*store->HasBatch("bad-region"));
}

TEST_P(ChartStoreSuite, ForEachDailyUsesIsOrderedByDayRegionClip) {
  auto store = Open();
  ASSERT_TRUE(store);
  // Region ids follow the docs/api.md §5 order (AU before AT) which is not alphabetical; clip ids
  // above 2^63 must sort as unsigned numbers.
  const uint64_t big = 18000000000000000000ull;
  Batch b;
  b.id = "order";
  b.uses = {{7, R("AT"), 10, 1}, {big, R("AU"), 10, 1}, {3, R("AU"), 10, 1}, {1, R("US"), 9, 1},
            {2, R("AR"), 11, 1}, {5, R("AU"), 9, 1},    {9, R("AT"), 10, 1}, {4, R("AU"), 10, 1}};
  ASSERT_TRUE(*store->ApplyBatch(b));
  std::vector<DailyUses> got = AllUses(*store);
  std::vector<DailyUses> want = b.uses;
  std::sort(want.begin(), want.end(), [](const DailyUses& x, const DailyUses& y) {
    return std::tie(x.day, x.region, x.clip_id) < std::tie(y.day, y.region, y.clip_id);
  });
  EXPECT_EQ(got, want);
  ASSERT_EQ(got.size(), 8u);
  EXPECT_EQ(got[4].clip_id, big);  // day 9: AU 5, US 1; day 10: AU 3, 4, big
}

TEST_P(ChartStoreSuite, ScanStopsAtCallbackError) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(*store->ApplyBatch(SampleBatch("a")));
  int calls = 0;
  Status st = store->ForEachDailyUses([&](const DailyUses&) {
    ++calls;
    return Status::Internal("stop");
  });
  EXPECT_EQ(st.code(), Status::Code::kInternal);
  EXPECT_EQ(calls, 1);
  calls = 0;
  st = store->ForEachSound([&](const SoundRecord&) {
    ++calls;
    return Status::NotFound("stop");
  });
  EXPECT_EQ(st.code(), Status::Code::kNotFound);
  EXPECT_EQ(calls, 1);
}

TEST_P(ChartStoreSuite, EditionsRoundTripAndSavingAgainReplaces) {
  auto store = Open();
  ASSERT_TRUE(store);
  const uint64_t big = 18446744073709551615ull;
  std::vector<EditionRecord> first = {
      {R("US"), 7, 100, {3, 1, 2}}, {R("US"), 30, 100, {big, 5}}, {R("GB"), 7, 100, {}}};
  ASSERT_TRUE(store->SaveEditions(first).ok());
  std::vector<EditionRecord> second = {{R("US"), 7, 100, {2, 3}}, {R("US"), 7, 101, {9}}};
  ASSERT_TRUE(store->SaveEditions(second).ok());
  std::vector<EditionRecord> got = AllEditions(*store);
  auto find = [&](RegionId r, int p, Day d) -> const EditionRecord* {
    for (const EditionRecord& e : got)
      if (e.region == r && e.period == p && e.day == d) return &e;
    return nullptr;
  };
  ASSERT_EQ(got.size(), 4u);
  ASSERT_TRUE(find(R("US"), 7, 100));
  EXPECT_EQ(find(R("US"), 7, 100)->top_clip_ids, (std::vector<uint64_t>{2, 3}));
  ASSERT_TRUE(find(R("US"), 30, 100));
  EXPECT_EQ(find(R("US"), 30, 100)->top_clip_ids, (std::vector<uint64_t>{big, 5}));
  ASSERT_TRUE(find(R("GB"), 7, 100));
  EXPECT_TRUE(find(R("GB"), 7, 100)->top_clip_ids.empty());
  EXPECT_EQ(StatsOf(*store).editions, 4);
  // An invalid period is refused and saves nothing of its call.
  std::vector<EditionRecord> bad = {{R("US"), 7, 200, {1}}, {R("US"), 8, 200, {1}}};
  EXPECT_FALSE(store->SaveEditions(bad).ok());
  EXPECT_EQ(StatsOf(*store).editions, 4);
}

TEST_P(ChartStoreSuite, EditionsAreKeptPerKindWithTheirDataSeq) {
  auto store = Open();
  ASSERT_TRUE(store);
  const uint64_t big = 18446744073709551615ull;
  std::vector<EditionRecord> first = {{R("US"), 7, 100, {3, 1}, ChartKind::kPopular, 4},
                                      {R("US"), 7, 100, {big, 1}, ChartKind::kSurging, 4},
                                      {R("US"), 120, 100, {}, ChartKind::kSurging, 4}};
  ASSERT_TRUE(store->SaveEditions(first).ok());
  // Saving the surging one again replaces it (and only it), with its new data_seq.
  std::vector<EditionRecord> second = {{R("US"), 7, 100, {2}, ChartKind::kSurging, 9}};
  ASSERT_TRUE(store->SaveEditions(second).ok());
  std::vector<EditionRecord> got = AllEditions(*store);
  EXPECT_THAT(got, ::testing::UnorderedElementsAre(first[0], second[0], first[2]));
  EXPECT_EQ(StatsOf(*store).editions, 3);
}

TEST_P(ChartStoreSuite, BatchesGetIncreasingSeqsAndChangesAreReadAfterASeq) {
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(LatestSeq(*store), 0);
  Changes none = ReadAllChanges(*store, 0);
  EXPECT_EQ(none.through, 0);
  EXPECT_TRUE(none.sounds.empty() && none.cells.empty() && none.videos.empty());

  ASSERT_TRUE(*store->ApplyBatch(SampleBatch("one")));
  const int64_t one = LatestSeq(*store);
  EXPECT_GT(one, 0);
  EXPECT_FALSE(*store->ApplyBatch(SampleBatch("one")));  // known id: no new seq
  EXPECT_EQ(LatestSeq(*store), one);
  // Everything of the first batch, read after seq 0.
  Changes first = ReadAllChanges(*store, 0);
  EXPECT_EQ(first.through, one);
  EXPECT_THAT(first.sounds,
              ::testing::UnorderedElementsAre(Sound(11, "Eleven"), Sound(12, "Twelve")));
  ASSERT_EQ(first.cells.size(), 2u);
  EXPECT_EQ((first.cells[{R("US"), 20000}].size()), 2u);
  ASSERT_EQ(first.videos.size(), 1u);
  EXPECT_EQ((first.videos[{R("US"), 20000}].size()), 2u);

  // A second batch: a new sound record, uses for US day 20000 (added to the first's) and a
  // video on a day with no uses.
  Batch b;
  b.id = "two";
  b.sounds = {Sound(11, "Eleven again")};
  b.sounds[0].music_url = "https://example.com/a/11.mp3";
  b.uses = {{11, R("US"), 20000, 1}, {13, R("US"), 20000, 4}};
  b.videos = {Video(903, 12, R("FR"), 19999, 9)};
  ASSERT_TRUE(*store->ApplyBatch(b));
  const int64_t two = LatestSeq(*store);
  EXPECT_GT(two, one);
  Changes second = ReadAllChanges(*store, one);
  EXPECT_EQ(second.through, two);
  EXPECT_THAT(second.sounds, ::testing::ElementsAre(b.sounds[0]));
  // The whole content of each changed key, not the delta.
  ASSERT_EQ(second.cells.size(), 1u);
  const std::vector<DailyUses> whole = {
      {11, R("US"), 20000, 6}, {12, R("US"), 20000, 3}, {13, R("US"), 20000, 4}};
  EXPECT_EQ((second.cells[{R("US"), 20000}]), whole);
  ASSERT_EQ(second.videos.size(), 1u);
  EXPECT_EQ((second.videos[{R("FR"), 19999}]), std::vector<VideoRecord>{b.videos[0]});
  // Nothing after the latest seq.
  Changes after = ReadAllChanges(*store, two);
  EXPECT_EQ(after.through, two);
  EXPECT_TRUE(after.sounds.empty() && after.cells.empty() && after.videos.empty());
  // Cell versions: the latest batch of each key whose uses changed (videos do not count).
  using Versions = std::map<std::pair<RegionId, Day>, int64_t>;
  const Versions all_versions = {{{R("US"), 20000}, two}, {{R("GB"), 20001}, one}};
  EXPECT_EQ(CellsVersions(*store, 0), all_versions);
  const Versions since_one = {{{R("US"), 20000}, two}};
  EXPECT_EQ(CellsVersions(*store, one), since_one);
  EXPECT_TRUE(CellsVersions(*store, two).empty());
}

TEST_P(ChartStoreSuite, ManyBatchesOnOneKeyKeepTheirNewestSeq) {
  // More batches on one (day, region) than an implementation may keep apart: however it
  // stores them, the key's version is the newest batch's and its content the sum.
  auto store = Open();
  ASSERT_TRUE(store);
  int64_t last = 0;
  for (int i = 0; i < 20; ++i) {
    Batch b;
    b.id = "k" + std::to_string(i);
    b.uses = {{static_cast<uint64_t>(1 + i % 3), R("JP"), 20010, 1}};
    ASSERT_TRUE(*store->ApplyBatch(b));
    const int64_t seq = LatestSeq(*store);
    EXPECT_GT(seq, last);
    last = seq;
    EXPECT_EQ(CellsVersions(*store, 0)[std::make_pair(R("JP"), Day{20010})], seq);
  }
  Changes all = ReadAllChanges(*store, last - 1);
  const std::vector<DailyUses> sum = {
      {1, R("JP"), 20010, 7}, {2, R("JP"), 20010, 7}, {3, R("JP"), 20010, 6}};
  EXPECT_EQ((all.cells[{R("JP"), 20010}]), sum);
}

TEST_P(ChartStoreSuite, AFailedBatchTakesNoSeq) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(*store->ApplyBatch(SampleBatch("ok")));
  }
  auto failing = Open(/*fail_apply_after_rows=*/1);
  ASSERT_TRUE(failing);
  const int64_t before = LatestSeq(*failing);
  Batch b = SampleBatch("fails");
  EXPECT_FALSE(failing->ApplyBatch(b).ok());
  EXPECT_EQ(LatestSeq(*failing), before);
  EXPECT_TRUE(ReadAllChanges(*failing, before).cells.empty());
}

TEST_P(ChartStoreSuite, DataSurvivesReopen) {
  const uint64_t big = 18446744073709551615ull;
  Batch b = SampleBatch("durable");
  b.sounds.push_back(Sound(big, "Max id"));
  b.sounds.back().song_id = big;
  b.sounds.back().music_url = "https://example.com/audio/max.m4a";
  b.uses.push_back({big, R("KR"), 20002, 1});
  b.videos.push_back(Video(big, big, R("KR"), 20002, 7));
  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(*store->ApplyBatch(b));
    ASSERT_TRUE(store->SaveEditions(std::vector<EditionRecord>{{R("KR"), 120, 20002, {big}}}).ok());
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(*store->HasBatch("durable"));
  EXPECT_THAT(AllSounds(*store), ::testing::UnorderedElementsAreArray(b.sounds));
  EXPECT_THAT(AllUses(*store), ::testing::UnorderedElementsAreArray(b.uses));
  EXPECT_THAT(AllVideos(*store), ::testing::UnorderedElementsAreArray(b.videos));
  std::vector<EditionRecord> editions = AllEditions(*store);
  ASSERT_EQ(editions.size(), 1u);
  EXPECT_EQ(editions[0].top_clip_ids, std::vector<uint64_t>{big});
  EXPECT_FALSE(*store->ApplyBatch(b));
  EXPECT_EQ(LatestSeq(*store), 1);
  EXPECT_EQ(CellsVersions(*store, 0).size(), 3u);
}

}  // namespace soundtrend::store
