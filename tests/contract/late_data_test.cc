// docs/api.md §4 "Late data and corrections" on a running server: a batch stored for a published
// day by another process (as `soundtrend ingest` does, through its own connection, with no
// signal to the server) is read by the server's periodic poll, which republishes the
// corrected editions: the latest ones and the past ones whose windows, movement or history
// change, equal to what an engine loaded from the store from scratch computes.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <random>
#include <string>
#include <vector>

#include "app/serve_app.h"
#include "engine/publisher.h"
#include "engine/store_sync.h"
#include "store/sqlite/sqlite_chart_store.h"

namespace soundtrend::contract {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "st_late_XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

const RegionId kUS = *FindRegion("US");
const RegionId kJP = *FindRegion("JP");

Day ClosedDay() { return engine::LatestClosedDay(SystemClock::Instance().NowMicros(), 7200); }

// 60 days of seeded uses for 150 sounds in US and JP, with bursts (surging charts).
Batch History(Day last) {
  Batch b;
  b.id = "history";
  std::mt19937_64 rng(7);
  for (RegionId region : {kUS, kJP}) {
    for (uint64_t clip = 1; clip <= 150; ++clip) {
      const Day burst = last - static_cast<Day>(rng() % 60);
      for (Day d = last - 59; d <= last; ++d) {
        int64_t uses = static_cast<int64_t>(rng() % 4);
        if (d >= burst && d < burst + 5) uses += 20 + static_cast<int64_t>(rng() % 40);
        if (uses > 0) b.uses.push_back({clip, region, d, uses});
      }
    }
  }
  return b;
}

void ExpectSameEditions(const engine::ChartSet& got, const engine::ChartSet& want, Day from,
                        Day to) {
  for (Day day = from; day <= to; ++day) {
    for (ChartKind kind : kChartKinds) {
      for (RegionId region : {kUS, kJP}) {
        for (int period : kPeriods) {
          SCOPED_TRACE(std::string(KindName(kind)) + " " + std::string(RegionCode(region)) + "/" +
                       std::to_string(period) + " " + FormatDay(day));
          auto a = got.EditionOf(region, period, kind, day);
          auto b = want.EditionOf(region, period, kind, day);
          ASSERT_EQ(a == nullptr, b == nullptr);
          if (!a) continue;
          ASSERT_EQ(a->top().size(), b->top().size());
          for (size_t i = 0; i < a->top().size(); ++i) {
            const engine::ChartEntry& x = a->top()[i];
            const engine::ChartEntry& y = b->top()[i];
            EXPECT_EQ(x.sound->clip_id, y.sound->clip_id) << "rank " << i + 1;
            EXPECT_EQ(x.usage_count, y.usage_count);
            EXPECT_EQ(x.growth_hundredths, y.growth_hundredths);
            EXPECT_EQ(x.rank_diff, y.rank_diff);
            EXPECT_EQ(x.rank_diff_type, y.rank_diff_type);
            EXPECT_EQ(x.on_list_times, y.on_list_times);
            EXPECT_EQ(x.new_to_top_100, y.new_to_top_100);
            EXPECT_EQ(x.trend, y.trend);
          }
        }
      }
    }
  }
}

TEST(LateDataTest, ABatchStoredByAnotherProcessIsRepublishedWithoutASignal) {
  spdlog::set_level(spdlog::level::warn);
  TempDir dir;
  const std::string db = dir.File("soundtrend.db");
  const Day today = ClosedDay();
  {
    auto store = store::OpenSqliteChartStore(db);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(*(*store)->ApplyBatch(History(today)));
  }
  app::ServeConfig config;
  config.db_path = db;
  config.port = 0;
  config.threads = 1;
  config.publish_interval_seconds = 1;
  config.charging = false;
  config.access_log =
      std::make_shared<spdlog::logger>("late", std::make_shared<spdlog::sinks::null_sink_mt>());
  auto app = app::ServeApp::Open(config);
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  const engine::Edition* before = (*app)->snapshots().Current()->charts()->Find(kUS, 30);
  ASSERT_NE(before, nullptr);
  const uint64_t leader_before = before->top()[0].sound->clip_id;

  // The first snapshot the loop publishes by itself with the late data in it (a day that
  // closes meanwhile may publish one without it first).
  std::promise<std::shared_ptr<const engine::ChartSet>> republished;
  bool done = false;
  (*app)->snapshots().SetOnPublish([&](const api::ServingSnapshot& snapshot) {
    const engine::Edition* us30 = snapshot.charts() ? snapshot.charts()->Find(kUS, 30) : nullptr;
    if (done || us30 == nullptr || us30->top()[0].sound->clip_id != 149) return;
    done = true;
    republished.set_value(snapshot.shared_charts());
  });
  ASSERT_TRUE((*app)->Start().ok());

  // Another process stores late uses: clip 149 becomes the US leader from today-20 on.
  Batch late;
  late.id = "late";
  late.uses = {{149, kUS, today - 20, 5000}, {150, kJP, today - 3, 700}};
  {
    auto store = store::OpenSqliteChartStore(db);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(*(*store)->ApplyBatch(late));
  }
  auto future = republished.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  std::shared_ptr<const engine::ChartSet> charts = future.get();
  ASSERT_NE(charts, nullptr);
  const engine::Edition* after = charts->Find(kUS, 30);
  ASSERT_NE(after, nullptr);
  EXPECT_NE(leader_before, 149u);
  EXPECT_EQ(after->top()[0].sound->clip_id, 149u);
  EXPECT_GE(after->top()[0].usage_count, 5000);

  // Equal to an engine loaded from the store from scratch, on every day (history of the
  // later days, movement against corrected editions, surging windows).
  auto store = store::OpenSqliteChartStore(db);
  ASSERT_TRUE(store.ok());
  engine::ChartEngine fresh;
  ASSERT_TRUE(engine::LoadEngine(**store, fresh).ok());
  auto scratch = fresh.Publish(charts->day(), nullptr);
  ExpectSameEditions(*charts, *scratch, today - 59, charts->day());
  (*app)->Stop();
  (*app)->Wait();
}

}  // namespace
}  // namespace soundtrend::contract
