// Process-wide counters that /metrics renders (Prometheus counters without labels), for
// parts of the process that do not see http::Metrics: e.g. the PostgreSQL round trips of
// store/postgres (soundtrend_pg_round_trips_total). A counter is a static object at
// namespace scope in the file that counts; adding is one relaxed atomic increment.
//
//   ProcessCounter g_round_trips("soundtrend_pg_round_trips_total", "PostgreSQL round trips.");
//   g_round_trips.Add();
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace soundtrend {

class ProcessCounter {
 public:
  // `name` and `help` must outlive the process (string literals). Registers the counter.
  ProcessCounter(const char* name, const char* help);
  ProcessCounter(const ProcessCounter&) = delete;
  ProcessCounter& operator=(const ProcessCounter&) = delete;

  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }
  const char* name() const { return name_; }
  const char* help() const { return help_; }

 private:
  const char* name_;
  const char* help_;
  std::atomic<uint64_t> value_{0};
};

// Every registered counter in the Prometheus text format (HELP, TYPE, value), in
// registration order. Thread-safe.
std::string RenderProcessCounters();

}  // namespace soundtrend
