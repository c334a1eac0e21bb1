#include "gateway/rate_limiter.h"

#include <algorithm>

namespace soundtrend::gateway {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

int64_t EmissionInterval(const RateLimit& limit) {
  return std::max<int64_t>(1, kNanosPerSecond / std::max<int64_t>(1, limit.qps));
}

int64_t CeilSeconds(int64_t nanos) {
  return nanos <= 0 ? 0 : (nanos + kNanosPerSecond - 1) / kNanosPerSecond;
}

// The decision for a state whose theoretical arrival time is `tat`.
RateDecision Decide(int64_t tat, int64_t now, int64_t interval, int64_t tolerance) {
  RateDecision d;
  const int64_t base = std::max(tat, now);
  if (base - now > tolerance) {
    d.allowed = false;
    d.remaining = 0;
    d.reset_seconds = CeilSeconds(base - now);
    d.retry_after_seconds = std::max<int64_t>(1, CeilSeconds(base - now - tolerance));
    return d;
  }
  d.allowed = true;
  const int64_t new_tat = base + interval;
  const int64_t slack = tolerance - (new_tat - now);
  d.remaining = slack >= 0 ? slack / interval + 1 : 0;
  d.reset_seconds = CeilSeconds(new_tat - now);
  return d;
}

}  // namespace

RateDecision GcraLimiter::TryAcquire(int64_t now_nanos, const RateLimit& limit) {
  const int64_t interval = EmissionInterval(limit);
  const int64_t tolerance = (std::max<int64_t>(1, limit.burst) - 1) * interval;
  int64_t tat = tat_.load(std::memory_order_relaxed);
  for (;;) {
    RateDecision d = Decide(tat, now_nanos, interval, tolerance);
    if (!d.allowed) return d;
    const int64_t new_tat = std::max(tat, now_nanos) + interval;
    if (tat_.compare_exchange_weak(tat, new_tat, std::memory_order_acq_rel,
                                   std::memory_order_relaxed)) {
      return d;
    }
  }
}

RateDecision GcraLimiter::Peek(int64_t now_nanos, const RateLimit& limit) const {
  const int64_t interval = EmissionInterval(limit);
  const int64_t tolerance = (std::max<int64_t>(1, limit.burst) - 1) * interval;
  const int64_t tat = tat_.load(std::memory_order_acquire);
  const int64_t base = std::max(tat, now_nanos);
  RateDecision d;
  // Remaining = requests that would pass now: floor((tolerance - (base - now)) / T) + 1.
  const int64_t slack = tolerance - (base - now_nanos);
  d.allowed = slack >= 0;
  d.remaining = slack >= 0 ? slack / interval + 1 : 0;
  d.reset_seconds = CeilSeconds(base - now_nanos);
  if (!d.allowed) d.retry_after_seconds = std::max<int64_t>(1, CeilSeconds(-slack));
  return d;
}

std::string RateLimitPolicyHeader(const RateLimit& limit) {
  std::string out = "\"default\";q=";
  out += std::to_string(limit.qps);
  out += ";w=1";
  return out;
}

std::string RateLimitHeader(const RateDecision& decision) {
  std::string out = "\"default\";r=";
  out += std::to_string(decision.remaining);
  out += ";t=";
  out += std::to_string(decision.reset_seconds);
  return out;
}

}  // namespace soundtrend::gateway
