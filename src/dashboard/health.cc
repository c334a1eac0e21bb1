#include "dashboard/health.h"

#include <chrono>

namespace soundtrend::dashboard {

void HealthWindow::Add(int64_t monotonic_nanos, const http::MetricsTotals& totals) {
  samples_.push_back({monotonic_nanos, totals});
  while (samples_.size() > max_samples_) samples_.pop_front();
}

HealthFigures HealthWindow::Over(int64_t window_nanos) const {
  HealthFigures f;
  if (samples_.size() < 2) return f;
  const Sample& last = samples_.back();
  const Sample* first = &samples_.front();
  for (const Sample& s : samples_) {
    if (last.nanos - s.nanos <= window_nanos) {
      first = &s;
      break;
    }
  }
  if (first == &last) return f;
  f.window_seconds = static_cast<double>(last.nanos - first->nanos) / 1e9;
  const http::MetricsTotals& a = first->totals;
  const http::MetricsTotals& b = last.totals;
  f.requests = b.requests - a.requests;
  if (f.window_seconds > 0)
    f.requests_per_second = static_cast<double>(f.requests) / f.window_seconds;
  if (f.requests == 0) return f;
  f.server_error_rate = static_cast<double>(b.server_errors - a.server_errors) / f.requests;
  f.client_error_rate = static_cast<double>(b.client_errors - a.client_errors) / f.requests;
  f.mean_latency_seconds =
      static_cast<double>(b.latency_sum_nanos - a.latency_sum_nanos) / 1e9 / f.requests;
  uint64_t in_buckets = 0;
  for (size_t i = 0; i < b.buckets.size(); ++i) in_buckets += b.buckets[i] - a.buckets[i];
  if (in_buckets == 0) return f;
  // The smallest bucket bound with at least 99% of the window's requests at or below it.
  const uint64_t rank = (in_buckets * 99 + 99) / 100;
  uint64_t running = 0;
  for (size_t i = 0; i < b.buckets.size(); ++i) {
    running += b.buckets[i] - a.buckets[i];
    if (running >= rank) {
      if (i < http::Metrics::kLatencyBuckets.size()) {
        f.p99_seconds = http::Metrics::kLatencyBuckets[i];
      } else {
        f.p99_above_last_bound = true;
      }
      break;
    }
  }
  return f;
}

HealthSampler::HealthSampler(const http::Metrics& metrics, const Clock& clock,
                             int64_t interval_millis)
    : metrics_(metrics), clock_(clock), interval_millis_(interval_millis) {
  window_.Add(clock_.MonotonicNanos(), metrics_.Totals());
  thread_ = std::thread([this] { Run(); });
}

HealthSampler::~HealthSampler() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

HealthFigures HealthSampler::Over(int64_t window_nanos) {
  HealthWindow now;
  {
    std::lock_guard lock(mutex_);
    now = window_;  // a minute of samples: a few KB
  }
  now.Add(clock_.MonotonicNanos(), metrics_.Totals());
  return now.Over(window_nanos);
}

void HealthSampler::Run() {
  std::unique_lock lock(mutex_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(interval_millis_),
                       [this] { return stopping_; })) {
    window_.Add(clock_.MonotonicNanos(), metrics_.Totals());
  }
}

}  // namespace soundtrend::dashboard
