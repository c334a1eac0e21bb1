#include "store/sqlite/sqlite_chart_store.h"

#include <gtest/gtest.h>

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
  auto stmt = (*db)->Prepare("SELECT region FROM daily_uses");
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
    ASSERT_TRUE((*db)->Exec("INSERT INTO daily_uses(day, region, clip_id, uses) VALUES(1, 'UK', 1, 1)").ok());
  }
  auto store = OpenSqliteChartStore(path_);
  ASSERT_TRUE(store.ok());
  Status st = (*store)->ForEachDailyUses([](const DailyUses&) { return Status::Ok(); });
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace soundtrend::store
