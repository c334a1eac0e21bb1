#include "store/sqlite/sqlite_chart_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "common/clock.h"
#include "store/chart_store_suite.h"
#include "store/sqlite/sqlite_db.h"

namespace soundtrend::store {
namespace {

Result<std::unique_ptr<ChartStore>> OpenForSuite(const std::string& path, int64_t fail_after) {
  SqliteChartStoreOptions options;
  options.fail_apply_after_rows = fail_after;
  return OpenSqliteChartStore(path, options);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, ChartStoreSuite,
                         ::testing::Values(ChartStoreSuiteParam{"sqlite", OpenForSuite}),
                         ChartStoreSuiteName);

class SqliteChartStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "sqlite_chart_store_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    path_ = tmpl + "/charts.db";
  }
  std::string path_;
};

TEST_F(SqliteChartStoreTest, RecordsBatchCountsAndAppliedTime) {
  FakeClock clock(1'700'000'000'000'000);
  SqliteChartStoreOptions options;
  options.clock = &clock;
  auto store = OpenSqliteChartStore(path_, options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Batch b;
  b.id = "counted";
  b.uses = {{1, *FindRegion("US"), 5, 2}, {2, *FindRegion("US"), 5, 3}};
  b.source_records = 5;
  ASSERT_TRUE(*(*store)->ApplyBatch(b));

  auto db = sqlite::Database::Open(path_, {.read_only = true});
  ASSERT_TRUE(db.ok());
  auto stmt = (*db)->Prepare(
      "SELECT applied_micros, sounds, cells, videos, source_records FROM batches WHERE id = ?1");
  ASSERT_TRUE(stmt.ok());
  stmt->Bind(1, std::string_view("counted"));
  ASSERT_TRUE(*stmt->Step());
  EXPECT_EQ(stmt->ColumnInt(0), 1'700'000'000'000'000);
  EXPECT_EQ(stmt->ColumnInt(1), 0);
  EXPECT_EQ(stmt->ColumnInt(2), 2);
  EXPECT_EQ(stmt->ColumnInt(3), 0);
  EXPECT_EQ(stmt->ColumnInt(4), 5);
}

TEST_F(SqliteChartStoreTest, StoresRegionsAsTwoLetterCodes) {
  auto store = OpenSqliteChartStore(path_);
  ASSERT_TRUE(store.ok());
  Batch b;
  b.id = "codes";
  b.uses = {{1, *FindRegion("GB"), 5, 2}};
  ASSERT_TRUE(*(*store)->ApplyBatch(b));
  auto db = sqlite::Database::Open(path_, {.read_only = true});
  ASSERT_TRUE(db.ok());
  auto stmt = (*db)->Prepare("SELECT region FROM cell_segments");
  ASSERT_TRUE(stmt.ok());
  ASSERT_TRUE(*stmt->Step());
  EXPECT_EQ(stmt->ColumnText(0), "GB");
}

TEST_F(SqliteChartStoreTest, UnknownStoredRegionIsCorruption) {
  {
    auto store = OpenSqliteChartStore(path_);
    ASSERT_TRUE(store.ok());
  }
  {
    auto db = sqlite::Database::Open(path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO cell_segments(day, region, cells, data) VALUES(1, 'UK', "
                           "1, x'0101')")
                    .ok());
  }
  auto store = OpenSqliteChartStore(path_);
  ASSERT_TRUE(store.ok());
  Status st = (*store)->ForEachDailyUses([](const DailyUses&) { return Status::Ok(); });
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
}

int64_t CountRows(const std::string& path, std::string_view sql) {
  auto db = sqlite::Database::Open(path, {.read_only = true});
  if (!db.ok()) return -1;
  auto stmt = (*db)->Prepare(sql);
  if (!stmt.ok() || !*stmt->Step()) return -1;
  return stmt->ColumnInt(0);
}

TEST_F(SqliteChartStoreTest, ManyBatchesOnOneKeyAreMergedSumAndKeepTheTopVideos) {
  const RegionId us = *FindRegion("US");
  {
    auto store = OpenSqliteChartStore(path_);
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 30; ++i) {
      Batch b;
      b.id = "b" + std::to_string(i);
      b.uses = {{1, us, 7, 1}, {uint64_t(2 + i), us, 7, 2}, {1, us, 8, 3}};
      b.videos = {{uint64_t(100 + i), 1, us, 7, "c" + std::to_string(i), i},
                  {100, 1, us, 7, "late", 1000 + i}};
      ASSERT_TRUE(*(*store)->ApplyBatch(b));
    }
  }
  // Segments of one (day, region) are merged: never more than 8 per key.
  EXPECT_LE(CountRows(path_, "SELECT count(*) FROM cell_segments WHERE day = 7"), 8);
  EXPECT_LE(CountRows(path_, "SELECT count(*) FROM video_segments WHERE day = 7"), 8);
  auto store = OpenSqliteChartStore(path_);
  ASSERT_TRUE(store.ok());
  std::vector<DailyUses> uses;
  ASSERT_TRUE((*store)
                  ->ForEachDailyUses([&](const DailyUses& u) {
                    uses.push_back(u);
                    return Status::Ok();
                  })
                  .ok());
  ASSERT_EQ(uses.size(), 32u);
  EXPECT_EQ(uses[0], (DailyUses{1, us, 7, 30}));
  EXPECT_EQ(uses[1], (DailyUses{2, us, 7, 2}));
  EXPECT_EQ(uses[30], (DailyUses{31, us, 7, 2}));
  EXPECT_EQ(uses[31], (DailyUses{1, us, 8, 90}));
  std::vector<VideoRecord> videos;
  ASSERT_TRUE((*store)
                  ->ForEachVideo([&](const VideoRecord& v) {
                    videos.push_back(v);
                    return Status::Ok();
                  })
                  .ok());
  // Video 100 with its largest views (1029, cover "late"), then 129, 128, 127.
  ASSERT_EQ(videos.size(), 4u);
  EXPECT_EQ(videos[0], (VideoRecord{100, 1, us, 7, "late", 1029}));
  EXPECT_EQ(videos[1].video_id, 129u);
  EXPECT_EQ(videos[2].video_id, 128u);
  EXPECT_EQ(videos[3].video_id, 127u);
  Result<StoreStats> stats = (*store)->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->daily_cells, 32);
  EXPECT_EQ(stats->videos, 4);
}

TEST_F(SqliteChartStoreTest, RowTablesOfEarlierVersionsAreConvertedOnOpen) {
  {
    auto db = sqlite::Database::Open(path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("CREATE TABLE daily_uses(day INTEGER NOT NULL, region TEXT NOT NULL, "
                           "clip_id INTEGER NOT NULL, uses INTEGER NOT NULL, PRIMARY KEY(day, "
                           "region, clip_id)) WITHOUT ROWID;"
                           "CREATE TABLE videos(region TEXT NOT NULL, clip_id INTEGER NOT NULL, "
                           "day INTEGER NOT NULL, video_id INTEGER NOT NULL, cover TEXT NOT NULL, "
                           "views INTEGER NOT NULL, PRIMARY KEY(region, clip_id, day, "
                           "video_id)) WITHOUT ROWID;"
                           "INSERT INTO daily_uses VALUES(5, 'GB', 3, 4), (5, 'GB', -1, 2), "
                           "(5, 'US', 3, 1), (6, 'US', 3, 9);"
                           "INSERT INTO videos VALUES('GB', 3, 5, 70, 'x', 11), "
                           "('GB', 3, 5, 71, 'y', 12);")
                    .ok());
  }
  auto store = OpenSqliteChartStore(path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::vector<DailyUses> uses;
  ASSERT_TRUE((*store)
                  ->ForEachDailyUses([&](const DailyUses& u) {
                    uses.push_back(u);
                    return Status::Ok();
                  })
                  .ok());
  const RegionId us = *FindRegion("US"), gb = *FindRegion("GB");
  std::vector<DailyUses> want = {
      {3, us, 5, 1}, {3, gb, 5, 4}, {~uint64_t{0}, gb, 5, 2}, {3, us, 6, 9}};
  std::sort(want.begin(), want.end(), [](const DailyUses& a, const DailyUses& b) {
    return std::tie(a.day, a.region, a.clip_id) < std::tie(b.day, b.region, b.clip_id);
  });
  EXPECT_EQ(uses, want);
  std::vector<VideoRecord> videos;
  ASSERT_TRUE((*store)
                  ->ForEachVideo([&](const VideoRecord& v) {
                    videos.push_back(v);
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(videos, (std::vector<VideoRecord>{{71, 3, gb, 5, "y", 12}, {70, 3, gb, 5, "x", 11}}));
  EXPECT_EQ(CountRows(path_, "SELECT count(*) FROM sqlite_master WHERE name = 'daily_uses'"), 0);
}

TEST_F(SqliteChartStoreTest, StoresOfTheLastVersionGainSeqsAndMusicUrlAndLoseTheOldEditions) {
  // The layout before batch seqs: no seq or music_url columns, popular-only `editions`.
  {
    auto db = sqlite::Database::Open(path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("CREATE TABLE sounds(clip_id INTEGER PRIMARY KEY, song_id INTEGER NOT "
                           "NULL, title TEXT NOT NULL, author TEXT NOT NULL, cover TEXT NOT NULL, "
                           "duration INTEGER NOT NULL, commercial INTEGER NOT NULL, promoted "
                           "INTEGER NOT NULL);"
                           "CREATE TABLE cell_segments(id INTEGER PRIMARY KEY, day INTEGER NOT "
                           "NULL, region TEXT NOT NULL, cells INTEGER NOT NULL, data BLOB NOT "
                           "NULL);"
                           "CREATE TABLE video_segments(id INTEGER PRIMARY KEY, day INTEGER NOT "
                           "NULL, region TEXT NOT NULL, videos INTEGER NOT NULL, data BLOB NOT "
                           "NULL);"
                           "CREATE TABLE batches(id TEXT PRIMARY KEY, applied_micros INTEGER NOT "
                           "NULL, sounds INTEGER NOT NULL, cells INTEGER NOT NULL, videos INTEGER "
                           "NOT NULL, source_records INTEGER NOT NULL);"
                           "CREATE TABLE editions(region TEXT NOT NULL, period INTEGER NOT NULL, "
                           "day INTEGER NOT NULL, clip_ids TEXT NOT NULL, PRIMARY KEY(region, "
                           "period, day)) WITHOUT ROWID;"
                           "INSERT INTO sounds VALUES(3, 4, 'T', 'A', '', 10, 0, 0);"
                           "INSERT INTO cell_segments VALUES(1, 5, 'GB', 1, x'0304');"
                           "INSERT INTO batches VALUES('old', 0, 1, 1, 0, 1);"
                           "INSERT INTO editions VALUES('GB', 7, 5, '3');")
                    .ok());
  }
  auto store = OpenSqliteChartStore(path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(CountRows(path_, "SELECT count(*) FROM sqlite_master WHERE name = 'editions'"), 0);
  EXPECT_EQ(*(*store)->LatestBatchSeq(), 1);  // the old batch's rowid
  // Old rows carry seq 0: older than any batch.
  int cells_versions = 0;
  ASSERT_TRUE((*store)
                  ->ForEachCellsVersion(0,
                                        [&](const CellsVersion&) {
                                          ++cells_versions;
                                          return Status::Ok();
                                        })
                  .ok());
  EXPECT_EQ(cells_versions, 0);
  Batch b;
  b.id = "new";
  SoundRecord s;
  s.clip_id = 3;
  s.song_id = 4;
  s.title = "T2";
  s.music_url = "https://example.com/3.mp3";
  b.sounds = {s};
  ASSERT_TRUE(*(*store)->ApplyBatch(b));
  EXPECT_EQ(*(*store)->LatestBatchSeq(), 2);
  std::vector<SoundRecord> sounds;
  ASSERT_TRUE((*store)
                  ->ForEachSound([&](const SoundRecord& r) {
                    sounds.push_back(r);
                    return Status::Ok();
                  })
                  .ok());
  ASSERT_EQ(sounds.size(), 1u);
  EXPECT_EQ(sounds[0].music_url, "https://example.com/3.mp3");
}

}  // namespace
}  // namespace soundtrend::store
