// SharedRateLimiter over a fake store: the store's decision when it gives one, the key's
// local limiter (counted) when it cannot, and the /metrics lines.
#include "gateway/shared_rate_limiter.h"

#include <gtest/gtest.h>

#include <deque>

namespace soundtrend::gateway {
namespace {

class FakeStore final : public store::RateLimitStore {
 public:
  bool ready = true;
  bool take = true;
  int ahead = 0;  // cells held ahead: TakeAhead's decisions
  std::deque<Done> waiting;
  std::string last_key;
  store::SharedLimit last_limit;
  int64_t last_now = 0;
  std::optional<store::SharedDecision> TakeAhead(std::string_view key,
                                                 const store::SharedLimit& limit,
                                                 int64_t now_nanos) override {
    last_key = std::string(key);
    last_limit = limit;
    last_now = now_nanos;
    if (ahead == 0) return std::nullopt;
    --ahead;
    return store::SharedDecision{true, 41, 3, 0};
  }
  bool Submit(std::string_view key, const store::SharedLimit& limit, int64_t now_nanos,
              Done&& done) override {
    if (!take) return false;
    last_key = std::string(key);
    last_limit = limit;
    last_now = now_nanos;
    waiting.push_back(std::move(done));
    return true;
  }
  bool Ready() override { return ready; }
  store::SharedLimitStats Stats() const override {
    store::SharedLimitStats s;
    s.connections = 2;
    s.ready_connections = ready ? 2 : 1;
    s.calls = 7;
    s.decided = 9;
    s.failures = 1;
    s.ahead_granted = 30;
    s.ahead_used = 20;
    s.ahead_lapsed = 4;
    return s;
  }
};

constexpr int64_t kSecond = 1'000'000'000;

TEST(SharedRateLimiterTest, AsksTheStoreWhenItIsReadyAndGivesItsDecision) {
  auto fake = std::make_shared<FakeStore>();
  SharedRateLimiter limiter(fake);
  GcraLimiter local;
  const RateLimit limit{5, 3};
  const RateSubject subject{"key_1", limit, local};
  EXPECT_FALSE(limiter.TryAcquire(subject, kSecond).has_value());
  std::optional<RateDecision> got;
  limiter.Acquire(subject, kSecond, [&](RateDecision d) { got = d; });
  ASSERT_EQ(fake->waiting.size(), 1u);
  EXPECT_EQ(fake->last_key, "key_1");
  EXPECT_EQ(fake->last_limit.qps, 5);
  EXPECT_EQ(fake->last_limit.burst, 3);
  EXPECT_EQ(fake->last_now, kSecond);
  EXPECT_FALSE(got.has_value());  // later, when the store answers
  fake->waiting.front()(store::SharedDecision{false, 0, 2, 1});
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->allowed);
  EXPECT_EQ(got->reset_seconds, 2);
  EXPECT_EQ(got->retry_after_seconds, 1);
  EXPECT_EQ(limiter.local_decisions(), 0u);
  // The local limiter was not touched: all 3 of its burst are there.
  EXPECT_EQ(local.Peek(kSecond, limit).remaining, 3);
}

// A cell the store holds ahead decides at once, before anything else (even with the store
// not ready: the cell was granted by it), and is not a local decision.
TEST(SharedRateLimiterTest, ACellAheadDecidesAtOnce) {
  auto fake = std::make_shared<FakeStore>();
  SharedRateLimiter limiter(fake);
  GcraLimiter local;
  const RateLimit limit{5, 3};
  const RateSubject subject{"key_2", limit, local};
  fake->ahead = 1;
  fake->ready = false;
  std::optional<RateDecision> d = limiter.TryAcquire(subject, 7 * kSecond);
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->allowed);
  EXPECT_EQ(d->remaining, 41);
  EXPECT_EQ(d->reset_seconds, 3);
  EXPECT_EQ(fake->last_key, "key_2");
  EXPECT_EQ(fake->last_limit.qps, 5);
  EXPECT_EQ(fake->last_now, 7 * kSecond);
  EXPECT_EQ(limiter.local_decisions(), 0u);
  EXPECT_EQ(local.Peek(kSecond, limit).remaining, 3);
  // No cell left, store ready: the store is asked (Acquire).
  fake->ready = true;
  EXPECT_FALSE(limiter.TryAcquire(subject, 7 * kSecond).has_value());
}

TEST(SharedRateLimiterTest, DecidesLocallyAndCountsItWhenTheStoreCannot) {
  auto fake = std::make_shared<FakeStore>();
  SharedRateLimiter limiter(fake);
  GcraLimiter local;
  const RateLimit limit{1, 2};
  const RateSubject subject{"k", limit, local};
  fake->ready = false;
  // Not ready: TryAcquire decides at once, on the local limiter (burst 2, then 429).
  EXPECT_TRUE(limiter.TryAcquire(subject, kSecond)->allowed);
  EXPECT_TRUE(limiter.TryAcquire(subject, kSecond)->allowed);
  EXPECT_FALSE(limiter.TryAcquire(subject, kSecond)->allowed);
  EXPECT_EQ(limiter.local_decisions(), 3u);
  // Refused by Submit: decided at once, locally.
  fake->take = false;
  std::optional<RateDecision> got;
  limiter.Acquire(subject, 2 * kSecond, [&](RateDecision d) { got = d; });
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->allowed);  // one second later: one more
  EXPECT_EQ(limiter.local_decisions(), 4u);
  // Taken, then the connection failed (nullopt): decided locally too.
  fake->take = true;
  got.reset();
  limiter.Acquire(subject, 2 * kSecond, [&](RateDecision d) { got = d; });
  ASSERT_EQ(fake->waiting.size(), 1u);
  fake->waiting.front()(std::nullopt);
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->allowed);
  EXPECT_EQ(limiter.local_decisions(), 5u);
}

TEST(SharedRateLimiterTest, MetricsShowTheModeAndTheCounts) {
  auto fake = std::make_shared<FakeStore>();
  SharedRateLimiter limiter(fake);
  std::string out;
  limiter.AppendMetrics(out);
  EXPECT_NE(out.find("\nsoundtrend_rate_limit_shared 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\nsoundtrend_rate_limit_local_decisions_total 0\n"), std::string::npos);
  EXPECT_NE(out.find("\nsoundtrend_rate_limit_shared_decisions_total 9\n"), std::string::npos);
  EXPECT_NE(out.find("\nsoundtrend_redis_calls_total 7\n"), std::string::npos);
  EXPECT_NE(out.find("\nsoundtrend_redis_connections 2\n"), std::string::npos);
  EXPECT_NE(out.find("\nsoundtrend_redis_connection_failures_total 1\n"), std::string::npos);
  EXPECT_NE(out.find("# TYPE soundtrend_rate_limit_shared gauge\n"), std::string::npos);
  EXPECT_NE(out.find("\nsoundtrend_rate_limit_cells_ahead_total{state=\"granted\"} 30\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\nsoundtrend_rate_limit_cells_ahead_total{state=\"used\"} 20\n"),
            std::string::npos);
  EXPECT_NE(out.find("\nsoundtrend_rate_limit_cells_ahead_total{state=\"lapsed\"} 4\n"),
            std::string::npos);
  fake->ready = false;
  out.clear();
  limiter.AppendMetrics(out);
  EXPECT_NE(out.find("\nsoundtrend_rate_limit_shared 0\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace soundtrend::gateway
