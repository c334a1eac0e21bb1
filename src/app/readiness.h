// Whether the stores answer, for GET /readyz, checked off the request path: a thread runs
// the probes every interval and keeps the outcome in an atomic that the handler reads.
// A probe is a cheap read of one store (returns OK when it answered). The first check runs
// in CheckOnce before serving starts, so /readyz is right from the first request.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace soundtrend::app {

class ReadinessMonitor {
 public:
  struct Probe {
    std::string name;            // for the log: "chart store", "key store"
    std::function<Status()> fn;  // OK when the store answered
  };
  explicit ReadinessMonitor(std::vector<Probe> probes);
  ~ReadinessMonitor();  // Stop()
  ReadinessMonitor(const ReadinessMonitor&) = delete;
  ReadinessMonitor& operator=(const ReadinessMonitor&) = delete;

  // Runs every probe once on the calling thread; returns (and records) whether all
  // answered. A change is logged once (not at every check).
  bool CheckOnce();
  // The latest outcome (false before the first check). Thread-safe, never blocks.
  bool stores_ok() const { return ok_.load(std::memory_order_acquire); }

  // Starts the thread: CheckOnce every `interval`. Call at most once.
  void Start(std::chrono::milliseconds interval);
  // Stops and joins the thread. Idempotent.
  void Stop();

 private:
  std::vector<Probe> probes_;
  std::atomic<bool> ok_{false};
  bool checked_ = false;  // guarded by check_mutex_
  std::mutex check_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace soundtrend::app
