#include "app/readiness.h"

#include <spdlog/spdlog.h>

namespace soundtrend::app {

ReadinessMonitor::ReadinessMonitor(std::vector<Probe> probes) : probes_(std::move(probes)) {}

ReadinessMonitor::~ReadinessMonitor() { Stop(); }

bool ReadinessMonitor::CheckOnce() {
  std::lock_guard lock(check_mutex_);
  bool all = true;
  std::string failed;
  for (const Probe& probe : probes_) {
    const Status s = probe.fn();
    if (!s.ok()) {
      all = false;
      if (!failed.empty()) failed += "; ";
      failed += probe.name + ": " + s.ToString();
    }
  }
  const bool before = ok_.exchange(all, std::memory_order_acq_rel);
  if (!all && (before || !checked_)) spdlog::error("not ready: {}", failed);
  if (all && !before && checked_) spdlog::info("ready again: the stores answer");
  checked_ = true;
  return all;
}

void ReadinessMonitor::Start(std::chrono::milliseconds interval) {
  thread_ = std::thread([this, interval] {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
      lock.unlock();
      CheckOnce();
      lock.lock();
    }
  });
}

void ReadinessMonitor::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace soundtrend::app
