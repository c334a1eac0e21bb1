#include "dashboard/health.h"

#include <gtest/gtest.h>

namespace soundtrend::dashboard {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

http::MetricsTotals Totals(uint64_t ok_fast, uint64_t slow, uint64_t e4, uint64_t e5) {
  http::MetricsTotals t;
  t.requests = ok_fast + slow + e4 + e5;
  t.client_errors = e4;
  t.server_errors = e5;
  t.buckets[1] = ok_fast + e4 + e5;  // <= 250 us
  t.buckets[7] = slow;               // <= 25 ms
  t.latency_sum_nanos = (ok_fast + e4 + e5) * 200'000 + slow * 20'000'000;
  return t;
}

TEST(HealthWindowTest, RatesAndP99OverTheWindow) {
  HealthWindow w;
  w.Add(0, Totals(0, 0, 0, 0));
  w.Add(10 * kSecond, Totals(990, 10, 0, 0));  // 1% slow: p99 in the fast bucket
  HealthFigures f = w.Over(60 * kSecond);
  EXPECT_DOUBLE_EQ(f.window_seconds, 10);
  EXPECT_EQ(f.requests, 1000u);
  EXPECT_DOUBLE_EQ(f.requests_per_second, 100);
  ASSERT_TRUE(f.p99_seconds.has_value());
  EXPECT_DOUBLE_EQ(*f.p99_seconds, 0.00025);
  EXPECT_DOUBLE_EQ(f.server_error_rate, 0);

  w.Add(20 * kSecond, Totals(1980, 30, 50, 10));  // this 10 s: 1010 requests, 20 slow
  f = w.Over(10 * kSecond);
  EXPECT_EQ(f.requests, 1070u);
  EXPECT_DOUBLE_EQ(f.requests_per_second, 107);
  ASSERT_TRUE(f.p99_seconds.has_value());
  EXPECT_DOUBLE_EQ(*f.p99_seconds, 0.025);  // 20/1070 > 1% slow
  EXPECT_DOUBLE_EQ(f.client_error_rate, 50.0 / 1070);
  EXPECT_DOUBLE_EQ(f.server_error_rate, 10.0 / 1070);
  f = w.Over(60 * kSecond);  // both intervals
  EXPECT_EQ(f.requests, 2070u);
  EXPECT_DOUBLE_EQ(f.window_seconds, 20);
}

TEST(HealthWindowTest, NothingToSayWithoutTwoSamplesOrRequests) {
  HealthWindow w;
  EXPECT_EQ(w.Over(60 * kSecond).window_seconds, 0);
  w.Add(0, Totals(5, 0, 0, 0));
  EXPECT_EQ(w.Over(60 * kSecond).requests, 0u);
  w.Add(kSecond, Totals(5, 0, 0, 0));
  const HealthFigures f = w.Over(60 * kSecond);
  EXPECT_DOUBLE_EQ(f.window_seconds, 1);
  EXPECT_EQ(f.requests, 0u);
  EXPECT_FALSE(f.p99_seconds.has_value());
}

TEST(HealthWindowTest, KeepsOnlyTheLastSamples) {
  HealthWindow w(3);
  for (int i = 0; i <= 10; ++i) w.Add(i * kSecond, Totals(100 * i, 0, 0, 0));
  const HealthFigures f = w.Over(60 * kSecond);
  EXPECT_DOUBLE_EQ(f.window_seconds, 2);  // samples 8, 9, 10
  EXPECT_EQ(f.requests, 200u);
}

TEST(HealthWindowTest, AboveTheLastBucket) {
  HealthWindow w;
  http::MetricsTotals slow;
  w.Add(0, slow);
  slow.requests = 10;
  slow.buckets[14] = 10;
  w.Add(kSecond, slow);
  const HealthFigures f = w.Over(60 * kSecond);
  EXPECT_FALSE(f.p99_seconds.has_value());
  EXPECT_TRUE(f.p99_above_last_bound);
}

TEST(HealthSamplerTest, FiguresEndNow) {
  FakeClock clock;
  http::Metrics metrics(clock);
  metrics.SetRoutes({"/a"});
  HealthSampler sampler(metrics, clock, /*interval_millis=*/3'600'000);  // the test samples
  for (int i = 0; i < 40; ++i) metrics.Record(0, 200, 100'000);
  clock.AdvanceSeconds(2);
  const HealthFigures f = sampler.Over(10 * kSecond);
  EXPECT_EQ(f.requests, 40u);
  EXPECT_DOUBLE_EQ(f.requests_per_second, 20);
}

}  // namespace
}  // namespace soundtrend::dashboard
