// Crash safety of `soundtrend ingest` over the real binary: SIGKILL after the first
// chunk of a large input is committed leaves a consistent store holding whole chunks;
// re-running the same command completes the input, and the totals equal those of a clean
// single run (every record counted exactly once).
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "ingest/byte_source.h"
#include "ingest/process.h"
#include "ingest/test_util.h"
#include "store/sqlite/sqlite_chart_store.h"

namespace soundtrend {
namespace {

using ingest::testing::ReadFile;
using ingest::testing::RunToEnd;
using ingest::testing::Spawn;
using ingest::testing::Wait;

constexpr int kRecords = 300'000;
constexpr int kPerBatch = 2'000;  // 150 chunks
constexpr int kChunks = kRecords / kPerBatch;

std::string IntegrityCheck(const std::string& db_path) {
  sqlite3* db = nullptr;
  std::string result = "cannot open";
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return result;
}

struct Totals {
  std::map<std::tuple<Day, RegionId, uint64_t>, int64_t> cells;
  std::vector<std::tuple<RegionId, uint64_t, Day, uint64_t, int64_t>> videos;
  int64_t uses = 0;
  bool operator==(const Totals&) const = default;
};

Totals TotalsOf(store::ChartStore& store) {
  Totals t;
  EXPECT_TRUE(store
                  .ForEachDailyUses([&](const DailyUses& d) {
                    t.cells[{d.day, d.region, d.clip_id}] += d.uses;
                    t.uses += d.uses;
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_TRUE(store
                  .ForEachVideo([&](const VideoRecord& v) {
                    t.videos.emplace_back(v.region, v.clip_id, v.day, v.video_id, v.views);
                    return Status::Ok();
                  })
                  .ok());
  std::sort(t.videos.begin(), t.videos.end());
  return t;
}

std::unique_ptr<store::ChartStore> OpenStore(const std::string& path) {
  auto s = store::OpenSqliteChartStore(path);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(IngestCrashTest, SigkillMidwayThenRerunAppliesEveryRecordExactlyOnce) {
  ingest::testing::TempDir dir;
  // Seeded raw use records over the last 10 days, some with videos.
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  static const char* kRegions[] = {"US", "GB", "FR", "DE", "JP", "BR", "MX"};
  std::mt19937_64 rng(42);
  std::string data;
  data.reserve(kRecords * 110);
  for (int i = 0; i < kRecords; ++i) {
    data += "{\"type\":\"use\",\"clip_id\":\"";
    data += std::to_string(1 + rng() % 5000);
    data += "\",\"region\":\"";
    data += kRegions[rng() % 7];
    data += "\",\"time\":";
    data += std::to_string(now - 86400 * 10 + static_cast<int64_t>(rng() % (86400 * 10)));
    if (rng() % 4 == 0) {
      data += ",\"video_id\":\"" + std::to_string(1 + rng() % 1000000) +
              "\",\"views\":" + std::to_string(rng() % 100000);
    }
    data += "}\n";
  }
  const std::string input = dir.File("uses.ndjson", data);
  const std::string batch_id = "sha256:" + ingest::Sha256Hex(data);
  const std::string db = dir.path() + "/crash.db";
  const std::string log = dir.path() + "/ingest.log";
  const std::vector<std::string> command = {
      SOUNDTREND_BINARY,         "--db", db, "ingest", "--records-per-batch",
      std::to_string(kPerBatch), input};

  // The store exists (schema created) before the ingest starts, so this connection only
  // ever reads while the child writes.
  std::unique_ptr<store::ChartStore> watcher = OpenStore(db);
  ASSERT_TRUE(watcher);
  const pid_t pid = Spawn(command, log);
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  bool first_chunk = false;
  while (std::chrono::steady_clock::now() < deadline) {
    Result<bool> has = watcher->HasBatch(batch_id + "#0");
    if (has.ok() && *has) {
      first_chunk = true;
      break;
    }
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      FAIL() << "ingest ended before its first chunk was seen:\n" << ReadFile(log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polling interval
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  EXPECT_EQ(Wait(pid), 128 + SIGKILL);
  ASSERT_TRUE(first_chunk) << "no chunk committed within the deadline:\n" << ReadFile(log);
  watcher.reset();

  // Consistent: opens, passes the integrity check, holds whole chunks and not the input.
  EXPECT_EQ(IntegrityCheck(db), "ok");
  int chunks_done = 0;
  {
    std::unique_ptr<store::ChartStore> store = OpenStore(db);
    ASSERT_TRUE(store);
    EXPECT_FALSE(*store->HasBatch(batch_id)) << "killed too late: the whole input was applied";
    for (int k = 0; k < kChunks; ++k) {
      if (*store->HasBatch(batch_id + "#" + std::to_string(k))) {
        EXPECT_EQ(k, chunks_done) << "chunks are applied in order";
        ++chunks_done;
      }
    }
    EXPECT_GE(chunks_done, 1);
    EXPECT_LT(chunks_done, kChunks);
    EXPECT_EQ(TotalsOf(*store).uses, int64_t{chunks_done} * kPerBatch);
  }

  // Re-run to completion.
  ASSERT_EQ(RunToEnd(command, log), 0) << ReadFile(log);
  const std::string out = ReadFile(log);
  EXPECT_NE(out.find(std::to_string(chunks_done) + " already applied"), std::string::npos) << out;
  EXPECT_EQ(IntegrityCheck(db), "ok");

  // A clean single run of the same input elsewhere.
  const std::string clean_db = dir.path() + "/clean.db";
  ASSERT_EQ(RunToEnd({SOUNDTREND_BINARY, "--db", clean_db, "ingest", input}, log), 0)
      << ReadFile(log);

  std::unique_ptr<store::ChartStore> resumed = OpenStore(db);
  std::unique_ptr<store::ChartStore> clean = OpenStore(clean_db);
  ASSERT_TRUE(resumed && clean);
  EXPECT_TRUE(*resumed->HasBatch(batch_id));
  const Totals a = TotalsOf(*resumed), b = TotalsOf(*clean);
  EXPECT_EQ(a.uses, kRecords);
  EXPECT_EQ(b.uses, kRecords);
  EXPECT_EQ(a.cells, b.cells);
  EXPECT_EQ(a.videos, b.videos);

  // And once more: nothing changes.
  ASSERT_EQ(RunToEnd(command, log), 0);
  EXPECT_EQ(TotalsOf(*resumed), a);
}

}  // namespace
}  // namespace soundtrend
