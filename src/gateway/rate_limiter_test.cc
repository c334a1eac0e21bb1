#include "gateway/rate_limiter.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace soundtrend::gateway {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

TEST(GcraLimiterTest, BurstThenRefusal) {
  GcraLimiter limiter;
  RateLimit limit{10, 10};
  const int64_t now = 5 * kSecond;
  for (int i = 0; i < 10; ++i) {
    RateDecision d = limiter.TryAcquire(now, limit);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 9 - i);
  }
  RateDecision refused = limiter.TryAcquire(now, limit);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.retry_after_seconds, 1);
}

TEST(GcraLimiterTest, SteadyRateAtTheLimitIsAlwaysAllowed) {
  GcraLimiter limiter;
  RateLimit limit{10, 1};  // no burst: exactly one every 100 ms
  int64_t now = kSecond;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(limiter.TryAcquire(now, limit).allowed) << i;
    now += kSecond / 10;
  }
}

TEST(GcraLimiterTest, FasterThanTheLimitGetsExactlyTheLimit) {
  GcraLimiter limiter;
  RateLimit limit{10, 10};
  int64_t now = kSecond;
  int allowed = 0;
  // 100 requests per second for 10 seconds: burst (10) + 10 per second.
  for (int i = 0; i < 1000; ++i) {
    if (limiter.TryAcquire(now, limit).allowed) ++allowed;
    now += kSecond / 100;
  }
  // The clock is fake, so the count is exact: the burst at 1.000 s, then one each 100 ms
  // once the theoretical arrival time allows it (the k-th after the first at request
  // i >= 10k - 90), the last at i = 999: k = 108, 109 in all.
  EXPECT_EQ(allowed, 10 + 99);
}

TEST(GcraLimiterTest, NoBurstAtWindowEdge) {
  // A fixed one-second window would allow 10 at t=0.999 and 10 more at t=1.001.
  GcraLimiter limiter;
  RateLimit limit{10, 10};
  int first = 0;
  int second = 0;
  for (int i = 0; i < 10; ++i) first += limiter.TryAcquire(999'000'000, limit).allowed;
  for (int i = 0; i < 10; ++i) second += limiter.TryAcquire(1'001'000'000, limit).allowed;
  EXPECT_EQ(first, 10);
  EXPECT_EQ(second, 0);  // 2 ms later: not even one 100 ms slot has been earned
  EXPECT_TRUE(limiter.TryAcquire(1'099'000'000, limit).allowed);
}

TEST(GcraLimiterTest, RejectedRequestsDoNotConsumeTheLimit) {
  GcraLimiter limiter;
  RateLimit limit{10, 1};
  int64_t now = kSecond;
  ASSERT_TRUE(limiter.TryAcquire(now, limit).allowed);
  // Hammer while limited: none of these may push the next slot further away.
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(limiter.TryAcquire(now + 50'000'000, limit).allowed);
  }
  EXPECT_TRUE(limiter.TryAcquire(now + 100'000'000, limit).allowed);
}

TEST(GcraLimiterTest, RetryAfterIsCeilingSecondsAtLeastOne) {
  GcraLimiter limiter;
  RateLimit slow{1, 1};
  ASSERT_TRUE(limiter.TryAcquire(0, slow).allowed);
  RateDecision d = limiter.TryAcquire(1, slow);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_seconds, 1);
  GcraLimiter tiny;
  RateLimit one{1, 3};
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(tiny.TryAcquire(0, one).allowed);
  RateDecision later = tiny.TryAcquire(0, one);
  EXPECT_FALSE(later.allowed);
  EXPECT_EQ(later.retry_after_seconds, 1);
  EXPECT_EQ(later.reset_seconds, 3);
}

TEST(GcraLimiterTest, PeekDoesNotConsume) {
  GcraLimiter limiter;
  RateLimit limit{2, 2};
  EXPECT_EQ(limiter.Peek(0, limit).remaining, 2);
  EXPECT_EQ(limiter.Peek(0, limit).remaining, 2);
  ASSERT_TRUE(limiter.TryAcquire(0, limit).allowed);
  EXPECT_EQ(limiter.Peek(0, limit).remaining, 1);
}

TEST(RateLimitHeadersTest, DraftSyntax) {
  GcraLimiter limiter;
  RateLimit limit{10, 10};
  RateDecision d = limiter.TryAcquire(0, limit);
  EXPECT_EQ(RateLimitPolicyHeader(limit), "\"default\";q=10;w=1");
  EXPECT_EQ(RateLimitHeader(d), "\"default\";r=9;t=1");
}

}  // namespace
}  // namespace soundtrend::gateway
