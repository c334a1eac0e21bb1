#include "dashboard/usage_recorder.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
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
  std::unique_ptr<UsageRecorder> Open(size_t keep = 50, const std::string& file = "u.db") {
    auto store = store::sqlite::OpenSqliteUsageStore(dir_ + "/" + file);
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

// A store that only adds up (no I/O), so that a flush takes microseconds and thousands of
// them race with the recording threads.
class SummingStore final : public store::UsageStore {
 public:
  Status Add(std::span<const store::DailyUsage> counts,
             std::span<const store::RequestRecord> requests, size_t) override {
    std::lock_guard lock(mutex_);
    for (const auto& c : counts) {
      auto& d = days_[{c.key_id, c.day}];
      d.key_id = c.key_id;
      d.day = c.day;
      d.ok += c.ok;
      d.payment_required += c.payment_required;
      d.rate_limited += c.rate_limited;
      d.other_client_errors += c.other_client_errors;
      d.server_errors += c.server_errors;
      d.credits += c.credits;
    }
    requests_ += requests.size();
    return Status();
  }
  Result<std::vector<store::DailyUsage>> Daily(std::string_view key_id, Day from, Day to) override {
    std::lock_guard lock(mutex_);
    std::vector<store::DailyUsage> out;
    for (const auto& [k, d] : days_)
      if (k.first == key_id && d.day >= from && d.day <= to) out.push_back(d);
    return out;
  }
  Result<std::vector<store::RequestRecord>> Recent(std::string_view, size_t) override {
    return std::vector<store::RequestRecord>{};
  }

 private:
  std::mutex mutex_;
  std::map<std::pair<std::string, Day>, store::DailyUsage> days_;
  size_t requests_ = 0;
};

// Flushes racing with recording threads (the flusher switches each thread's maps while it
// writes): every request is counted exactly once, and a thread moving between two recorders
// counts on each the right ones.
TEST_F(UsageRecorderTest, FlushesWhileThreadsRecordLoseAndDoubleNothing) {
  auto rec = std::make_unique<UsageRecorder>(std::make_unique<SummingStore>(),
                                             UsageOptions{50, /*flush_interval_millis=*/0});
  auto other = std::make_unique<UsageRecorder>(std::make_unique<SummingStore>(),
                                               UsageOptions{50, /*flush_interval_millis=*/0});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100000;
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        rec->Record(Outcome("key_a", i % 7 == 0 ? 429 : 200, kT0 + i, std::to_string(i)));
        if (i % 1000 == 0) other->Record(Outcome("key_b", 402, kT0 + i, "b"));
      }
      done.fetch_add(1);
    });
  }
  int flushes = 0;
  while (done.load() < kThreads) {
    ASSERT_TRUE(rec->Flush().ok());
    ++flushes;
  }
  for (auto& th : threads) th.join();
  auto view = rec->Read("key_a", 20500, 20500);
  ASSERT_TRUE(view.ok());
  ASSERT_EQ(view->days.size(), 1u);
  const int64_t limited = kThreads * ((kPerThread + 6) / 7);
  EXPECT_EQ(view->days[0].rate_limited, limited);
  EXPECT_EQ(view->days[0].ok, kThreads * kPerThread - limited);
  EXPECT_EQ(view->days[0].credits, 2 * (kThreads * kPerThread - limited));
  auto b = other->Read("key_b", 20500, 20500);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->days.size(), 1u);
  EXPECT_EQ(b->days[0].payment_required, kThreads * (kPerThread / 1000));
  EXPECT_TRUE(rec->Read("key_b", 20500, 20500)->days.empty());
  std::printf("# %d flushes raced with %d recording threads\n", flushes, kThreads);
}

// As the paid-endpoint wrapper's hook: the same counts as Record.
TEST_F(UsageRecorderTest, OutcomesOfThePaidEndpointWrapperAreCounted) {
  auto rec = Open();
  api::OutcomeListener& listener = *rec;
  listener.OnOutcome(api::KeyedOutcome{"key_a", "/v1/account", "q1", 200, 0, kT0});
  listener.OnOutcome(
      api::KeyedOutcome{"key_a", "/v1/tiktok/trending/music", "q2", 200, 2, kT0 + 1});
  listener.OnOutcome(
      api::KeyedOutcome{"key_a", "/v1/tiktok/trending/music", "q3", 401, 0, kT0 + 2});
  auto view = rec->Read("key_a", 20500, 20500);
  ASSERT_TRUE(view.ok());
  ASSERT_EQ(view->days.size(), 1u);
  EXPECT_EQ(view->days[0], (store::DailyUsage{"key_a", 20500, 2, 0, 0, 1, 0, 2}));
  ASSERT_EQ(view->recent.size(), 3u);
  EXPECT_EQ(view->recent[0].request_id, "q3");
  EXPECT_EQ(view->recent[2].endpoint, "/v1/account");
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
