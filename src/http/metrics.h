// Prometheus metrics of the HTTP server.
//
// Counters are plain atomics in arrays sized when the route table is known, so recording a
// request takes no lock and allocates nothing. Rendering (GET /metrics) reads the atomics
// with relaxed ordering: each value is exact, the set is not a consistent cut.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"

namespace soundtrend::http {

// Every route's counters added up (Metrics::Totals).
struct MetricsTotals {
  uint64_t requests = 0;
  uint64_t client_errors = 0;  // 4xx
  uint64_t server_errors = 0;  // 5xx
  // Latency histogram, non-cumulative: buckets[i] counts latencies <= kLatencyBuckets[i]
  // and above the previous bound; the last one those above every bound.
  std::array<uint64_t, 15> buckets{};
  uint64_t latency_sum_nanos = 0;
};

class Metrics {
 public:
  // Latency histogram bucket upper bounds, in seconds (+Inf is implicit).
  static constexpr std::array<double, 14> kLatencyBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};
  // Statuses counted individually; anything else is counted as "other".
  static constexpr std::array<int, 16> kStatuses = {200, 204, 400, 401, 402, 403, 404, 405,
                                                    408, 413, 429, 431, 500, 503, 201, 409};

  // `clock` (not owned) computes the snapshot age.
  explicit Metrics(const Clock& clock);

  // `routes`: one label per route (the route's path); an extra "unmatched" label counts
  // requests that matched no route. Resets every counter. Not thread-safe: the server calls
  // it once in Start, before any request.
  void SetRoutes(std::vector<std::string> routes);

  // Thread-safe, lock-free. `route_index` is the route's index or routes.size() (or any
  // larger value) for unmatched requests.
  void Record(size_t route_index, int status, int64_t latency_nanos);

  // Records when the currently served snapshot was built (wall clock, micros since the
  // epoch). The gauge soundtrend_snapshot_age_seconds is now - this. Thread-safe.
  void SetSnapshotBuiltMicros(int64_t micros);

  // Server-level counters (thread-safe, lock-free): failed accept() calls; requests
  // refused with 503 because the process-wide budget for buffered request bodies was spent;
  // the gauges of body bytes buffered now and of open connections (delta may be negative).
  void CountAcceptError() { accept_errors_.fetch_add(1, std::memory_order_relaxed); }
  void CountBodyBudgetRefusal() { body_budget_refusals_.fetch_add(1, std::memory_order_relaxed); }
  void AddBufferedBodyBytes(int64_t delta) {
    buffered_body_bytes_.fetch_add(delta, std::memory_order_relaxed);
  }
  void AddOpenConnections(int64_t delta) {
    open_connections_.fetch_add(delta, std::memory_order_relaxed);
  }
  int64_t open_connections() const { return open_connections_.load(std::memory_order_relaxed); }
  uint64_t accept_errors() const { return accept_errors_.load(std::memory_order_relaxed); }
  int64_t buffered_body_bytes() const {
    return buffered_body_bytes_.load(std::memory_order_relaxed);
  }
  uint64_t body_budget_refusals() const {
    return body_budget_refusals_.load(std::memory_order_relaxed);
  }

  // Prometheus text exposition format 0.0.4. Thread-safe.
  std::string Render() const;

  // More of the exposition, from another module (e.g. the shared rate limit's gauges):
  // `append` adds its lines (HELP, TYPE, samples) to Render's text, after the server's own,
  // in the order added. Thread-safe `append`; call before the server starts.
  void AddExposition(std::function<void(std::string&)> append) {
    expositions_.push_back(std::move(append));
  }

  // The sums over every route (each value exact, the set not a consistent cut, as Render).
  // Thread-safe, lock-free.
  MetricsTotals Totals() const;

 private:
  struct RouteCounters {
    std::array<std::atomic<uint64_t>, kStatuses.size() + 1> by_status{};
    std::array<std::atomic<uint64_t>, kLatencyBuckets.size() + 1> buckets{};  // non-cumulative
    std::atomic<uint64_t> latency_sum_nanos{0};
  };
  std::vector<std::string> labels_;
  std::unique_ptr<RouteCounters[]> counters_;
  const Clock& clock_;
  std::atomic<int64_t> snapshot_built_micros_{0};
  std::atomic<uint64_t> accept_errors_{0};
  std::atomic<uint64_t> body_budget_refusals_{0};
  std::atomic<int64_t> buffered_body_bytes_{0};
  std::atomic<int64_t> open_connections_{0};
  std::vector<std::function<void(std::string&)>> expositions_;
  static_assert(std::tuple_size_v<decltype(MetricsTotals::buckets)> == kLatencyBuckets.size() + 1);
};

}  // namespace soundtrend::http
