#include "dashboard/usage_recorder.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "store/sqlite/sqlite_usage_store.h"

namespace soundtrend::dashboard {
namespace {

constexpr int64_t kDay = 86'400'000'000;
constexpr int64_t kT0 = 20500 * kDay + 3'600'000'000;  // 2026-02-16 01:00 UTC

class UsageRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "usage_recorder_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<UsageRecorder> Open(size_t keep = 50) {
    auto store = store::sqlite::OpenSqliteUsageStore(dir_ + "/u.db");
    EXPECT_TRUE(store.ok());
    return std::make_unique<UsageRecorder>(std::move(store).value(),
                                           UsageOptions{keep, /*flush_interval_millis=*/0});
  }
  std::string dir_;
};

RequestOutcome Outcome(std::string_view key, int status, int64_t t, std::string_view id) {
  return RequestOutcome{key, "/v1/tiktok/trending/music", id, status, status == 200 ? 2 : 0, t};
}

TEST_F(UsageRecorderTest, CountsPerKeyAndDayByOutcome) {
  auto rec = Open();
  rec->Record(Outcome("key_a", 200, kT0, "r1"));
  rec->Record(Outcome("key_a", 200, kT0 + 1, "r2"));
  rec->Record(Outcome("key_a", 402, kT0 + 2, "r3"));
  rec->Record(Outcome("key_a", 429, kT0 + 3, "r4"));
  rec->Record(Outcome("key_a", 400, kT0 + 4, "r5"));
  rec->Record(Outcome("key_a", 403, kT0 + 5, "r6"));
  rec->Record(Outcome("key_a", 500, kT0 + 6, "r7"));
  rec->Record(Outcome("key_a", 200, kT0 + kDay, "r8"));  // the next day
  rec->Record(Outcome("key_b", 200, kT0, "b1"));
  rec->Record(Outcome("", 401, kT0, "anon"));  // no key: not counted
  auto view = rec->Read("key_a", 20500, 20501);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  ASSERT_EQ(view->days.size(), 2u);
  EXPECT_EQ(view->days[0], (store::DailyUsage{"key_a", 20500, 2, 1, 1, 2, 1, 4}));
  EXPECT_EQ(view->days[1], (store::DailyUsage{"key_a", 20501, 1, 0, 0, 0, 0, 2}));
  ASSERT_EQ(view->recent.size(), 8u);
  EXPECT_EQ(view->recent[0].request_id, "r8");
  EXPECT_EQ(view->recent[7].request_id, "r1");
  EXPECT_EQ(view->recent[7].endpoint, "/v1/tiktok/trending/music");
  EXPECT_EQ(view->recent[7].cost, 2);
  EXPECT_EQ(view->recent[1].status, 500);
}

TEST_F(UsageRecorderTest, KeepsTheLatestRequestsOfAKeyAcrossFlushes) {
  auto rec = Open(/*keep=*/5);
  for (int i = 0; i < 12; ++i)
    rec->Record(Outcome("key_a", 200, kT0 + i, "a" + std::to_string(10 + i)));
  ASSERT_TRUE(rec->Flush().ok());
  for (int i = 12; i < 14; ++i)
    rec->Record(Outcome("key_a", 200, kT0 + i, "a" + std::to_string(10 + i)));
  auto view = rec->Read("key_a", 20500, 20500);
  ASSERT_TRUE(view.ok());
  ASSERT_EQ(view->recent.size(), 5u);
  EXPECT_EQ(view->recent[0].request_id, "a23");
  EXPECT_EQ(view->recent[4].request_id, "a19");
  ASSERT_EQ(view->days.size(), 1u);
  EXPECT_EQ(view->days[0].ok, 14);  // every request counted, whatever is kept
}

TEST_F(UsageRecorderTest, EveryThreadsRequestsAreCountedAndNodesAddUp) {
  auto node_a = Open();
  auto node_b = Open();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        (t % 2 ? *node_b : *node_a)
            .Record(Outcome("key_a", 200, kT0 + t * 1000 + i, std::to_string(t * 1000 + i)));
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(node_b->Flush().ok());
  auto view = node_a->Read("key_a", 20500, 20500);
  ASSERT_TRUE(view.ok());
  ASSERT_EQ(view->days.size(), 1u);
  EXPECT_EQ(view->days[0].ok, 4000);
  EXPECT_EQ(view->days[0].credits, 8000);
  EXPECT_EQ(view->recent.size(), 50u);
  EXPECT_EQ(view->recent[0].request_id, "3999");
}

TEST_F(UsageRecorderTest, DestructionFlushes) {
  {
    auto rec = Open();
    rec->Record(Outcome("key_a", 200, kT0, "r1"));
  }
  auto again = Open();
  auto view = again->Read("key_a", 20500, 20500);
  ASSERT_TRUE(view.ok());
  ASSERT_EQ(view->days.size(), 1u);
  EXPECT_EQ(view->days[0].ok, 1);
}

}  // namespace
}  // namespace soundtrend::dashboard
