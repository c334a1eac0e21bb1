// Service health for the operator's page, from the server's own metrics (http/metrics.h):
// requests per second, p99 latency and error rates over the last 10 s and 60 s.
//
// HealthWindow is the arithmetic (pure: samples in, figures out). HealthSampler takes a
// sample of Metrics::Totals every second on its own thread and keeps the last minute; a
// figure is the difference between the latest sample and the one a window earlier.
// p99 is the upper bound of the latency bucket that holds the 99th percentile (the
// histogram's resolution: 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100 ms, ...).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "common/clock.h"
#include "http/metrics.h"

namespace soundtrend::dashboard {

struct HealthFigures {
  double window_seconds = 0;  // what the figures cover (less than asked right after start)
  uint64_t requests = 0;
  double requests_per_second = 0;
  double server_error_rate = 0;       // 5xx / requests (0 without requests)
  double client_error_rate = 0;       // 4xx / requests
  std::optional<double> p99_seconds;  // nullopt: no request, or above the last bound
  bool p99_above_last_bound = false;
  double mean_latency_seconds = 0;
};

class HealthWindow {
 public:
  explicit HealthWindow(size_t max_samples = 62) : max_samples_(max_samples) {}
  void Add(int64_t monotonic_nanos, const http::MetricsTotals& totals);
  // Figures between the latest sample and the oldest one at most `window_nanos` before it.
  HealthFigures Over(int64_t window_nanos) const;

 private:
  struct Sample {
    int64_t nanos;
    http::MetricsTotals totals;
  };
  size_t max_samples_;
  std::deque<Sample> samples_;
};

class HealthSampler {
 public:
  // Samples `metrics` now and then every `interval_millis`; `metrics` and `clock` must
  // outlive the sampler.
  HealthSampler(const http::Metrics& metrics, const Clock& clock, int64_t interval_millis = 1000);
  ~HealthSampler();
  HealthSampler(const HealthSampler&) = delete;
  HealthSampler& operator=(const HealthSampler&) = delete;

  // Thread-safe. Samples once more first, so that the figures end now.
  HealthFigures Over(int64_t window_nanos);

 private:
  void Run();
  const http::Metrics& metrics_;
  const Clock& clock_;
  const int64_t interval_millis_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  HealthWindow window_;
  std::thread thread_;
};

}  // namespace soundtrend::dashboard
