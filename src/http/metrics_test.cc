#include "http/metrics.h"

#include <gtest/gtest.h>

namespace soundtrend::http {
namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(MetricsTest, CountsByRouteAndStatus) {
  FakeClock clock;
  Metrics m(clock);
  m.SetRoutes({"/a", "/b"});
  m.Record(0, 200, 1000);
  m.Record(0, 200, 1000);
  m.Record(1, 400, 1000);
  m.Record(99, 404, 1000);  // unmatched
  m.Record(1, 418, 1000);   // uncommon status
  const std::string text = m.Render();
  EXPECT_TRUE(Contains(text, "soundtrend_http_requests_total{route=\"/a\",status=\"200\"} 2\n"));
  EXPECT_TRUE(Contains(text, "soundtrend_http_requests_total{route=\"/b\",status=\"400\"} 1\n"));
  EXPECT_TRUE(Contains(text, "soundtrend_http_requests_total{route=\"/b\",status=\"other\"} 1\n"));
  EXPECT_TRUE(
      Contains(text, "soundtrend_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"));
}

TEST(MetricsTest, TotalsAddEveryRouteUp) {
  FakeClock clock;
  Metrics m(clock);
  m.SetRoutes({"/a", "/b"});
  m.Record(0, 200, 50'000);         // 50 us: bucket 0 (<= 100 us)
  m.Record(1, 429, 300'000);        // 300 us: bucket 2 (<= 500 us)
  m.Record(99, 404, 2'000'000);     // 2 ms, unmatched: bucket 4 (<= 2.5 ms)
  m.Record(0, 500, 9'000'000'000);  // 9 s: above every bound
  m.Record(1, 418, 1000);           // "other": counted, no class
  const MetricsTotals t = m.Totals();
  EXPECT_EQ(t.requests, 5u);
  EXPECT_EQ(t.client_errors, 2u);
  EXPECT_EQ(t.server_errors, 1u);
  EXPECT_EQ(t.buckets[0], 2u);
  EXPECT_EQ(t.buckets[2], 1u);
  EXPECT_EQ(t.buckets[4], 1u);
  EXPECT_EQ(t.buckets[14], 1u);
  EXPECT_EQ(t.latency_sum_nanos, 50'000u + 300'000u + 2'000'000u + 9'000'000'000u + 1000u);
}

TEST(MetricsTest, HistogramIsCumulative) {
  FakeClock clock;
  Metrics m(clock);
  m.SetRoutes({"/a"});
  m.Record(0, 200, 50'000);          // 50 us
  m.Record(0, 200, 3'000'000);       // 3 ms
  m.Record(0, 200, 10'000'000'000);  // 10 s: only +Inf
  const std::string text = m.Render();
  EXPECT_TRUE(Contains(
      text, "soundtrend_http_request_duration_seconds_bucket{route=\"/a\",le=\"0.0001\"} 1\n"));
  EXPECT_TRUE(Contains(
      text, "soundtrend_http_request_duration_seconds_bucket{route=\"/a\",le=\"0.005\"} 2\n"));
  EXPECT_TRUE(Contains(
      text, "soundtrend_http_request_duration_seconds_bucket{route=\"/a\",le=\"2.5\"} 2\n"));
  EXPECT_TRUE(Contains(
      text, "soundtrend_http_request_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(Contains(text, "soundtrend_http_request_duration_seconds_count{route=\"/a\"} 3\n"));
}

TEST(MetricsTest, SnapshotAgeFollowsTheClock) {
  FakeClock clock(1'000'000'000);
  Metrics m(clock);
  EXPECT_TRUE(Contains(m.Render(), "soundtrend_snapshot_age_seconds -1\n"));
  m.SetSnapshotBuiltMicros(1'000'000'000);
  clock.AdvanceSeconds(42);
  EXPECT_TRUE(Contains(m.Render(), "soundtrend_snapshot_age_seconds 42\n"));
}

}  // namespace
}  // namespace soundtrend::http
