// Injected time. Production code asks a Clock; tests use FakeClock and never sleep.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace soundtrend {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, microseconds since the Unix epoch (UTC). Used for days and ledgers.
  virtual int64_t NowMicros() const = 0;
  // Monotonic time in nanoseconds from an arbitrary origin. Used for rate limits, latency.
  virtual int64_t MonotonicNanos() const = 0;
};

// The real clocks. Thread-safe, stateless.
class SystemClock final : public Clock {
 public:
  int64_t NowMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t MonotonicNanos() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  // A process-wide instance.
  static SystemClock& Instance() {
    static SystemClock clock;
    return clock;
  }
};

// A clock that moves only when told. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_micros = 0) : micros_(now_micros), nanos_(0) {}
  int64_t NowMicros() const override { return micros_.load(); }
  int64_t MonotonicNanos() const override { return nanos_.load(); }
  void AdvanceNanos(int64_t n) {
    nanos_ += n;
    micros_ += n / 1000;
  }
  void AdvanceMicros(int64_t us) { AdvanceNanos(us * 1000); }
  void AdvanceSeconds(double s) { AdvanceNanos(static_cast<int64_t>(s * 1e9)); }
  void SetNowMicros(int64_t us) { micros_ = us; }

 private:
  std::atomic<int64_t> micros_;
  std::atomic<int64_t> nanos_;
};

}  // namespace soundtrend
