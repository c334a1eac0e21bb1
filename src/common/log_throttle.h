// LogThrottle: at most one log line per interval for one recurring condition (a full disk,
// a failing journal), so that an error on every request cannot flood the log: the first
// occurrence is logged at once, later ones within the interval are counted, and the next
// line logged says how many were left out. Time comes from the caller (an injected clock's
// MonotonicNanos), so tests count lines exactly.
//
// Thread-safety: every method from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>

namespace soundtrend {

class LogThrottle {
 public:
  explicit LogThrottle(int64_t interval_nanos) : interval_nanos_(interval_nanos) {}

  // One occurrence at `now_nanos`: the number of occurrences left out since the last line
  // logged when this one is to be logged, nullopt when it is to be left out.
  std::optional<int64_t> Occur(int64_t now_nanos) {
    std::lock_guard lock(mutex_);
    if (logged_once_ && now_nanos - last_nanos_ < interval_nanos_) {
      ++suppressed_;
      return std::nullopt;
    }
    logged_once_ = true;
    last_nanos_ = now_nanos;
    const int64_t left_out = suppressed_;
    suppressed_ = 0;
    return left_out;
  }

 private:
  const int64_t interval_nanos_;
  std::mutex mutex_;
  bool logged_once_ = false;
  int64_t last_nanos_ = 0;
  int64_t suppressed_ = 0;
};

}  // namespace soundtrend
